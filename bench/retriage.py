"""Measure `kcrashd retriage` and what keeping logs costs the state.

    python bench/retriage.py throughput [--crashes 10000] [--jobs 1 2]
    python bench/retriage.py cost

`throughput`: a real state database with N crashes recorded through the store (Store.record), each
keeping its log as the pipeline does (kcrashd.core.kept_log, zlib): the real corpus logs that hold
a crash (tests/corpus: lab, syzkaller, seed, edge, production), in turn, each copy on another host
and dump folder. Then `kcrashd retriage --dry-run -j N` as a subprocess, timed end to end (process
start included), in files (stored logs) per second; then `kcrashd retriage` (apply, nothing to
move) and `kcrashd similar ID` (median of 5) on the same store.

`cost`: the on-disk cost of the kept logs per crash on the lab corpus: every lab log
(vmcore-dmesg.txt and console.log) recorded into two state databases, one keeping the logs and one
not, and the difference of their file sizes (after a checkpoint) over the number of crashes; also
the bytes kept, compressed, and read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kcrashd.core import analyze  # noqa: E402
from kcrashd.core.kept_log import keep_log  # noqa: E402
from kcrashd.core.model import Report  # noqa: E402
from kcrashd.model.crash import CrashRecord  # noqa: E402
from kcrashd.store.crash_logs import KeptLog, log_sizes  # noqa: E402
from kcrashd.store.database import Store  # noqa: E402
from tests.core.corpus_score import PRODUCTION, production_index  # noqa: E402
from tests.core.golden import golden_cases  # noqa: E402

ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
CPU = [0.0]


def corpus_crashes(only_lab: bool = False) -> list[tuple[bytes, Report]]:
    """(log, report) of every corpus log that holds a crash."""
    logs = [case.data() for case in golden_cases() if not only_lab or case.name.startswith("lab/")]
    if not only_lab:
        logs += [(PRODUCTION / row["file"]).read_bytes() for row in production_index()]
    out = []
    for data in logs:
        report = analyze(data)
        if report.fingerprint:
            out.append((data, report))
    return out


def fill(state: Path, crashes: int, pool: list[tuple[bytes, Report]], keep: bool = True) -> list[str]:
    """Record `crashes` crashes (the pool in turn) through the store; their ids."""
    kept = [KeptLog(keep_log(data, report), len(data)) for data, report in pool]
    store = Store(state)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ids = []
    try:
        for n in range(crashes):
            when = start + timedelta(minutes=n)
            _, report = pool[n % len(pool)]
            record = CrashRecord(
                crash_id=f"{n:032x}", report=report, host=f"host{n % 97}",
                dump_dir=f"/var/crash/10.0.{n // 250}.{n % 250}-{when:%Y-%m-%d-%H:%M:%S}", layout="rhel-kdump",
                crash_time=when, detected_at=when, first_seen=when,
            )  # fmt: skip
            store.record(
                lambda stats, r=record: r, dev=1, ino=n + 1, log_mtime_ns=None, log_size=None, vmcore_state="absent",
                log=kept[n % len(pool)] if keep else None,
            )  # fmt: skip
            ids.append(record.crash_id)
    finally:
        store.close()
    return ids


def timed(command: list[str]) -> tuple[float, str]:
    """Wall seconds and output of a command; its CPU seconds (its workers' included) in CPU[0]."""
    begin, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=ENV).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return time.monotonic() - begin, out


def cmd_throughput(args: argparse.Namespace) -> None:
    pool = corpus_crashes()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        started = time.monotonic()
        ids = fill(state, args.crashes, pool)
        print(f"store: {args.crashes} crashes ({len(pool)} distinct corpus logs) recorded in {time.monotonic() - started:.1f} s")
        kcrashd = [sys.executable, "-m", "kcrashd"]
        where = ["--state-dir", str(state), "--json"]
        for jobs in args.jobs:
            seconds, out = timed([*kcrashd, "retriage", "--dry-run", "-j", str(jobs), *where])
            result = json.loads(out)
            files = len(result["moves"]) + result["unchanged"] + len(result["no_crash"])
            print(f"kcrashd retriage --dry-run -j {jobs}: {files} logs in {seconds:.1f} s = {files / seconds:.0f} files/s"
                  f" ({len(result['moves'])} moves; {CPU[0]:.1f} CPU s, load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        seconds, _ = timed([*kcrashd, "retriage", "-j", str(max(args.jobs)), *where])
        print(f"kcrashd retriage -j {max(args.jobs)} (apply, nothing to move): {seconds:.1f} s")
        times = [timed([*kcrashd, "similar", *where, ids[len(ids) // 2]])[0] for _ in range(5)]
        print(f"kcrashd similar over {args.crashes} crashes: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), process start included")  # fmt: skip


def db_size(state: Path) -> int:
    conn = sqlite3.connect(state / "state.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return os.path.getsize(state / "state.db")


def cmd_cost(args: argparse.Namespace) -> None:
    del args
    pool = corpus_crashes(only_lab=True)
    with tempfile.TemporaryDirectory() as tmp:
        fill(Path(tmp) / "with", len(pool), pool)
        fill(Path(tmp) / "without", len(pool), pool, keep=False)
        extra = db_size(Path(tmp) / "with") - db_size(Path(tmp) / "without")
        conn = sqlite3.connect(Path(tmp) / "with" / "state.db")
        count, disk, kept, read = log_sizes(conn)
        conn.close()
    print(f"lab corpus: {count} crash logs; triage read {read / count / 1024:.1f} KiB a crash, kept {kept / count / 1024:.1f} KiB,"
          f" {disk / count / 1024:.1f} KiB compressed; the state file grows by {extra / count / 1024:.1f} KiB a crash")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="part", required=True)
    through = verbs.add_parser("throughput")
    through.add_argument("--crashes", type=int, default=10000)
    through.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    through.set_defaults(func=cmd_throughput)
    verbs.add_parser("cost").set_defaults(func=cmd_cost)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
