"""A CrashRecord built by hand, for tests of the journal fields without any dump on disk."""

from __future__ import annotations

from datetime import UTC, datetime

from kcrashd.core.model import Report, Severity
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.journal import journal_fields


def sample_record(**changes: object) -> CrashRecord:
    when = datetime(2024, 5, 1, 10, tzinfo=UTC)
    report = Report(title="Oops \x1b[2Jin \u202efoo", kind="oops", severity=Severity.CRITICAL, fingerprint="kc1-abc")
    record = CrashRecord(
        crash_id="0" * 32, report=report, host="h\x07ost", dump_dir="/var/crash/x", layout="rhel-kdump",
        crash_time=when, detected_at=when, first_seen=when,
    )  # fmt: skip
    return record.model_copy(update=changes)


def test_escapes_log_text() -> None:
    fields = journal_fields(sample_record())
    assert fields["KCRASHD_TITLE"] == "Oops \\x1b[2Jin \\u202efoo"
    assert fields["KCRASHD_HOST"] == "h\\x07ost"
    assert "\x1b" not in fields["MESSAGE"]


def test_report_json_stays_under_4k() -> None:
    from kcrashd.core.model import Frame

    frames = [Frame(function=f"function_{i}_" + "x" * 100) for i in range(200)]
    big = sample_record(report=Report(title="t", kind="oops", frames=frames, excerpt=["y" * 200] * 100))
    assert len(journal_fields(big)["KCRASHD_REPORT_JSON"].encode()) < 4096
