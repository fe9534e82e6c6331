"""`kcrashd analyze` over many files: files/s in one process (-j 1) and with worker processes (-j N).

The development corpus (tests/corpus/syzkaller, 374 real console logs) is cut to its logs
(log_offset..log_end_offset) into a temporary folder, then the whole `kcrashd analyze --format
json` command is timed, start-up included, best of --rounds runs. Prints numbers only.

    .venv/bin/python bench/analyze_parallel.py [--jobs 1 2] [--rounds 3] [--copies 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "syzkaller"


def write_logs(folder: Path, copies: int) -> list[str]:
    """The corpus's logs as files (`copies` times over, for a bigger set of the same shape)."""
    paths = []
    for line in (CORPUS / "index.jsonl").read_text().splitlines():
        entry = json.loads(line)
        raw = (CORPUS / entry["file"]).read_bytes()
        log = raw[entry["log_offset"] : entry["log_end_offset"]].replace(b"\r", b"")
        for copy in range(copies):
            path = folder / f"{entry['id']}-{copy}.log"
            path.write_bytes(log)
            paths.append(str(path))
    return paths


def run_once(paths: list[str], jobs: int) -> tuple[float, int]:
    """Wall seconds of one `kcrashd analyze -j jobs` over every path, and the lines it printed."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "kcrashd", "analyze", "--format", "json", "-j", str(jobs), *paths]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"kcrashd analyze -j {jobs} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return wall, done.stdout.count(b"\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to time (default 1 2)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per job count; the best is kept")
    parser.add_argument("--copies", type=int, default=1, help="copies of each log (default 1: 374 files)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kcrashd-analyze-") as tmp:
        paths = write_logs(Path(tmp), args.copies)
        size = sum(os.path.getsize(p) for p in paths)
        print(f"{len(paths)} logs, {size / 2**20:.1f} MiB; {os.cpu_count()} cores; best of {args.rounds} runs")
        for jobs in args.jobs:
            times = []
            for _ in range(args.rounds):
                wall, lines = run_once(paths, jobs)
                assert lines == len(paths), (lines, len(paths))
                times.append(wall)
            best = min(times)
            print(f"  -j {jobs}: {best:.2f} s wall, {len(paths) / best:,.0f} files/s "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times)})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
