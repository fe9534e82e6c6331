"""A dump folder swapped with a symlink to a folder of secrets (renameat2 RENAME_EXCHANGE) while
the pipeline scans and reads it: the harness of tests/daemon/test_folder_swap.py and
bench/folder_swap.py.

Each iteration has its own dump path holding the real dump folder and, under another dump-folder
name, a symlink to `outside`, whose `vmcore-dmesg.txt`, `vmcore` and `secret` all carry SECRET.
A thread exchanges the two names as fast as it can while the pipeline scans the dump path and
handles both names (as inotify events would make it do). An inotify watch on `outside` counts
every open or read of anything in it: an outside read is seen even when nothing of it reaches an
entry.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kcrashd.config.settings import SourcesConfig
from kcrashd.pipeline import Handled, Pipeline
from kcrashd.sources.units import classify_name, scan_dump_root
from tests.daemon.dumps import kdump_file, log_bytes

SECRET = "kcrashd-secret-0b5e7a"
FOLDER = "10.0.0.1-2024-05-01-10:00:00"
LINK = "10.0.0.2-2024-05-01-10:00:00"  # a dump-folder name too: the scan takes whatever is there
AT_FDCWD = -100
RENAME_EXCHANGE = 2
IN_ACCESS, IN_OPEN = 0x1, 0x20
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
EVENT = struct.Struct("iIII")
PASSES = 3

libc = ctypes.CDLL(None, use_errno=True)


def can_exchange() -> str | None:
    """None when renameat2(RENAME_EXCHANGE) is available here, else why not."""
    if not hasattr(libc, "renameat2"):
        return "the C library has no renameat2"
    return None


def exchange(first: Path, second: Path) -> None:
    if libc.renameat2(AT_FDCWD, bytes(first), AT_FDCWD, bytes(second), RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(first))


def secret_log() -> bytes:
    """A real oops whose panic line and command name carry the secret."""
    text = log_bytes().decode()
    return (text.replace("sysrq triggered crash", f"sysrq triggered crash {SECRET}") + f"\n{SECRET}\n").encode()


def make_outside(base: Path) -> Path:
    """The folder the symlink points to: what must never be read."""
    outside = base / "outside"
    outside.mkdir()
    (outside / "vmcore-dmesg.txt").write_bytes(secret_log())
    (outside / "vmcore").write_bytes(kdump_file(nodename=SECRET))
    (outside / "secret").write_text(SECRET + "\n")
    return outside


class OutsideReads:
    """inotify on `outside`: opens and reads of it or of anything in it."""

    def __init__(self, outside: Path) -> None:
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if libc.inotify_add_watch(self.fd, bytes(outside), IN_OPEN | IN_ACCESS) < 0:
            os.close(self.fd)
            raise OSError(ctypes.get_errno(), "inotify_add_watch failed")

    def count(self) -> int:
        """Events since the last call."""
        events = 0
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return events
            pos = 0
            while pos + EVENT.size <= len(data):
                events += 1
                pos += EVENT.size + EVENT.unpack_from(data, pos)[3]

    def close(self) -> None:
        os.close(self.fd)


class Swapper(threading.Thread):
    """Exchanges two names until stopped."""

    def __init__(self, first: Path, second: Path) -> None:
        super().__init__(name="folder-swapper", daemon=True)
        self.first, self.second = first, second
        self.halt = threading.Event()
        self.swaps = 0

    def run(self) -> None:
        while not self.halt.is_set():
            exchange(self.first, self.second)
            self.swaps += 1

    def stop(self) -> None:
        self.halt.set()
        self.join()


@dataclass
class RaceStats:
    iterations: int = 0
    outside_reads: int = 0  # iterations in which anything in `outside` was opened or read
    met_swap: int = 0  # iterations in which the pipeline met the swap (link at the folder's name, or the folder at the link's)
    swaps: int = 0
    roots: list[Path] = field(default_factory=list)

    def line(self) -> str:
        clean = self.iterations - self.outside_reads
        return (
            f"{self.iterations} iterations, {clean} with zero outside reads, {self.met_swap} met the swap, "
            f"{self.swaps} exchanges"
        )


def write_folder(root: Path) -> Path:
    """A finished RHEL dump (log and vmcore), written without fsync: many are made."""
    folder = root / FOLDER
    folder.mkdir()
    (folder / "vmcore-dmesg.txt").write_bytes(log_bytes())
    (folder / "vmcore").write_bytes(kdump_file(nodename="web1.example.com"))
    return folder


def iteration(pipeline: Pipeline, sources: SourcesConfig, root: Path, outside: Path) -> tuple[list[tuple[str, Handled]], int]:
    """One dump path raced: the pipeline scans it and handles both names while they swap; what
    each look gave, and how many exchanges were made meanwhile."""
    root.mkdir()
    write_folder(root)
    (root / LINK).symlink_to(outside)
    swapper = Swapper(root / FOLDER, root / LINK)
    seen: list[tuple[str, Handled]] = []
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    swapper.start()
    try:
        for _ in range(PASSES):
            for unit in scan_dump_root(root, sources):
                seen.append((unit.path.name, pipeline.handle(unit)))
            for name in (FOLDER, LINK):
                unit = classify_name(name, root)
                assert unit is not None
                seen.append((name, pipeline.handle(unit)))
    finally:
        swapper.stop()
        sys.setswitchinterval(switch)
    for name in (FOLDER, LINK):  # settled: the folder is under one of the names
        unit = classify_name(name, root)
        assert unit is not None
        seen.append((name, pipeline.handle(unit)))
    return seen, swapper.swaps


def met_swap(seen: list[tuple[str, Handled]]) -> bool:
    return any(
        (name == FOLDER and outcome.detail in ("symbolic link", "folder replaced"))
        or (name == LINK and outcome.action not in ("skipped",))
        for name, outcome in seen
    )


def race(
    pipeline: Pipeline, sources: SourcesConfig, base: Path, *, iterations: int, seconds: float,
    progress: Callable[[RaceStats], None] | None = None,
) -> RaceStats:  # fmt: skip
    """Up to `iterations` raced dump paths under `base`, stopping after `seconds`."""
    outside = make_outside(base)
    reads = OutsideReads(outside)
    stats = RaceStats()
    deadline = time.monotonic() + seconds
    try:
        while stats.iterations < iterations and time.monotonic() < deadline:
            root = base / f"dumps-{stats.iterations}"
            seen, swaps = iteration(pipeline, sources, root, outside)
            stats.swaps += swaps
            stats.roots.append(root)
            stats.iterations += 1
            stats.outside_reads += reads.count() > 0
            stats.met_swap += met_swap(seen)
            if progress is not None and stats.iterations % 100 == 0:
                progress(stats)
    finally:
        reads.close()
    return stats
