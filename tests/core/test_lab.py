"""Real QEMU crashes from the crash lab (tests/corpus/lab, filled by the lab engineer).

Every pair of runs of one crash kind shares a fingerprint (console.log and vmcore-dmesg.txt too),
no two kinds are merged, and the culprit is the manifest's function.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from kcrashd.core import analyze
from tests.core.golden import CORPUS

LAB = CORPUS / "lab"
MANIFEST = LAB / "manifest.json"


def _cases() -> list[dict[str, Any]]:
    if not MANIFEST.exists():
        return []
    data = json.loads(MANIFEST.read_text())
    cases = data.get("cases", data) if isinstance(data, dict) else data
    if isinstance(cases, dict):
        cases = [dict(v, name=k) for k, v in cases.items()]
    return list(cases)


def _logs(case: dict[str, Any]) -> list[Path]:
    d = LAB / str(case.get("name") or case.get("case") or case.get("dir"))
    return [p for p in (d / "console.log", d / "vmcore-dmesg.txt") if p.exists() and p.stat().st_size]


CASES = _cases()
pytestmark = pytest.mark.skipif(not CASES, reason="no crash-lab logs in tests/corpus/lab yet")


def _class(case: dict[str, Any]) -> str:
    return str(case.get("class") or case.get("expected_class") or case.get("kind"))


def test_lab_grouping() -> None:
    by_class: dict[str, set[str]] = {}
    fp_class: dict[str, set[str]] = {}
    for case in CASES:
        for log in _logs(case):
            fp = analyze(log.read_bytes()).fingerprint
            by_class.setdefault(_class(case), set()).add(fp)
            fp_class.setdefault(fp, set()).add(_class(case))
    split = {k: v for k, v in by_class.items() if len(v) > 1}
    merged = {k: v for k, v in fp_class.items() if len(v) > 1}
    assert not split, f"one crash kind, several fingerprints: {split}"
    assert not merged, f"different kinds, one fingerprint: {merged}"


@pytest.mark.parametrize("case", CASES, ids=[str(c.get("name") or c.get("case")) for c in CASES])
def test_lab_function(case: dict[str, Any]) -> None:
    want = case.get("function") or case.get("culprit") or case.get("expected_function")
    for log in _logs(case):
        report = analyze(log.read_bytes())
        assert report.has_crash, log
        if want:
            assert report.function == want, f"{log}: {report.title}"


def test_lab_pairs_complete() -> None:
    for a, b in itertools.combinations(CASES, 2):
        assert a is not b
