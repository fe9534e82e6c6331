"""Fuzzing triage: no input makes it fail, and no input's cost grows faster than its size.

Deterministic (fixed seeds) and bounded: FUZZ_SECONDS (default 20) of corpus mutations, then every
input family at two sizes.  `make fuzz` runs the mutations longer (FUZZ_SECONDS=600 by default);
bench/fuzz.py measures the absolute speed (`kcrashd analyze` start-up included).
"""

from __future__ import annotations

import os
import time

import pytest

from kcrashd.core import analyze, has_crash
from tests.core.fuzz_inputs import SEED_TITLE, Family, best_time, families, mutations

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "20"))
MIN_MUTATIONS = 200
SMALL, BIG = 1500, 3000  # repeats of a family's piece: about 5-250 KiB of input
INTERNAL = "internal error"


def _survives(data: bytes) -> str | None:
    """None when triage handled `data`, else what went wrong."""
    report = analyze(data, source="fuzz")
    if (report.corrupted_reason or "").startswith(INTERNAL):
        return report.corrupted_reason
    try:
        has_crash(data)
    except Exception as exc:  # has_crash must never raise either
        return f"has_crash raised {type(exc).__name__}"
    return None


def test_mutated_corpus_logs_never_break_triage() -> None:
    deadline = time.monotonic() + FUZZ_SECONDS
    failures: list[str] = []
    for count, data in enumerate(mutations(seed=2026), start=1):
        problem = _survives(data)
        if problem is not None:
            failures.append(f"input #{count} ({len(data)} bytes): {problem}")
        if count >= MIN_MUTATIONS and time.monotonic() > deadline:
            break
    assert not failures, "\n".join(failures[:10])


def _cost(data: bytes) -> float:
    return max(best_time(data)[1], 1e-4)  # below the clock's grain a ratio means nothing


FAMILIES = families()


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_input_families_cost_grows_linearly(family: Family) -> None:
    small, big = family.build(SMALL), family.build(BIG)
    report = analyze(big)
    assert not (report.corrupted_reason or "").startswith(INTERNAL), report.corrupted_reason
    if family.seed_wins:
        assert report.title == SEED_TITLE, "the flood hid the real report"
    ratio = _cost(big) / _cost(small)
    if ratio > 3.0:  # a busy machine: measure again before calling it superlinear
        ratio = min(ratio, _cost(big) / _cost(small))
    assert ratio <= 3.0, f"{family.name}: x{ratio:.1f} for x{len(big) / len(small):.1f} input"
