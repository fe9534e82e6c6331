"""Measure `kcrashd similar`: its quality on the development corpora, its latency over a big store.

    python bench/similar.py recall [--threshold 0.75] [--corpus syzkaller|lab|both]
    python bench/similar.py latency [--crashes 10000]

`recall`: every crash log of the development part (the sealed part is never read, docs/corpus.md)
is analysed; for each crash that has another crash of the same bug in its corpus (syzkaller: a
title in common; lab: the same kind of trigger), the other crashes are ranked by stack similarity
(kcrashd.core.similarity), and recall at 1 and at 5 says how often a crash of the same bug is the
nearest neighbour, or among the five nearest.  `above` is how often a pair of crashes of different
bugs scores at or above the threshold, over all such pairs; `nearest wrong above` how often a
crash's nearest neighbour is another bug and scores at or above the threshold (the case in which
the journal would name a wrong "possibly the same bug"); `nearest right above` how often it is the
same bug and scores at or above it (the journal names the right one).

`latency`: a real state database with N crashes (real lab logs, recorded through the store, their
stacks varied so that they are not all the same), then `kcrashd similar ID` as a subprocess,
timed end to end (median of 5), and the in-process ranking alone.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "core"))

from corpus_score import Case, lab_cases, syzkaller_cases  # noqa: E402

from kcrashd.core import analyze  # noqa: E402
from kcrashd.core.similarity import DEFAULT_WEIGHTS, Stack, Weights, frame_rarity, rank, similarity, stack_of  # noqa: E402


def development(cases: list[Case]) -> list[tuple[frozenset[str], Stack]]:
    """(bug, stack) of every development crash log with a stack."""
    out = []
    for case in cases:
        if case.sealed or not case.has_crash or not case.bug:
            continue
        stack = stack_of(analyze(case.log()))
        if stack:
            out.append((case.bug, stack))
    return out


def recall(items: list[tuple[frozenset[str], Stack]], threshold: float, weights: Weights) -> dict[str, float]:
    rarity = frame_rarity(stack for _, stack in items)
    hit1 = hit5 = queries = wrong_above = right_above = 0
    for n, (bug, stack) in enumerate(items):
        if not any(other & bug for m, (other, _) in enumerate(items) if m != n):
            continue
        queries += 1
        others = [(m, s) for m, (_, s) in enumerate(items) if m != n]
        top = rank(stack, others, rarity, 5, weights)
        same = [bool(items[m][0] & bug) for m, _ in top]
        hit1 += bool(same[:1] and same[0])
        hit5 += any(same)
        wrong_above += bool(top and not same[0] and top[0][1] >= threshold)
        right_above += bool(top and same[0] and top[0][1] >= threshold)
    above = pairs = 0
    for (a_bug, a), (b_bug, b) in itertools.combinations(items, 2):
        if a_bug & b_bug:
            continue
        pairs += 1
        above += similarity(a, b, rarity, weights) >= threshold
    return {"crashes": len(items), "queries": queries, "recall@1": hit1 / max(queries, 1), "recall@5": hit5 / max(queries, 1),
            "different-bug pairs": pairs, "above": above / max(pairs, 1), "nearest wrong above": wrong_above / max(queries, 1),
            "nearest right above": right_above / max(queries, 1)}  # fmt: skip


def cmd_recall(args: argparse.Namespace) -> None:
    corpora = {"syzkaller": syzkaller_cases, "lab": lab_cases}
    names = list(corpora) if args.corpus == "both" else [args.corpus]
    for name in names:
        items = development(corpora[name]())
        result = recall(items, args.threshold, DEFAULT_WEIGHTS)
        print(f"{name}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()))


def cmd_latency(args: argparse.Namespace) -> None:
    from fill_store import fill_store  # tests/grouping/fill_store.py: the same store the tests use

    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        started = time.monotonic()
        ids = fill_store(state, args.crashes)
        print(f"store: {args.crashes} crashes recorded in {time.monotonic() - started:.1f} s")
        command = [sys.executable, "-m", "kcrashd", "similar", "--state-dir", str(state), ids[len(ids) // 2]]
        times = []
        for _ in range(5):
            begin = time.monotonic()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
            times.append(time.monotonic() - begin)
        print(f"kcrashd similar over {args.crashes} crashes: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), process start included")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="part", required=True)
    rec = verbs.add_parser("recall")
    rec.add_argument("--threshold", type=float, default=0.75)
    rec.add_argument("--corpus", choices=("syzkaller", "lab", "both"), default="both")
    rec.set_defaults(func=cmd_recall)
    lat = verbs.add_parser("latency")
    lat.add_argument("--crashes", type=int, default=10000)
    lat.set_defaults(func=cmd_latency)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests" / "grouping"))
    args.func(args)


if __name__ == "__main__":
    main()
