"""The persistent outbox: one row per (crash or digest, target), delivered at least once.

Rows are written by `enqueue` inside the caller's transaction, so a crash record and its alert
intents commit together. The `Deliverer` claims due rows with a lease (`sending`), makes one
attempt, and either finishes the row, schedules the next attempt in the table (full-jitter
backoff, at least Retry-After) or gives up loudly (permanent error, or older than max age).
A process killed mid-send leaves a `sending` row whose lease expires: it is sent again, and
each target's own idempotency key (webhook-id, dedup_key, labels, alias, ticket search)
makes the repeat harmless where the target supports it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kcrashd.config.alerting import AlertsConfig, Category, TargetConfig, TicketBase
from kcrashd.model.bugkey import alert_key
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting.payload import AlertPayload, EventKind, build_payload, journal_command
from kcrashd.sinks.alerting.policy import (
    Decision,
    Plan,
    matches,
    plan_crash,
    plan_regression,
    targets_of,
    windows_of,
)
from kcrashd.sinks.alerting.secrets import redact
from kcrashd.sinks.journal import Alarm, send_alarm
from kcrashd.store.alert_tables import WAITING, AlertHistory, OutboxRow, OutboxTable, Windows
from kcrashd.store.database import ensure_schema

if TYPE_CHECKING:
    import sqlite3

__all__ = ["EPSILON", "Alarm", "Clock", "Journal", "build_digest", "enqueue", "ensure_schema", "journal_send", "utcnow"]

# Claims look this far ahead: datetime arithmetic rounds to microseconds, so "now + wait"
# may land a hair before the due time.
EPSILON = 0.001


Clock = Callable[[], datetime]
Journal = Alarm


def utcnow() -> datetime:
    return datetime.now(UTC)


def journal_send(message: str, priority: int = 2, **fields: str) -> None:
    """A delivery failure, secrets redacted, through the journal sink's one writer."""
    send_alarm(redact(message), priority, **{key: redact(value) for key, value in fields.items()})


def machine_id(alerts: AlertsConfig) -> str:
    try:
        return Path(alerts.machine_id_path).read_text(encoding="ascii").strip() or "unknown"
    except OSError:
        return "unknown"


def delivery_key(machine: str, subject: str, target: str, event: str) -> str:
    """Per-delivery key: stable across retries and restarts, unique per host (alerting.md 1)."""
    raw = f"{machine}\0{subject}\0{target}\0{event}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def _insert(
    conn: sqlite3.Connection,
    target: TargetConfig,
    *,
    crash_id: str | None,
    digest_id: int | None,
    event: EventKind,
    fingerprint: str,
    payload: AlertPayload | None,
    idem: str,
    at: float,
    expires: float,
) -> int:
    body = (
        payload.restricted(include_trace=target.include_trace, include_host=target.include_host)
        if payload
        else None
    )
    row = OutboxRow(
        target=target.name, crash_id=crash_id, digest_id=digest_id, event=str(event), fingerprint=fingerprint,
        idem_key=idem, payload=body.model_dump_json() if body else "{}", at=at, expires=expires,
    )  # fmt: skip
    return OutboxTable(conn).add(row)


def enqueue(
    conn: sqlite3.Connection, record: CrashRecord, alerts: AlertsConfig, *, now: datetime, page: bool = True
) -> int:
    """Add this crash's alert intents to the outbox inside the caller's transaction; rows added."""
    history = AlertHistory(conn)
    key = alert_key(record)
    w = windows_of(record, alerts, now)
    facts = history.facts(record.crash_id, key, record.host, w)
    plan = plan_crash(record, facts, alerts, now=now, page=page)
    if plan.decision is Decision.DUPLICATE:
        return 0
    digests = write_plan(history, record, key, w, plan, now.timestamp())
    ts = now.timestamp()
    expires = ts + alerts.retry.max_age_hours * 3600
    machine = machine_id(alerts)
    payload = build_payload(record).model_copy(update={
        "count": max(record.count, facts.crashes), "hosts": max(record.hosts, facts.hosts),
        "quiet_since": plan.quiet_since,
    })  # fmt: skip
    added = 0
    if plan.notify:
        for target in targets_of(alerts, Category.NOTIFY):
            if matches(target, record):
                added += _insert(
                    conn, target, crash_id=record.crash_id, digest_id=None, event=EventKind.NEW,
                    fingerprint=payload.fingerprint, payload=payload,
                    idem=delivery_key(machine, record.crash_id, target.name, "new"), at=ts, expires=expires,
                )  # fmt: skip
    for target, event in ticket_events(alerts, record, plan):
        added += _insert(
            conn, target, crash_id=record.crash_id, digest_id=None, event=event,
            fingerprint=payload.fingerprint, payload=payload.model_copy(update={"event": event}),
            idem=delivery_key(machine, record.crash_id, target.name, str(event)), at=ts, expires=expires,
        )  # fmt: skip
    delay = alerts.policy.digest_delay_minutes * 60
    for digest_id, kind in digests:
        digest_key = f"{kind}-{machine[:12]}-{digest_id}"
        for target in targets_of(alerts, Category.NOTIFY):
            added += _insert(
                conn, target, crash_id=None, digest_id=digest_id, event=kind, fingerprint=digest_key, payload=None,
                idem=delivery_key(machine, f"digest:{digest_id}", target.name, str(kind)),
                at=ts + delay, expires=expires + delay,
            )  # fmt: skip
    return added


def ticket_events(alerts: AlertsConfig, record: CrashRecord, plan: Plan) -> list[tuple[TargetConfig, EventKind]]:
    """The ticket targets this crash goes to, each with its event: the plan's, but nothing for a
    target still below its thresholds and a NEW ticket for one whose thresholds this crash reaches."""
    rows: list[tuple[TargetConfig, EventKind]] = []
    for target in targets_of(alerts, Category.TICKET):
        if not matches(target, record) or target.name in plan.held:
            continue
        event = EventKind.NEW if target.name in plan.reached else plan.ticket_event
        comments = isinstance(target, TicketBase) and target.comment_recurrences
        if event is EventKind.NEW or (event is EventKind.RECURRENCE and comments):
            rows.append((target, event))
    return rows


def enqueue_regression(
    conn: sqlite3.Connection, crash_id: str, alerts: AlertsConfig, *, ticket: str, now: datetime
) -> int:
    """A ticket target found the ticket of this crash's bug closed: page the notify targets that
    the bug regressed (once per cooldown, kcrashd.sinks.alerting.policy.plan_regression); rows added."""
    history = AlertHistory(conn)
    stored = history.record_json(crash_id)
    if stored is None:
        return 0
    record = CrashRecord.model_validate_json(stored)
    key = alert_key(record)
    since = now.timestamp() - alerts.policy.cooldown_hours * 3600
    if not plan_regression(record, alerts, paged=history.regression_paged(key, since), now=now):
        return 0
    payload = build_payload(record, EventKind.REGRESSION).model_copy(update={"regressed": True, "regression_of": ticket})
    ts = now.timestamp()
    machine = machine_id(alerts)
    added = 0
    for target in targets_of(alerts, Category.NOTIFY):
        if matches(target, record):
            added += _insert(
                conn, target, crash_id=crash_id, digest_id=None, event=EventKind.REGRESSION, fingerprint=key,
                payload=payload, idem=delivery_key(machine, crash_id, target.name, "regression"), at=ts,
                expires=ts + alerts.retry.max_age_hours * 3600,
            )  # fmt: skip
    return added


def write_plan(
    history: AlertHistory, record: CrashRecord, key: str, w: Windows, plan: Plan, now: float
) -> list[tuple[int, EventKind]]:
    """Keep the decision and open or extend its digests; the digests to send, with their ids."""
    storm, loop = plan.storm, plan.loop
    if plan.open_storm:
        storm = history.open_storm(w, now)
    if storm is not None:
        history.extend_storm(storm, w, page=plan.storm_page)
    if plan.open_loop:
        loop = history.open_loop(record.host, w, now)
    elif loop is not None:
        history.extend_loop(loop, w)
    ticket = str(plan.ticket_event) if plan.ticket_event else None
    history.decide(record.crash_id, key, now, plan.decision, storm, ticket)
    opened = {EventKind.STORM: storm, EventKind.LOOP: loop}
    return [(int(opened[kind] or 0), kind) for kind in plan.events]


def build_digest(history: AlertHistory, digest_id: int, event: EventKind, fingerprint: str) -> AlertPayload:
    """A digest's content from the crashes recorded for it, at the time it is first sent."""
    digest = history.digest(digest_id)
    kind, key, started, last, rows = digest.kind, digest.key, digest.started, digest.last, digest.crashes
    counts: dict[str, int] = {}
    titles: dict[str, str] = {}
    for fp, _host, title, _t in rows:
        counts[fp] = counts.get(fp, 0) + 1
        titles[fp] = title
    first = datetime.fromtimestamp(min((r[3] for r in rows), default=started), UTC)
    return AlertPayload(
        event=event,
        crash_id=f"digest-{digest_id}",
        title=(
            f"crash storm across {len({r[1] for r in rows})} hosts"
            if kind == "storm"
            else f"crash loop on {key}"
        ),
        kind="digest",
        severity="critical",
        fingerprint=fingerprint,
        host=key if kind == "loop" else None,
        crash_time=datetime.fromtimestamp(last, UTC),
        first_seen=first,
        count=len(rows),
        hosts=len({r[1] for r in rows}),
        journal_command=journal_command(next(iter(counts), fingerprint)),
        digest=counts,
        digest_titles=titles,
    )


def delivery_state(conn: sqlite3.Connection, crash_id: str) -> list[dict[str, Any]]:
    """Per target: state, attempts, last error, next try, remote id/URL (for info/list)."""
    rows = OutboxTable(conn).deliveries(crash_id)
    result: list[dict[str, Any]] = []
    for r in rows:
        pending = r.state in WAITING
        result.append(
            {
                "target": r.target,
                "event": r.event,
                "state": r.state,
                "attempts": r.attempts,
                "last_status": r.last_status,
                "last_error": redact(r.last_error) if r.last_error else None,
                "next_attempt": datetime.fromtimestamp(r.next_attempt_at, UTC).isoformat() if pending else None,
                "remote_id": r.remote_ref,
                "remote_url": r.remote_url,
                "queued": datetime.fromtimestamp(r.created_at, UTC).isoformat(),
                "delivered": datetime.fromtimestamp(r.delivered_at, UTC).isoformat() if r.delivered_at else None,
            }
        )
    decision = AlertHistory(conn).decision(crash_id)
    if decision and not result:
        # The policy decided, but no configured target took the crash (none set up, or all filtered).
        result.append({"target": None, "event": None, "state": f"not sent: no target took it (policy: {decision})"})
    return result


def requeue(conn: sqlite3.Connection, crash_id: str, *, now: datetime, target: str | None = None) -> int:
    """Re-queue the deliveries of a crash (kcrashd resend): pending now, attempts and age reset."""
    return OutboxTable(conn).requeue(crash_id, now.timestamp(), target)
