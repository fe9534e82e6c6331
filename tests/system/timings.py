"""The per-stage timing table of a system-test session (installs, image build, each VM).

Stages are recorded as they finish; the conftest prints the table in pytest's terminal
summary and writes it as JSON (the path is printed under the table) so the CI budget of the
system tests is visible in every run.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Stage:
    group: str
    name: str
    seconds: float | None
    note: str = ""


@dataclass
class Recognition:
    """One crash as the system test saw it end to end (one row of the per-class table)."""

    case: str
    kind: str
    layout: str
    settings: str
    panic_s: float | None  # QEMU start -> the crash line on the serial console
    capture_s: float | None  # crash line -> capture kernel done (dump written, guest off)
    latency_s: float | None  # final rename (kdump's "done" step) -> journal entry received
    latency_from: str
    got_kind: str
    got_function: str
    fingerprint: str
    expected: str
    ok: bool
    notes: list[str] = field(default_factory=list)


class Timings:
    """Thread-safe collector; one per session (TIMINGS)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stages: list[Stage] = []
        self.crashes: list[Recognition] = []
        self.started = time.monotonic()

    def add(self, group: str, name: str, seconds: float | None, note: str = "") -> None:
        with self.lock:
            self.stages.append(Stage(group, name, None if seconds is None else round(seconds, 1), note))

    @contextlib.contextmanager
    def stage(self, group: str, name: str, note: str = "") -> Iterator[dict[str, str]]:
        """Time a block; the block may set extra["note"]."""
        extra = {"note": note}
        start = time.monotonic()
        try:
            yield extra
        finally:
            self.add(group, name, time.monotonic() - start, extra["note"])

    def crash(self, row: Recognition) -> None:
        with self.lock:
            self.crashes.append(row)

    def empty(self) -> bool:
        return not self.stages and not self.crashes

    def render(self) -> str:
        def num(value: float | None, digits: int = 1) -> str:
            return "-" if value is None else f"{value:.{digits}f}"

        lines: list[str] = []
        with self.lock:
            stages = list(self.stages)
            crashes = sorted(self.crashes, key=lambda r: r.case)
        if stages:
            width = max(len(f"{s.group}: {s.name}") for s in stages)
            lines.append(f"{'stage'.ljust(width)}  seconds  note")
            for s in stages:
                lines.append(f"{f'{s.group}: {s.name}'.ljust(width)}  {num(s.seconds):>7}  {s.note}")
            total = sum(s.seconds or 0 for s in stages if s.group != "vm")
            lines.append(f"{'(sum of the stages above but the chain VMs)'.ljust(width)}  {total:>7.1f}")
        if crashes:
            lines.append("")
            head = (
                "case",
                "layout",
                "guest",
                "panic",
                "capture",
                "journal",
                "kind",
                "function",
                "fingerprint",
                "ok",
            )
            rows = [
                (
                    r.case,
                    r.layout,
                    r.settings,
                    num(r.panic_s),
                    num(r.capture_s),
                    num(r.latency_s, 2) + ("*" if r.latency_from == "ctime" else ""),
                    r.got_kind,
                    r.got_function,
                    r.fingerprint,
                    "yes" if r.ok else f"NO ({r.expected})",
                )
                for r in crashes
            ]
            widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
            lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
            for row in rows:
                lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
            lines.append(
                "panic = QEMU start to the crash line; capture = crash to dump written; journal = final "
                "rename (host inotify, or * the file's ctime when earlier) to the entry's __REALTIME_TIMESTAMP"
            )
        lines.append(f"system-test session wall time: {time.monotonic() - self.started:.0f} s")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "stages": [asdict(s) for s in self.stages],
                "crashes": [asdict(r) for r in self.crashes],
                "wall_s": round(time.monotonic() - self.started, 1),
            }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.as_json(), indent=1) + "\n")
        os.replace(tmp, path)


TIMINGS = Timings()
