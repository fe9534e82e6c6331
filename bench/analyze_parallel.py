"""`kcrashd analyze` over many files: files/s in one process (-j 1) and with worker processes (-j N).

The development corpus (tests/corpus/syzkaller, 374 real console logs) is cut to its logs
(log_offset..log_end_offset) and written, in corpus order and again from the start, as --files
files (default 747: the shape of syzkaller's whole golden corpus, the set ABRT's C parser reads at
about 1,340 files/s wall on this machine) into a temporary folder; then the whole `kcrashd analyze
--format json` command is timed, start-up included, best of --rounds runs, with the package's
bytecode cached as an installed package has it (PYTHONPYCACHEPREFIX, written by a first run).
Prints numbers only: wall, CPU of the command and its workers, the load average.

`--compare TREE` (another source tree, e.g. a checkout of main): the runs of this tree and of
TREE alternate, round by round, so that both see the same load (other work on the machine makes
wall and even CPU times drift by a third between runs); best and median of each are printed.

    .venv/bin/python bench/analyze_parallel.py [--jobs 1 2] [--rounds 5] [--files 747] [--compare TREE]
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
    every path, and the lines it printed; run in the tree named by PYTHONPATH (`python -m` puts
    the working directory first on the path)."""
    command = [sys.executable, "-m", "kcrashd", "analyze", "--format", "json", "-j", str(jobs), *paths]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=False, cwd=env["PYTHONPATH"])
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"kcrashd analyze -j {jobs} failed: {done.stderr.decode(errors='replace')[-500:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stdout.count(b"\n")


def tree_env(tree: Path, cache: str) -> dict[str, str]:
    """The environment of a run of `tree`'s kcrashd, its bytecode cached under `cache`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPATH": str(tree), "PYTHONPYCACHEPREFIX": cache}


def summary(runs: list[tuple[float, float]], files: int) -> str:
    """Best, median and worst wall (files/s), and CPU, of some runs."""
    walls, cpus = sorted(w for w, _ in runs), sorted(c for _, c in runs)
    best, median, worst = walls[0], walls[len(walls) // 2], walls[-1]
    return (f"best {best:.3f} s wall = {files / best:,.0f} files/s, median {median:.3f} s = {files / median:,.0f} files/s, "
            f"worst {files / worst:,.0f} files/s; CPU best {cpus[0]:.3f} s, median {cpus[len(cpus) // 2]:.3f} s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="job counts to time (default 1 2)")
    parser.add_argument("--rounds", type=int, default=5, help="runs per job count (and tree); the best is kept")
    parser.add_argument("--files", type=int, default=747, help="log files to analyse (default 747)")
    parser.add_argument("--compare", type=Path, default=None, metavar="TREE", help="another source tree, run alternately")
    args = parser.parse_args()
    trees = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    with tempfile.TemporaryDirectory(prefix="kcrashd-analyze-") as tmp, \
            tempfile.TemporaryDirectory(prefix="kcrashd-pycache-") as cache:  # fmt: skip
        folder = Path(tmp)
        paths = write_logs(folder, args.files)
        size = sum(os.path.getsize(p) for p in paths)
        envs = [tree_env(tree, f"{cache}/{n}") for n, tree in enumerate(trees)]
        for env in envs:
            run_once(paths[:1], 1, env)  # writes the bytecode
        print(f"{len(paths)} logs, {size / 2**20:.1f} MiB; {os.cpu_count()} cores; {args.rounds} runs each; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        for jobs in args.jobs:
            runs: list[list[tuple[float, float]]] = [[] for _ in trees]
            for _ in range(args.rounds):
                for n, env in enumerate(envs):
                    wall, cpu, lines = run_once(paths, jobs, env)
                    assert lines == len(paths), (lines, len(paths))
                    runs[n].append((wall, cpu))
            for tree, tree_runs in zip(trees, runs, strict=True):
                label = f" {tree}" if len(trees) > 1 else ""
                print(f"  -j {jobs}{label}: {summary(tree_runs, len(paths))}; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
