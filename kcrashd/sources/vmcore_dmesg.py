"""The crashed kernel's log recovered from its vmcore when the dump folder has none:
`makedumpfile --dump-dmesg` run in a private folder (never in the dump folder), after a flattened
stream, compressed or not, was rearranged there into a regular dump. One code path for the daemon
(kcrashd.pipeline) and `kcrashd analyze`; each caller opens the vmcore and provides the folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from kcrashd.sources.vmcore import open_nofollow

if TYPE_CHECKING:
    from kcrashd.config.settings import SourcesConfig
    from kcrashd.model.crash import VmcoreFacts

Scratch = Callable[[], AbstractContextManager[Path]]  # a fresh private folder, removed after use
Recovered = tuple[bytes | None, str, "VmcoreFacts"]  # the log or None, a one-line note, the facts


def recover_dmesg(fd: int, facts: VmcoreFacts, sources: SourcesConfig, tick: Callable[[], None], scratch: Scratch) -> Recovered:
    """The log of the open vmcore `fd` (named `facts.path`). Reading a flattened stream through
    also tells whether it ends with its end record: the facts come back updated."""
    tool = shutil.which(sources.makedumpfile)
    if tool is None:
        return None, "no kernel log: makedumpfile is not installed to recover it from the vmcore", facts
    flat = facts.format.startswith("flattened") or "wrapped" in facts.flags
    if facts.format not in ("elf", "kdump-compressed") and not flat:
        return None, f"no kernel log: makedumpfile cannot read a {facts.format} vmcore", facts
    try:
        with scratch() as tmp:
            if not flat:
                return *dump_dmesg(tool, fd, tmp, sources.makedumpfile_timeout, tick), facts
            return dmesg_from_stream(tool, fd, facts, tmp, sources, tick)
    except OSError as exc:
        return None, f"no kernel log: {exc.strerror or exc}", facts


def dmesg_from_stream(
    tool: str, fd: int, facts: VmcoreFacts, tmp: Path, sources: SourcesConfig, tick: Callable[[], None]
) -> Recovered:
    """Rearrange the open flattened vmcore `fd` into `tmp`/vmcore, then dump its log."""
    from kcrashd.sources.flatten import StreamError, walk_stream

    dump = tmp / "vmcore"
    try:
        walk = walk_stream(
            fd, facts, limit=sources.max_rearrange_bytes, timeout=sources.makedumpfile_timeout,
            tick=tick, out=dump,
        )  # fmt: skip
    except StreamError as exc:
        return None, f"no kernel log: the flattened vmcore was not rearranged: {exc}", facts
    try:
        rearranged = open_nofollow(dump)  # our own private file
    except OSError as exc:
        return None, f"no kernel log: cannot open the rearranged vmcore: {exc.strerror or exc}", walk.facts
    try:
        data, note = dump_dmesg(tool, rearranged, tmp, sources.makedumpfile_timeout, tick)
    finally:
        os.close(rearranged)
    if data is not None:
        note = "kernel log recovered from the flattened vmcore (rearranged) with makedumpfile --dump-dmesg"
    return data, note, walk.facts


def dump_dmesg(tool: str, fd: int, tmp: Path, timeout: float, tick: Callable[[], None]) -> tuple[bytes | None, str]:
    """Run `makedumpfile --dump-dmesg` on the open vmcore `fd`, which the child inherits and
    reads as /proc/self/fd/N: no path that could be swapped is ever handed to it."""
    from kcrashd.sources.logfile import LogFileError, read_log

    try:
        out = tmp / "dmesg.txt"
        proc = subprocess.Popen(
            [tool, "--dump-dmesg", f"/proc/self/fd/{fd}", str(out)],
            pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, stderr = proc.communicate(timeout=1.0)
                break
            except subprocess.TimeoutExpired:
                tick()  # keep the systemd watchdog fed while a big vmcore is read
                if time.monotonic() > deadline:
                    proc.kill()
                    proc.communicate()
                    return None, "no kernel log: makedumpfile --dump-dmesg timed out"
        if proc.returncode != 0 or not out.exists():
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            return None, f"no kernel log: makedumpfile --dump-dmesg failed ({proc.returncode}): {tail[0][:200]}"
        return read_log(out, follow_symlinks=False), "kernel log recovered from the vmcore with makedumpfile --dump-dmesg"
    except (OSError, LogFileError) as exc:
        return None, f"no kernel log: {exc}"
