"""A big state database for bench/similar.py: the reports of every lab log, recorded N times in
all through the real store (Store.record), each copy on another host and dump folder and with its
stack varied (a caller frame from a pool of 400 driver functions inserted below the top, one of
60 subsystem frames above the syscall), so that the stacks are not N copies of 300."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kcrashd.core import analyze
from kcrashd.core.model import Frame, Report
from kcrashd.model.crash import CrashRecord
from kcrashd.store.database import Store

LAB = Path(__file__).resolve().parents[1] / "corpus" / "lab"


def lab_reports() -> list[Report]:
    out = []
    for folder in sorted(LAB.iterdir()):
        log = folder / "vmcore-dmesg.txt"
        if log.is_file() and log.stat().st_size:
            report = analyze(log.read_bytes())
            if report.frames:
                out.append(report)
    return out


def varied(report: Report, n: int) -> Report:
    frames = list(report.frames)
    frames.insert(min(1, len(frames)), Frame(function=f"driver_fn_{n % 400}"))
    frames.insert(max(len(frames) - 2, 0), Frame(function=f"subsys_op_{n % 60}"))
    return report.model_copy(update={"frames": frames})


def fill_store(state_dir: Path, crashes: int) -> list[str]:
    """Record `crashes` crashes; their ids in order."""
    reports = lab_reports()
    store = Store(state_dir)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ids: list[str] = []
    try:
        for n in range(crashes):
            when = start + timedelta(minutes=n)
            record = CrashRecord(
                crash_id=f"{n:032x}", report=varied(reports[n % len(reports)], n), host=f"host{n % 97}",
                dump_dir=f"/var/crash/10.0.{n // 250}.{n % 250}-{when:%Y-%m-%d-%H:%M:%S}", layout="rhel-kdump",
                crash_time=when, detected_at=when, first_seen=when,
            )  # fmt: skip
            store.record(lambda stats, r=record: r, dev=1, ino=n + 1, log_mtime_ns=None, log_size=None, vmcore_state="absent")
            ids.append(record.crash_id)
    finally:
        store.close()
    return ids
