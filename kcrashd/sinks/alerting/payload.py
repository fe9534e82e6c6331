"""What an alert says: built once from a CrashRecord (or a digest), stored in the outbox.

The stored payload holds no secrets and only what the target may receive (`include_trace`,
`include_host` are applied before it is stored). Targets render it in their own format.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field

from kcrashd.model.bugkey import alert_key, has_fingerprint
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.journal import MESSAGE_ID


class EventKind(StrEnum):
    NEW = "new"  # first crash of a fingerprint (or first after the cooldown)
    RECURRENCE = "recurrence"  # seen again: a ticket comment
    LOOP = "loop"  # digest: one host crash-looping
    STORM = "storm"  # digest: many hosts within a window
    TEST = "test"  # notify-test
    REGRESSION = "regression"  # a ticket target found the bug's ticket closed: the bug is back


class AlertPayload(BaseModel):
    """The content of one alert; documented field by field in docs/webhook-schema.md."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    event: EventKind
    crash_id: str
    title: str
    kind: str
    severity: str
    function: str | None = None
    fingerprint: str
    host: str | None = None
    kernel: str | None = None
    crash_time: datetime
    first_seen: datetime
    count: int = 1
    hosts: int = 1
    dump_dir: str | None = None
    excerpt: list[str] = Field(default_factory=list)
    journal_command: str
    test: bool = False
    incomplete: bool = False
    digest: dict[str, int] = Field(default_factory=dict)  # fingerprint/host -> crashes, for digests
    digest_titles: dict[str, str] = Field(default_factory=dict)
    similar_fingerprint: str | None = None  # a new fingerprint possibly the same bug as this one
    similar_score: float | None = None
    regressed: bool = False  # the bug's ticket was closed and it crashed again
    regression_of: str | None = None  # the closed ticket (URL, or its id)
    quiet_since: datetime | None = None  # the bug's previous crash, when older than quiet_days

    @computed_field  # type: ignore[prop-decorator]
    @property
    def notes(self) -> list[str]:
        """The history lines as text ("regressed: ...", "first crash of FP since ..."), for webhooks."""
        return [text for _, text in history_lines(self)]

    @property
    def headline(self) -> str:
        prefix = "[TEST] " if self.test else ""
        if self.event is EventKind.STORM:
            return f"{prefix}Kernel crash storm: {self.hosts} hosts, {self.count} crashes, {len(self.digest)} bugs"
        if self.event is EventKind.LOOP:
            return f"{prefix}Kernel crash loop on {self.host or 'a host'}: {self.count} crashes"
        if self.event is EventKind.REGRESSION:
            prefix += "Regressed: "
        return prefix + self.title

    def restricted(self, *, include_trace: bool, include_host: bool) -> AlertPayload:
        """The payload a target may receive: trace excerpt, host names and dump paths removable."""
        update: dict[str, object] = {}
        if not include_trace:
            update["excerpt"] = []
        if not include_host:
            update["host"] = None
            update["dump_dir"] = None
            if self.event is EventKind.LOOP:
                update["crash_id"] = "loop"
        return self.model_copy(update=update) if update else self


def journal_command(fingerprint: str) -> str:
    return f"journalctl MESSAGE_ID={MESSAGE_ID} KCRASHD_FINGERPRINT={fingerprint}"


def crash_journal_command(record: CrashRecord) -> str:
    """The journal entries of this bug, or of this one dump when its log showed no crash."""
    if has_fingerprint(record.report):
        return journal_command(record.report.fingerprint)
    return f"journalctl MESSAGE_ID={MESSAGE_ID} KCRASHD_CRASH_ID={record.crash_id}"


def build_payload(record: CrashRecord, event: EventKind = EventKind.NEW) -> AlertPayload:
    """The alert content of one crash."""
    report = record.report
    fp = alert_key(record)
    return AlertPayload(
        event=event,
        crash_id=record.crash_id,
        title=report.title or "kernel crash (no title)",
        kind=report.kind,
        severity=str(report.severity),
        function=report.function,
        fingerprint=fp,
        host=record.host,
        kernel=report.kernel_release or (record.vmcore.kernel_release if record.vmcore else None),
        crash_time=record.crash_time,
        first_seen=record.first_seen,
        count=record.count,
        hosts=record.hosts,
        dump_dir=record.dump_dir,
        excerpt=list(report.excerpt[:60]),
        journal_command=crash_journal_command(record),
        test=record.test,
        incomplete=record.incomplete,
        similar_fingerprint=record.similar_fingerprint,
        similar_score=record.similar_score,
    )


def build_test_payload(now: datetime) -> AlertPayload:
    """A clearly marked test alert for `kcrashd notify-test`."""
    fp = "kcrash-test-0000000000"
    return AlertPayload(
        event=EventKind.TEST,
        crash_id=f"test-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        title="kcrashd test alert: not a real crash (sent by kcrashd notify-test)",
        kind="test",
        severity="info",
        fingerprint=fp,
        host=None,
        crash_time=now,
        first_seen=now,
        journal_command=journal_command(fp),
        test=True,
        excerpt=["This is a test message from kcrashd notify-test.", "No kernel crashed."],
    )


def history_lines(payload: AlertPayload) -> list[tuple[str, str]]:
    """What the bug's history says about this crash: it regressed, it came back after a quiet period."""
    rows: list[tuple[str, str]] = []
    if payload.regressed:
        closed = f"ticket {payload.regression_of} was closed" if payload.regression_of else "its ticket was closed"
        rows.append(("Regressed", f"regressed: {closed} and {payload.fingerprint} crashed again"))
    if payload.quiet_since:
        rows.append(("Quiet", f"first crash of {payload.fingerprint} since {payload.quiet_since.astimezone(UTC):%Y-%m-%d %H:%M} UTC"))
    return rows


def summary_lines(payload: AlertPayload) -> list[tuple[str, str]]:
    """(label, value) pairs every human-readable target shows, in order; raw, unescaped."""
    rows: list[tuple[str, str]] = []
    if payload.event in (EventKind.STORM, EventKind.LOOP):
        rows.append(("Crashes", str(payload.count)))
        if payload.event is EventKind.STORM:
            rows.append(("Hosts", str(payload.hosts)))
        for key, n in sorted(payload.digest.items(), key=lambda kv: -kv[1])[:20]:
            title = payload.digest_titles.get(key, "")
            rows.append((key, f"{n} × {title}" if title else str(n)))
        rows.append(("Since", payload.first_seen.isoformat()))
        return rows
    rows += [("Kind", payload.kind), ("Severity", payload.severity)]
    if payload.function:
        rows.append(("Function", payload.function))
    rows.append(("Fingerprint", payload.fingerprint))
    if payload.host:
        rows.append(("Host", payload.host))
    if payload.kernel:
        rows.append(("Kernel", payload.kernel))
    rows.append(("Crash time", payload.crash_time.isoformat()))
    rows.append(("Count", f"{payload.count} (on {payload.hosts} host{'s' if payload.hosts != 1 else ''})"))
    rows.append(("First seen", payload.first_seen.isoformat()))
    if payload.dump_dir:
        rows.append(("Dump", payload.dump_dir))
    if payload.incomplete:
        rows.append(("Note", "dump incomplete"))
    rows += history_lines(payload)
    if payload.similar_fingerprint:
        rows.append(("Similar", f"possibly the same bug as {payload.similar_fingerprint} ({payload.similar_score or 0:.3f})"))
    rows.append(("Journal", payload.journal_command))
    return rows
