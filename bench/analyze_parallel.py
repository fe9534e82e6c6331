"""`kcrashd analyze` over many files: files/s in one process (-j 1) and with worker processes (-j N).

The development corpus (tests/corpus/syzkaller, 374 real console logs) is cut to its logs
(log_offset..log_end_offset) and written, in corpus order and again from the start, as --files
files (default 747: the shape of syzkaller's whole golden corpus, the set ABRT's C parser reads at
about 1,340 files/s wall on this machine) into a temporary folder; then the whole `kcrashd analyze
--format json` command is timed, start-up included, best of --rounds runs, with the package's
bytecode cached as an installed package has it (PYTHONPYCACHEPREFIX, written by a first run).
Prints numbers only: wall, CPU of the command and its workers, the load average.

    .venv/bin/python bench/analyze_parallel.py [--jobs 1 2] [--rounds 5] [--files 747]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "syzkaller"


def write_logs(folder: Path, files: int) -> list[str]:
    """`files` log files: the corpus's logs in order, from the first again when they run out."""
    logs = []
    for line in (CORPUS / "index.jsonl").read_text().splitlines():
        entry = json.loads(line)
        raw = (CORPUS / entry["file"]).read_bytes()
        logs.append((entry["id"], raw[entry["log_offset"] : entry["log_end_offset"]].replace(b"\r", b"")))
    paths = []
    for n in range(files):
        name, log = logs[n % len(logs)]
        path = folder / f"{name}-{n // len(logs)}.log"
        path.write_bytes(log)
        paths.append(str(path))
    return paths


def run_once(paths: list[str], jobs: int, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU seconds (the command and its workers) of one `kcrashd analyze -j jobs` over
    every path, and the lines it printed."""
    command = [sys.executable, "-m", "kcrashd", "analyze", "--format", "json", "-j", str(jobs), *paths]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"kcrashd analyze -j {jobs} failed: {done.stderr.decode(errors='replace')[-500:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stdout.count(b"\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to time (default 1 2)")
    parser.add_argument("--rounds", type=int, default=5, help="runs per job count; the best is kept")
    parser.add_argument("--files", type=int, default=747, help="log files to analyse (default 747)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kcrashd-analyze-") as tmp, \
            tempfile.TemporaryDirectory(prefix="kcrashd-pycache-") as cache:  # fmt: skip
        folder = Path(tmp)
        paths = write_logs(folder, args.files)
        size = sum(os.path.getsize(p) for p in paths)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": cache}
        run_once(paths[:1], 1, env)  # writes the bytecode
        print(f"{len(paths)} logs, {size / 2**20:.1f} MiB; {os.cpu_count()} cores; best of {args.rounds} runs")
        for jobs in args.jobs:
            runs = []
            for _ in range(args.rounds):
                wall, cpu, lines = run_once(paths, jobs, env)
                assert lines == len(paths), (lines, len(paths))
                runs.append((wall, cpu))
            best, cpu = min(runs)
            print(f"  -j {jobs}: {best:.3f} s wall, {len(paths) / best:,.0f} files/s, {cpu:.3f} s CPU "
                  f"(walls: {', '.join(f'{w:.2f}' for w, _ in runs)}); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
