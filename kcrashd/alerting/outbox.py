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

import contextlib
import hashlib
import importlib
import json
import logging
import random
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from kcrashd.alerting.config import AlertsConfig, Category, TargetConfig
from kcrashd.alerting.http import Http, Outcome, SendFailure, SessionFactory, make_session
from kcrashd.alerting.payload import AlertPayload, EventKind, build_payload, journal_command
from kcrashd.alerting.policy import matches, plan_crash, targets_of
from kcrashd.alerting.secrets import SecretError, install_log_redaction, redact
from kcrashd.alerting.targets.base import Delivery, Sender, sender_for
from kcrashd.crash import CrashRecord

log = logging.getLogger("kcrashd.alerting")

COMPONENT = "outbox"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id              INTEGER PRIMARY KEY,
  target          TEXT NOT NULL,
  crash_id        TEXT,
  digest_id       INTEGER,
  event           TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  idem_key        TEXT NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending',
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at REAL NOT NULL,
  lease_until     REAL,
  last_status     INTEGER,
  last_error      TEXT,
  remote_ref      TEXT,
  remote_url      TEXT,
  created_at      REAL NOT NULL,
  updated_at      REAL NOT NULL,
  expires_at      REAL NOT NULL,
  delivered_at    REAL,
  UNIQUE (target, idem_key)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_crash ON outbox(crash_id);
CREATE TABLE IF NOT EXISTS outbox_crashes (
  crash_id    TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  host        TEXT NOT NULL,
  title       TEXT NOT NULL,
  crash_time  REAL NOT NULL,
  seen_at     REAL NOT NULL,
  decision    TEXT NOT NULL,
  storm_id    INTEGER,
  ticket      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_crashes_fp ON outbox_crashes(fingerprint, seen_at);
CREATE INDEX IF NOT EXISTS outbox_crashes_host ON outbox_crashes(host, crash_time);
CREATE INDEX IF NOT EXISTS outbox_crashes_time ON outbox_crashes(crash_time);
CREATE TABLE IF NOT EXISTS outbox_digests (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,
  started REAL NOT NULL, last REAL NOT NULL, pages INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_remote (
  target TEXT NOT NULL, fingerprint TEXT NOT NULL, remote_ref TEXT NOT NULL, remote_url TEXT,
  PRIMARY KEY (target, fingerprint)
);
CREATE TABLE IF NOT EXISTS outbox_targets (
  target TEXT PRIMARY KEY, open_until REAL, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT
);
"""

# Claims look this far ahead: datetime arithmetic rounds to microseconds, so "now + wait"
# may land a hair before the due time.
EPSILON = 0.001

Clock = Callable[[], datetime]
Journal = Callable[..., None]


def utcnow() -> datetime:
    return datetime.now(UTC)


def journal_send(message: str, priority: int = 2, **fields: str) -> None:
    """Loud journal entry (PRIORITY=2, critical) when systemd's binding exists; always logged."""
    message = redact(message)
    log.critical("%s", message)
    try:
        journal = importlib.import_module("systemd.journal")
    except ImportError:
        return
    clean = {k.upper(): redact(v) for k, v in fields.items()}
    with contextlib.suppress(OSError):
        journal.send(message, PRIORITY=str(priority), SYSLOG_IDENTIFIER="kcrashd", **clean)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the outbox tables (idempotent) and record this component's schema version."""
    was_in_transaction = conn.in_transaction
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    row = conn.execute("SELECT version FROM schema_versions WHERE component = ?", (COMPONENT,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO schema_versions (component, version) VALUES (?, ?)", (COMPONENT, SCHEMA_VERSION)
        )
    elif row[0] > SCHEMA_VERSION:
        raise RuntimeError(
            f"state database has outbox schema {row[0]}, newer than this kcrashd ({SCHEMA_VERSION})"
        )
    if not was_in_transaction and conn.in_transaction:
        conn.commit()


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
    cur = conn.execute(
        "INSERT INTO outbox (target, crash_id, digest_id, event, fingerprint, idem_key, payload, next_attempt_at,"
        " created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (target, idem_key) DO NOTHING",
        (
            target.name,
            crash_id,
            digest_id,
            str(event),
            fingerprint,
            idem,
            body.model_dump_json() if body else "{}",
            at,
            at,
            at,
            expires,
        ),
    )
    return cur.rowcount


def enqueue(
    conn: sqlite3.Connection, record: CrashRecord, alerts: AlertsConfig, *, now: datetime, page: bool = True
) -> int:
    """Add this crash's alert intents to the outbox inside the caller's transaction; rows added."""
    plan = plan_crash(conn, record, alerts, now=now, page=page)
    ts = now.timestamp()
    expires = ts + alerts.retry.max_age_hours * 3600
    machine = machine_id(alerts)
    payload = build_payload(record)
    added = 0
    if plan.notify:
        for target in targets_of(alerts, Category.NOTIFY):
            if matches(target, record):
                added += _insert(
                    conn, target, crash_id=record.crash_id, digest_id=None, event=EventKind.NEW,
                    fingerprint=payload.fingerprint, payload=payload,
                    idem=delivery_key(machine, record.crash_id, target.name, "new"), at=ts, expires=expires,
                )  # fmt: skip
    if plan.ticket_event is not None:
        event = plan.ticket_event
        ticket_payload = payload.model_copy(update={"event": event})
        for target in targets_of(alerts, Category.TICKET):
            if matches(target, record) and (
                event is EventKind.NEW or getattr(target, "comment_recurrences", True)
            ):
                added += _insert(
                    conn, target, crash_id=record.crash_id, digest_id=None, event=event,
                    fingerprint=payload.fingerprint, payload=ticket_payload,
                    idem=delivery_key(machine, record.crash_id, target.name, str(event)), at=ts, expires=expires,
                )  # fmt: skip
    delay = alerts.policy.digest_delay_minutes * 60
    for digest_id, kind in plan.digests:
        key = f"{kind}-{machine[:12]}-{digest_id}"
        for target in targets_of(alerts, Category.NOTIFY):
            added += _insert(
                conn, target, crash_id=None, digest_id=digest_id, event=kind, fingerprint=key, payload=None,
                idem=delivery_key(machine, f"digest:{digest_id}", target.name, str(kind)),
                at=ts + delay, expires=expires + delay,
            )  # fmt: skip
    return added


def build_digest(
    conn: sqlite3.Connection, digest_id: int, event: EventKind, fingerprint: str
) -> AlertPayload:
    """A digest's content from the crashes recorded for it, at the time it is first sent."""
    kind, key, started, last = conn.execute(
        "SELECT kind, key, started, last FROM outbox_digests WHERE id = ?", (digest_id,)
    ).fetchone()
    if kind == "storm":
        rows = conn.execute(
            "SELECT fingerprint, host, title, crash_time FROM outbox_crashes WHERE storm_id = ?", (digest_id,)
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT fingerprint, host, title, crash_time FROM outbox_crashes WHERE host = ? AND crash_time BETWEEN ? AND ?",
            (key, started, last),
        ).fetchall()
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


class _Remote:
    def __init__(self, deliverer: Deliverer, target: str) -> None:
        self.deliverer = deliverer
        self.target = target

    def get(self, fingerprint: str) -> tuple[str, str | None] | None:
        row = self.deliverer.conn.execute(
            "SELECT remote_ref, remote_url FROM outbox_remote WHERE target = ? AND fingerprint = ?",
            (self.target, fingerprint),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def put(self, fingerprint: str, ref: str, url: str | None) -> None:
        self.deliverer.conn.execute(
            "INSERT INTO outbox_remote (target, fingerprint, remote_ref, remote_url) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (target, fingerprint) DO UPDATE SET remote_ref = excluded.remote_ref,"
            " remote_url = excluded.remote_url",
            (self.target, fingerprint, ref, url),
        )


class Deliverer:
    """Performs due deliveries with its own SQLite connection; one per process."""

    def __init__(
        self,
        db_path: Path,
        alerts: AlertsConfig,
        *,
        clock: Clock = utcnow,
        session_factory: SessionFactory | None = None,
        journal: Journal = journal_send,
        rng: random.Random | None = None,
    ) -> None:
        install_log_redaction()
        self.alerts = alerts
        self.clock = clock
        self.journal = journal
        self.rng = rng or random.Random()
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(str(db_path), timeout=30, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL (in WAL: durable across a process crash, not a power cut) is enough here: a
        # claim or "done" lost to a power cut only means one more send, which is at-least-once
        # anyway. The enqueue side (the daemon's connection) is what must not lose rows.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=30000")
        ensure_schema(self.conn)
        self.session_factory = session_factory
        self.sessions: dict[str, requests.Session] = {}
        self.senders: dict[str, Sender] = {}

    def close(self) -> None:
        with self.lock:
            for session in self.sessions.values():
                session.close()
            self.sessions.clear()
            self.conn.close()

    def sender(self, target: TargetConfig) -> Sender:
        if target.name not in self.senders:
            session = make_session(self.session_factory)
            self.sessions[target.name] = session
            self.senders[target.name] = sender_for(target, Http(target, session, self.clock), self.clock)
        return self.senders[target.name]

    # -- claiming ---------------------------------------------------------------------------

    def _claim(self, ts: float) -> sqlite3.Row | None:
        names = [t.name for t in self.alerts.targets if t.enabled]
        if not names:
            return None
        marks = ",".join("?" * len(names))
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute(
                f"SELECT o.* FROM outbox o LEFT JOIN outbox_targets t ON t.target = o.target"
                f" WHERE o.target IN ({marks}) AND o.next_attempt_at <= ?"
                f" AND (o.state IN ('pending', 'active') OR (o.state = 'sending' AND o.lease_until < ?))"
                f" AND (t.open_until IS NULL OR t.open_until <= ?)"
                f" ORDER BY o.next_attempt_at, o.id LIMIT 1",
                (*names, ts + EPSILON, ts + EPSILON, ts + EPSILON),
            ).fetchone()
            if row is not None:
                self.conn.execute(
                    "UPDATE outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ?"
                    " WHERE id = ?",
                    (ts + self.alerts.retry.lease_seconds, ts, row["id"]),
                )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return row  # type: ignore[no-any-return]

    def _expire_unconfigured(self, ts: float) -> None:
        names = [t.name for t in self.alerts.targets if t.enabled]
        marks = ",".join("?" * len(names)) or "''"
        rows = self.conn.execute(
            f"SELECT id, target FROM outbox WHERE state IN ('pending', 'sending') AND expires_at < ?"
            f" AND target NOT IN ({marks})",
            (ts, *names),
        ).fetchall()
        for row in rows:
            self._finish(row["id"], "dead", ts, error="target no longer configured or disabled")

    # -- one attempt ------------------------------------------------------------------------

    def deliver_due(self, now: datetime | None = None) -> float | None:
        """Perform due deliveries (up to retry.batch); seconds until the next due row, or None."""
        with self.lock:
            self.conn.row_factory = sqlite3.Row
            now = now or self.clock()
            ts = now.timestamp()
            self._expire_unconfigured(ts)
            for _ in range(self.alerts.retry.batch):
                row = self._claim(ts)
                if row is None:
                    break
                self._attempt(row, ts)
            return self._next_due(ts)

    def _attempt(self, row: sqlite3.Row, ts: float) -> None:
        target = self.alerts.target(row["target"])
        assert target is not None
        attempt = int(row["attempts"]) + 1
        if ts > row["expires_at"]:
            self._give_up(row, ts, attempt, row["last_error"] or "not delivered before the maximum age")
            return
        try:
            payload = self._payload(row, target)
            sender = self.sender(target)
            delivery = Delivery(
                row_id=row["id"], event=EventKind(row["event"]), payload=payload, idem_key=row["idem_key"],
                fingerprint=row["fingerprint"], attempt=attempt, remote=_Remote(self, target.name),
                created_at=row["created_at"],
            )  # fmt: skip
            outcome = sender.send(delivery)
        except SendFailure as failure:
            outcome = failure.outcome
        except SecretError as exc:
            outcome = Outcome(False, retry=True, error=redact(str(exc)))
        except Exception as exc:  # a sender bug must not kill the delivery thread or lose the row
            outcome = Outcome(False, retry=True, error=redact(f"internal error: {type(exc).__name__}: {exc}"))
            log.exception("alert target %s: internal error", target.name)
        self._record(row, target, outcome, ts, attempt)

    def _payload(self, row: sqlite3.Row, target: TargetConfig) -> AlertPayload:
        if row["digest_id"] is not None and row["payload"] == "{}":
            digest = build_digest(self.conn, row["digest_id"], EventKind(row["event"]), row["fingerprint"])
            digest = digest.restricted(include_trace=target.include_trace, include_host=target.include_host)
            if not target.include_host:
                digest = digest.model_copy(update={"digest": {k: v for k, v in digest.digest.items()}})
            self.conn.execute(
                "UPDATE outbox SET payload = ? WHERE id = ?", (digest.model_dump_json(), row["id"])
            )
            return digest
        return AlertPayload.model_validate_json(row["payload"])

    def _record(
        self, row: sqlite3.Row, target: TargetConfig, outcome: Outcome, ts: float, attempt: int
    ) -> None:
        if outcome.delivered:
            self.conn.execute(
                "INSERT INTO outbox_targets (target, open_until, failures) VALUES (?, NULL, 0)"
                " ON CONFLICT (target) DO UPDATE SET open_until = NULL, failures = 0",
                (target.name,),
            )
            if outcome.repeat_at is not None and outcome.repeat_at < row["expires_at"]:
                self.conn.execute(
                    "UPDATE outbox SET state = 'active', attempts = 0, next_attempt_at = ?, lease_until = NULL,"
                    " last_status = ?, last_error = NULL, remote_ref = ?, remote_url = ?, updated_at = ?,"
                    " delivered_at = COALESCE(delivered_at, ?) WHERE id = ?",
                    (
                        outcome.repeat_at,
                        outcome.status,
                        outcome.remote_ref,
                        outcome.remote_url,
                        ts,
                        ts,
                        row["id"],
                    ),
                )
            else:
                self._finish(
                    row["id"],
                    "done",
                    ts,
                    status=outcome.status,
                    ref=outcome.remote_ref,
                    url=outcome.remote_url,
                )
            return
        error = outcome.error or "failed"
        if row["state"] == "active" or (row["state"] == "sending" and row["delivered_at"] is not None):
            # a re-post of an already delivered alert failed: try again at the next re-post time
            self.conn.execute(
                "UPDATE outbox SET state = 'active', next_attempt_at = ?, lease_until = NULL, last_error = ?,"
                " last_status = ?, updated_at = ? WHERE id = ?",
                (ts + self.backoff(attempt, outcome), error, outcome.status, ts, row["id"]),
            )
            return
        if not outcome.retry:
            self._give_up(row, ts, attempt, error, status=outcome.status, permanent=True)
            return
        delay = self.backoff(attempt, outcome)
        if ts + delay > row["expires_at"]:
            self._give_up(row, ts, attempt, error, status=outcome.status)
            return
        self.conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, lease_until = NULL, last_status = ?,"
            " last_error = ?, updated_at = ? WHERE id = ?",
            (ts + delay, outcome.status, error, ts, row["id"]),
        )
        # pause the whole target until then, so a down target costs one attempt per round
        self.conn.execute(
            "INSERT INTO outbox_targets (target, open_until, failures, last_error) VALUES (?, ?, 1, ?)"
            " ON CONFLICT (target) DO UPDATE SET open_until = excluded.open_until, failures = failures + 1,"
            " last_error = excluded.last_error",
            (target.name, ts + delay, error),
        )
        log.warning("alert to %s: attempt %d failed, next in %.0fs: %s", target.name, attempt, delay, error)

    def backoff(self, attempt: int, outcome: Outcome) -> float:
        """Full-jitter exponential backoff, never sooner than the target's Retry-After."""
        retry = self.alerts.retry
        ceiling = min(retry.cap_seconds, retry.base_seconds * 2 ** min(attempt - 1, 30))
        delay = retry.base_seconds + self.rng.uniform(0, ceiling)
        if outcome.retry_after is not None:
            delay = max(delay, min(max(outcome.retry_after, 1.0), retry.retry_after_cap_seconds))
        return delay

    def _give_up(
        self,
        row: sqlite3.Row,
        ts: float,
        attempt: int,
        error: str,
        *,
        status: int | None = None,
        permanent: bool = False,
    ) -> None:
        self._finish(row["id"], "dead", ts, status=status, error=error)
        why = "permanent error" if permanent else "gave up after the maximum age"
        self.journal(
            f"kcrashd: alert to {row['target']} NOT delivered ({why}, {attempt} attempt(s)): {error}",
            2,
            KCRASHD_TARGET=row["target"],
            KCRASHD_FINGERPRINT=row["fingerprint"],
            KCRASHD_CRASH_ID=row["crash_id"] or "",
            KCRASHD_DELIVERY_STATE="dead",
        )

    def _finish(
        self, row_id: int, state: str, ts: float, *, status: int | None = None, error: str | None = None,
        ref: str | None = None, url: str | None = None,
    ) -> None:  # fmt: skip
        self.conn.execute(
            "UPDATE outbox SET state = ?, lease_until = NULL, last_status = COALESCE(?, last_status),"
            " last_error = ?, remote_ref = COALESCE(?, remote_ref), remote_url = COALESCE(?, remote_url),"
            " updated_at = ?, delivered_at = CASE WHEN ? = 'done' THEN COALESCE(delivered_at, ?) ELSE delivered_at END"
            " WHERE id = ?",
            (state, status, error, ref, url, ts, state, ts, row_id),
        )

    def _next_due(self, ts: float) -> float | None:
        names = [t.name for t in self.alerts.targets if t.enabled]
        if not names:
            return None
        marks = ",".join("?" * len(names))
        (due,) = self.conn.execute(
            f"SELECT MIN(CASE WHEN o.state = 'sending' THEN o.lease_until"
            f" ELSE MAX(o.next_attempt_at, COALESCE(t.open_until, 0)) END)"
            f" FROM outbox o LEFT JOIN outbox_targets t ON t.target = o.target"
            f" WHERE o.state IN ('pending', 'active', 'sending') AND o.target IN ({marks})",
            names,
        ).fetchone()
        return None if due is None else max(0.0, due - ts)


def delivery_state(conn: sqlite3.Connection, crash_id: str) -> list[dict[str, Any]]:
    """Per target: state, attempts, last error, next try, remote id/URL (for info/list)."""
    rows = conn.execute(
        "SELECT target, event, state, attempts, last_status, last_error, next_attempt_at, remote_ref, remote_url,"
        " created_at, delivered_at FROM outbox WHERE crash_id = ? ORDER BY id",
        (crash_id,),
    ).fetchall()
    result: list[dict[str, Any]] = []
    for r in rows:
        pending = r[2] in ("pending", "sending", "active")
        result.append(
            {
                "target": r[0],
                "event": r[1],
                "state": r[2],
                "attempts": r[3],
                "last_status": r[4],
                "last_error": redact(r[5]) if r[5] else None,
                "next_attempt": datetime.fromtimestamp(r[6], UTC).isoformat() if pending else None,
                "remote_id": r[7],
                "remote_url": r[8],
                "queued": datetime.fromtimestamp(r[9], UTC).isoformat(),
                "delivered": datetime.fromtimestamp(r[10], UTC).isoformat() if r[10] else None,
            }
        )
    decision = conn.execute("SELECT decision FROM outbox_crashes WHERE crash_id = ?", (crash_id,)).fetchone()
    if decision and not result:
        result.append({"target": None, "event": None, "state": f"not sent ({decision[0]})"})
    return result


def requeue(conn: sqlite3.Connection, crash_id: str, *, now: datetime, target: str | None = None) -> int:
    """Re-queue the deliveries of a crash (kcrashd resend): pending now, attempts and age reset."""
    ts = now.timestamp()
    sql = (
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL,"
        " created_at = ?, expires_at = ? + (expires_at - created_at), updated_at = ? WHERE crash_id = ?"
    )
    args: list[Any] = [ts, ts, ts, ts, crash_id]
    if target:
        sql += " AND target = ?"
        args.append(target)
    return conn.execute(sql, args).rowcount


def dump_row(payload: AlertPayload) -> str:
    return json.dumps(payload.model_dump(mode="json"), sort_keys=True)
