"""The explanation of a fingerprint (kcrashd.core.explanation) agrees with triage on every corpus
log, and hashing the text it shows gives the fingerprint."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from kcrashd.core import analyze
from kcrashd.core.explanation import explain, explain_report
from kcrashd.core.fingerprint import PREFIX

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "core"))
from corpus_score import lab_cases, syzkaller_cases  # noqa: E402

LAB = ROOT / "corpus" / "lab"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def corpus_logs() -> list[tuple[str, bytes]]:
    return [(c.id, c.log()) for c in (*syzkaller_cases(), *lab_cases()) if c.has_crash]


def test_agrees_with_triage_on_every_corpus_log() -> None:
    reasons: set[str] = set()
    explained = 0
    for name, log in corpus_logs():
        exp = explain(log)
        report = analyze(log)
        assert exp.report == report, name
        if not report.fingerprint:
            continue
        assert PREFIX + digest(exp.hashed) == report.fingerprint, name
        assert PREFIX + "s-" + digest(exp.strict_hashed) == report.strict_fingerprint, name
        assert exp.aliases == report.fingerprint_aliases
        if exp.signature is None:
            continue
        explained += 1
        assert exp.signature == report.signature, name
        assert exp.culprit == report.function, name
        skipped = [s.function for s in exp.skipped]
        assert exp.culprit not in skipped, name
        assert skipped == exp.candidates[: len(skipped)], name  # passed over in walking order
        reasons |= {s.reason.split(":")[0] for s in exp.skipped}
    assert explained > 300
    assert "reporting machinery (the messenger, not the bug)" in reasons
    assert "a wait or lock primitive the hung task sleeps in" in reasons


def test_hung_task_walk() -> None:
    exp = explain((LAB / "deb11-5.10_hung-task_run1" / "vmcore-dmesg.txt").read_bytes())
    assert exp.signature == "hung-task" and exp.strategy == "hang"
    assert exp.header_line.startswith("INFO: task ") and "blocked for more than" in exp.header_line
    assert exp.culprit == "lab_trigger_hung_task"
    assert [s.function for s in exp.skipped][:3] == ["__schedule", "schedule", "schedule_timeout"]
    assert exp.hashed == "hang in lab_trigger_hung_task"
    assert exp.hashed_from == "bucket alternative 'hang in lab_trigger_hung_task'"


def test_report_alone_still_explains_the_hash() -> None:
    report = analyze((LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt").read_bytes())
    exp = explain_report(report)
    assert exp.signature is None and exp.hashed == "WARNING in lab_trigger_warning" and exp.hashed_from == "title"
    assert PREFIX + digest(exp.hashed) == report.fingerprint


@pytest.mark.parametrize("log", [b"", b"just a line\n", "\x00\xff garbage".encode("latin-1")])
def test_no_crash(log: bytes) -> None:
    exp = explain(log)
    assert exp.signature is None and exp.hashed == "" and not exp.report.has_crash
