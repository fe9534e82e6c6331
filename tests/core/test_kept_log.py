"""What of a log the state keeps for retriage (kcrashd.core.kept_log): a small log whole; of a big
one, at most 64 KiB around the report triage chose, and a retriage of it keys the crash as the
whole log did, with the file's line numbers and the cut ranges as `unread`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcrashd.core import analyze
from kcrashd.core.kept_log import KEEP_BYTES, NOT_KEPT, keep_log
from tests.core.golden import CORPUS

LAB = CORPUS / "lab"
CASES = sorted(p.parent.name for p in LAB.glob("deb12-6.1_*_run1/vmcore-dmesg.txt"))


def filler(size: int) -> bytes:
    """`size` bytes of an ordinary boot (no report header): the lines before the crash of a lab log."""
    text = (LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt").read_bytes()
    boot = text[: text.index(b"------------[ cut here ]")]
    boot = boot[: boot.rindex(b"\n") + 1]
    return boot * (size // len(boot) + 1)


def test_a_small_log_is_kept_whole() -> None:
    data = (LAB / CASES[0] / "vmcore-dmesg.txt").read_bytes()
    assert len(data) <= KEEP_BYTES and keep_log(data, analyze(data)) is data


@pytest.mark.parametrize("case", CASES)
def test_a_big_log_keeps_the_report(case: str) -> None:
    crash = (LAB / case / "vmcore-dmesg.txt").read_bytes()
    data = filler(300_000) + crash + filler(200_000)
    whole = analyze(data)
    kept = keep_log(data, whole)
    own = kept.count(b"\n") - kept.count(b"\x00kcrashd:")  # the log's own lines, marks left out
    assert len(kept) <= KEEP_BYTES + 4096 and own > 0
    again = analyze(kept)
    assert (again.fingerprint, again.title, again.function) == (whole.fingerprint, whole.title, whole.function)
    assert [e.line for e in again.preceding] == [e.line for e in whole.preceding]  # the file's line numbers
    assert any(u.reason == NOT_KEPT for u in again.unread)


def test_the_head_is_not_what_is_kept(tmp_path: Path) -> None:
    """The report is 1 MiB into the log: the head alone would hold no crash."""
    crash = (LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt").read_bytes()
    data = filler(1 << 20) + crash
    kept = keep_log(data, analyze(data))
    assert analyze(data[:KEEP_BYTES]).fingerprint == "" and analyze(kept).fingerprint == analyze(data).fingerprint
