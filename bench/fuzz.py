#!/usr/bin/env python3
"""Absolute speed of triage on hostile inputs: the fuzz test's families and corpus mutations.

Targets: every input under 2 s wall through `kcrashd analyze` (start-up included), and under
1 s per MiB of input (in one process, so start-up does not count).  Each family is built at about
1 MiB (inputs that cannot grow, such as one long line, are repeated to that size) and at the fuzz
test's size.  Prints numbers and the slowest inputs; exits 1 when a target is missed.

    .venv/bin/python bench/fuzz.py [--mutations N] [--no-cli]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
WALL_TARGET = 2.0
PER_MIB_TARGET = 1.0


def inputs(n_mutations: int) -> list[tuple[str, bytes]]:
    """(name, data) of every family at ~1 MiB and at the fuzz test's size, and some mutations."""
    from tests.core.fuzz_inputs import families, mutations
    from tests.core.test_fuzz import BIG

    out = []
    for fam in families():
        small = fam.build(BIG)
        out.append((f"{fam.name} @{len(small) >> 10} KiB", small))
        n = max(BIG, int(BIG * MIB / max(1, len(small))))
        big = fam.build(n)
        if len(big) < MIB // 2:  # a shape that does not grow: repeat it
            big = big * (MIB // len(big))
        out.append((f"{fam.name} @{len(big) >> 10} KiB", big))
    for k, data in enumerate(mutations(seed=2026)):
        if k >= n_mutations:
            break
        out.append((f"mutation #{k}", data))
    return out


def in_process(data: bytes) -> tuple[float, float]:
    from tests.core.fuzz_inputs import best_time

    return best_time(data)


def cli_wall(path: Path) -> tuple[float, float]:
    """Best of two `kcrashd analyze` runs: (wall seconds, the child's CPU seconds)."""
    exe = ROOT / ".venv" / "bin" / "kcrashd"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "kcrashd"]
    wall = cpu = float("inf")
    for _ in range(2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([*cmd, "analyze", "--format", "json", str(path)], capture_output=True, check=False, timeout=600)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutations", type=int, default=300)
    ap.add_argument("--no-cli", action="store_true", help="in-process times only")
    args = ap.parse_args()
    cases = inputs(args.mutations)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, data) in enumerate(cases):
            dt, cpu = in_process(data)
            wall: tuple[float, float] | None = None
            if not args.no_cli and not name.startswith("mutation"):
                path = Path(tmp) / f"{k}.log"
                path.write_bytes(data)
                wall = cli_wall(path)
            rows.append((dt / (max(1, len(data)) / MIB), dt, wall, len(data), name, cpu))
    rows.sort(key=lambda r: r[0], reverse=True)
    big = [r for r in rows if r[3] >= MIB // 2]
    print(f"inputs: {len(rows)} ({len(big)} of >= 512 KiB), {sum(r[3] for r in rows) / MIB:.0f} MiB in all")
    print("slowest per MiB (in one process; inputs >= 512 KiB, where start-up costs do not dominate):")
    for per, dt, _wall, size, name, cpu in big[:5]:
        print(f"  {per:.3f} s/MiB wall ({cpu / (size / MIB):.3f} CPU)  {dt * 1000:.0f} ms  {size >> 10} KiB  {name}")
    print("slowest per MiB, inputs of 1 KiB or more:")
    for per, dt, _wall, size, name, cpu in [r for r in rows if r[3] >= 1024][:3]:
        print(f"  {per:.3f} s/MiB wall ({cpu / (size / MIB):.3f} CPU)  {dt * 1000:.1f} ms  {size >> 10} KiB  {name}")
    walls = sorted((r for r in rows if r[2] is not None), key=lambda r: r[2][0] if r[2] else 0.0, reverse=True)
    if walls:
        print("slowest `kcrashd analyze` (best of 2), start-up included:")
        for _per, _dt, cli, size, name, _cpu in walls[:3]:
            assert cli is not None
            print(f"  {cli[0]:.3f} s wall, {cli[1]:.3f} s CPU  {size >> 10} KiB  {name}")
    worst_per = big[0][0] if big else 0.0
    worst_wall = walls[0][2][0] if walls and walls[0][2] else 0.0
    ok = worst_per < PER_MIB_TARGET and worst_wall < WALL_TARGET
    print(f"targets: < {PER_MIB_TARGET} s/MiB: {worst_per:.3f}; < {WALL_TARGET} s wall: {worst_wall:.3f} -> "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
