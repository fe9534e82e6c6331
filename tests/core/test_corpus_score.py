"""Agreement with syzkaller's expected titles on the dev corpus (tuned on even ids, odd ids held out).

Targets from the brief: title >= 0.90, function >= 0.95, pair F1 >= 0.95.  The floors below are
the measured level (regression guard); the targets are asserted separately and xfail until met.
"""

from __future__ import annotations

import pytest

from tests.core.corpus_score import case_number, load_cases, score

FLOOR = {"title": 0.87, "function": 0.82, "f1": 0.90}
TARGET = {"title": 0.90, "function": 0.95, "f1": 0.95}


@pytest.fixture(scope="module")
def scores() -> dict[str, object]:
    cases = load_cases()
    return {
        "all": score(cases),
        "even": score([c for c in cases if case_number(c) % 2 == 0]),
        "odd": score([c for c in cases if case_number(c) % 2 == 1]),
    }


def test_no_regression(scores: dict[str, object]) -> None:
    s = scores["all"]
    for key, floor in FLOOR.items():
        assert getattr(s, key) >= floor, f"{key}: {getattr(s, key):.3f} < {floor} ({s.line()})"  # type: ignore[attr-defined]


def test_no_crash_logs_give_no_title(scores: dict[str, object]) -> None:
    ok, n = scores["all"].nocrash.split("/")  # type: ignore[attr-defined]
    assert int(ok) >= int(n) - 6


@pytest.mark.xfail(reason="targets not reached yet; see corpus_score.py output", strict=False)
@pytest.mark.parametrize("half", ["even", "odd", "all"])
def test_targets(scores: dict[str, object], half: str) -> None:
    s = scores[half]
    print(half, s.line())  # type: ignore[attr-defined]
    for key, target in TARGET.items():
        assert getattr(s, key) >= target, f"{half} {key}: {getattr(s, key):.3f} < {target}"  # type: ignore[attr-defined]
