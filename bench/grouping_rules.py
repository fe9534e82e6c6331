"""Measure what the operator's grouping rules cost triage (docs/grouping-rules.md).

    python bench/grouping_rules.py [--rounds 3]

Every log of the golden corpus (tests/corpus: syzkaller, seed, edge, lab) is analysed in this
process without rules, with overrides only (two overrides, one with a title pattern), and with
frame rules too (the log is titled a second time with the adjusted culprit walk); CPU seconds
(process time) of the whole corpus, best of `--rounds`, each round with the core's per-line
memo tables emptied first, and how many reports the rules changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kcrashd.core import analyze, clear_caches
from kcrashd.core.operator_rules import FrameRule, Match, OperatorRules, Override
from tests.core.golden import golden_cases

OVERRIDES = (
    Override(name="init died", match=Match(kind=("init-exit", "init-signal")), key="init died"),
    Override(name="warnings", match=Match(kind=("warning",), title=r"^WARNING in [a-z_]+_(?:get|put)"), extra="refcount"),
)
SETS = {
    "none": None,
    "overrides": OperatorRules(overrides=OVERRIDES),
    "frames+overrides": OperatorRules(
        frames=(FrameRule(name="lab", skip=("lab_trigger_*",)), FrameRule(name="join", join=("lab_write", "kmalloc*"))),
        overrides=OVERRIDES,
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logs = [(case.name, case.data()) for case in golden_cases()]
    plain = {name: analyze(data, source=name) for name, data in logs}
    for label, rules in SETS.items():
        best = float("inf")
        for _ in range(args.rounds):
            clear_caches()  # every round starts with the per-line memo tables empty
            start = time.process_time()
            reports = [analyze(data, source=name, rules=rules) for name, data in logs]
            best = min(best, time.process_time() - start)
        changed = sum(report != plain[name] for (name, _), report in zip(logs, reports, strict=True))
        print(f"{label:18} {len(logs)} logs  {best:6.2f} s CPU  {1000 * best / len(logs):6.2f} ms/log  {changed} reports changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
