"""Real QEMU crashes from the crash lab (tests/corpus/lab, made by `python3 -m lab corpus`).

Every pair of runs of one crash kind shares a fingerprint (console.log and vmcore-dmesg.txt too),
no two kinds are merged, and the culprit is the manifest's function.

A log counts when it shows the crash: the manifest's culprit appears in one of its stack lines
(`func+0x...`).  That is decided from the log text, not by kcrashd: a kernel stack overflow, for
instance, kills the serial console before anything is printed, and only the dump's
vmcore-dmesg.txt has the report.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from kcrashd.core import analyze, has_crash
from tests.core.corpus_score import DETECTED_ELSEWHERE
from tests.core.golden import CORPUS

LAB = CORPUS / "lab"
MANIFEST = LAB / "manifest.json"
LOG_NAMES = ("console.log", "vmcore-dmesg.txt")


def _cases() -> list[dict[str, Any]]:
    if not MANIFEST.exists():
        return []
    data = json.loads(MANIFEST.read_text())
    cases = data.get("cases", data) if isinstance(data, dict) else data
    if isinstance(cases, dict):
        cases = [dict(v, name=k) for k, v in cases.items()]
    return [c for c in cases if c.get("reproduced", True)]


def _name(case: dict[str, Any]) -> str:
    return str(case.get("name") or case.get("case") or case.get("dir"))


def _function(case: dict[str, Any]) -> str:
    return str(case.get("function") or case.get("culprit") or case.get("expected_function") or "")


def _class(case: dict[str, Any]) -> str:
    return str(case.get("class") or case.get("expected_class") or case.get("kind"))


def _all_logs(case: dict[str, Any]) -> list[Path]:
    files = case.get("files")
    if isinstance(files, dict) and files:
        paths = [LAB / str(p) for p in files.values()]
    else:
        paths = [LAB / _name(case) / name for name in LOG_NAMES]
    return [p for p in paths if p.name in LOG_NAMES and p.exists() and p.stat().st_size]


def shows_crash(log: Path, function: str) -> bool:
    """Whether the log has a stack or PC line naming the expected culprit."""
    if not function:
        return True
    text = log.read_text(encoding="utf-8", errors="replace")
    return re.search(rf"\b{re.escape(function)}(?:\.\w+)*\+0x", text) is not None


def _logs(case: dict[str, Any]) -> list[Path]:
    """The logs in which the kernel printed the crash (a stack overflow can kill the console)."""
    unnamed = case.get("culprit_in_trace") is False
    return [
        p for p in _all_logs(case) if shows_crash(p, _function(case)) or (unnamed and has_crash(p.read_bytes()))
    ]


CASES = _cases()

# Logs that cannot share their bug's fingerprint because the kernel printed no name of the culprit and
# the other run of the kind did: bug_run2's PSW is the start of the next function (the BUG()'s monitor
# call was its function's last instruction) and its Last Breaking-Event-Address a lowcore address
# (0x400), so only the caller in r14 is named; test_lab_function still asks for a culprit.
# arm64's and s390's fortify checks call the noreturn fortify_panic() (6.12: __fortify_panic()) as their
# function's last instruction, so the trace shows the next function at +0x0 (dropped) and then only
# lab_write, the trigger's caller.
UNNAMED_APART = {
    "deb12-6.1-s390x_bug_run2",
    *(f"deb12-6.1-{arch}_fortify_run{n}" for arch in ("arm64", "s390x") for n in (1, 2)),
    *(f"deb13-6.12-arm64_fortify_run{n}" for n in (1, 2)),
    *(f"sid-7.2-arm64_fortify_run{n}" for n in (1, 2)),
}

pytestmark = pytest.mark.skipif(not CASES, reason="no crash-lab manifest in tests/corpus/lab yet")


def _bug(case: dict[str, Any]) -> str:
    """One bug per lab kind (several kinds share a class: paging-fault, bug, ...) and the class the kernel reported it
    as: where a kernel release prints the kind as another report (lab Kind.cls_before: 5.10's x86 fault handler names a
    fault above the stack a guard-page hit, 6.x a page fault), the two reports are keyed apart, as the kernel told them."""
    return f"{case.get('kind') or _class(case)}:{_class(case)}"


def test_lab_grouping() -> None:
    by_bug: dict[str, set[str]] = {}
    fp_bug: dict[str, set[str]] = {}
    for case in CASES:
        if _name(case) in UNNAMED_APART | DETECTED_ELSEWHERE:
            continue  # test_lab_function still asks for its culprit
        for log in _logs(case):
            fp = analyze(log.read_bytes()).fingerprint
            by_bug.setdefault(_bug(case), set()).add(fp)
            fp_bug.setdefault(fp, set()).add(_bug(case))
    split = {k: v for k, v in by_bug.items() if len(v) > 1}
    # LKDTM's EXEC_NULL and EXEC_DATA both reach execute_location (drivers/misc/lkdtm/perms.c), which calls the bad
    # pointer: a call through NULL is keyed on `null-call in F` (kcrashd/core/null_call.py), a jump into data on
    # `bad-access in F`, two bugs as the lab counts them.
    merged = {k: v for k, v in fp_bug.items() if len(v) > 1}
    assert not split, f"one bug, several fingerprints: {split}"
    assert not merged, f"different bugs, one fingerprint: {merged}"


@pytest.mark.parametrize("case", CASES, ids=[_name(c) for c in CASES])
def test_lab_function(case: dict[str, Any]) -> None:
    want = _function(case)
    logs = _logs(case)
    assert logs, f"{_name(case)}: no log shows the crash"
    # Where the kernel never printed the culprit's name (arm64 panic(): the return address points
    # past the caller into the next function), no parser can name it; the nearest caller is given.
    printed = case.get("culprit_in_trace", True) is not False or case.get("arch") == "x86_64"
    for log in logs:
        report = analyze(log.read_bytes())
        assert report.has_crash, log
        if _name(case) in DETECTED_ELSEWHERE:
            assert report.function and report.function != want, f"{log}: {report.title}"
        elif want and printed:
            assert report.function == want, f"{log}: {report.title}"
        elif want:
            assert report.function, f"{log}: no culprit at all"


def test_lab_pairs_complete() -> None:
    for a, b in itertools.combinations(CASES, 2):
        assert a is not b


def test_silent_logs_are_rare() -> None:
    """Only the kinds that kill the console may have a log without the crash."""
    silent = [str(p) for case in CASES for p in _all_logs(case) if not shows_crash(p, _function(case))]
    assert len(silent) <= max(2, len(CASES) // 8), silent
