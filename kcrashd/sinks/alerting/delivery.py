"""Delivery of outbox rows: claim due rows with a lease, make one attempt, record the outcome.

Kept apart from the outbox tables so that recording a crash never imports the HTTP stack.
Targets are independent: `deliver_due(target=NAME)` may run for several targets at once, each in
its own thread (kcrashd.sinks.alerting.lanes); the database connection is shared under a lock that is
never held during a request, so one slow target never delays another.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kcrashd.config.alerting import AlertsConfig, TargetConfig
from kcrashd.sinks import Destination, Outcome
from kcrashd.sinks.alerting.http import Http, SendFailure, SessionFactory, make_session
from kcrashd.sinks.alerting.outbox import (
    EPSILON,
    Clock,
    Journal,
    build_digest,
    enqueue_regression,
    journal_send,
    utcnow,
)
from kcrashd.sinks.alerting.payload import AlertPayload, EventKind
from kcrashd.sinks.alerting.secrets import SecretError, install_log_redaction, redact
from kcrashd.sinks.alerting.targets.base import Delivery, sender_for
from kcrashd.store.alert_tables import Claim, DeliveryState, OutboxLeases

if TYPE_CHECKING:
    import requests

log = logging.getLogger("kcrashd.sinks.alerting")


class _Remote:
    def __init__(self, deliverer: Deliverer, target: str) -> None:
        self.deliverer = deliverer
        self.target = target

    def get(self, fingerprint: str) -> tuple[str, str | None] | None:
        with self.deliverer.lock:
            return self.deliverer.leases.remote(self.target, fingerprint)

    def put(self, fingerprint: str, ref: str, url: str | None) -> None:
        with self.deliverer.lock:
            self.deliverer.leases.put_remote(self.target, fingerprint, ref, url)


class Deliverer:
    """Performs due deliveries with its own outbox connection (kcrashd.store.alert_tables.OutboxLeases);
    one per process."""

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
        self.lock = threading.RLock()  # the connection's; never held during a request
        self.stopping = False
        self.leases = OutboxLeases.open(db_path)
        self.session_factory = session_factory
        self.sessions: dict[str, requests.Session] = {}
        self.https: dict[str, Http] = {}
        self.senders: dict[str, Destination[Delivery]] = {}  # by target name

    def close(self) -> None:
        with self.lock:
            for session in self.sessions.values():
                session.close()
            self.sessions.clear()
            self.leases.close()

    def abort(self) -> None:
        """The daemon is stopping: interrupt every request in flight and make no new one.
        An attempt cut short this way is handed back to the outbox as it was, not counted."""
        with self.lock:
            self.stopping = True
            https = list(self.https.values())
        for http in https:
            http.abort()

    def sender(self, target: TargetConfig) -> Destination[Delivery]:
        """The target's sender, made on first use (importing the HTTP stack outside the lock)."""
        with self.lock:
            known = self.senders.get(target.name)
        if known is not None:
            return known
        session = make_session(self.session_factory)
        http = Http(target, session, self.clock)
        sender = sender_for(target, http, self.clock)
        with self.lock:
            if target.name in self.senders:  # only one lane per target: cannot happen, but be exact
                session.close()
                return self.senders[target.name]
            if self.stopping:
                http.abort()
            self.sessions[target.name] = session
            self.https[target.name] = http
            self.senders[target.name] = sender
        return sender

    # -- claiming ---------------------------------------------------------------------------

    def enabled(self, target: str | None = None) -> list[str]:
        """Names of the enabled targets (only `target`, when given and enabled)."""
        return [t.name for t in self.alerts.targets if t.enabled and target in (None, t.name)]

    def _claim(self, ts: float, target: str | None = None) -> Claim | None:
        lease_until = ts + self.alerts.retry.lease_seconds
        return self.leases.claim(self.enabled(target), ts + EPSILON, lease_until, ts)

    def _expire_unconfigured(self, ts: float) -> None:
        for row_id, _target in self.leases.orphans([t.name for t in self.alerts.targets if t.enabled], ts):
            self.leases.finish(row_id, DeliveryState.DEAD, ts, error="target no longer configured or disabled")

    # -- one attempt ------------------------------------------------------------------------

    def deliver_due(self, now: datetime | None = None, *, target: str | None = None) -> float | None:
        """Perform due deliveries (up to retry.batch) of every target, or of `target` only;
        seconds until the next due row (of that target), or None."""
        now = now or self.clock()
        ts = now.timestamp()
        with self.lock:
            if target is None:
                self._expire_unconfigured(ts)
        for _ in range(self.alerts.retry.batch):
            if self.stopping:
                break
            with self.lock:
                row = self._claim(ts, target)
            if row is None:
                break
            self._attempt(row, ts)
        with self.lock:
            return self._next_due(ts, target)

    def due_by_target(self, now: datetime | None = None) -> dict[str, float]:
        """Seconds until each enabled target has a row due (0: now); targets with none are left out."""
        ts = (now or self.clock()).timestamp()
        with self.lock:
            self._expire_unconfigured(ts)
            names = self.enabled()
            return {name: due for name in names if (due := self._next_due(ts, name)) is not None}

    def _attempt(self, row: Claim, ts: float) -> None:
        target = self.alerts.target(row.intent.target)
        assert target is not None
        attempt = int(row.attempts) + 1
        if ts > row.intent.expires:
            with self.lock:
                self._give_up(row, ts, attempt, row.last_error or "not delivered before the maximum age")
            return
        try:
            with self.lock:
                payload = self._payload(row, target)
            sender = self.sender(target)
            delivery = Delivery(
                row_id=row.id, event=EventKind(row.intent.event), payload=payload, idem_key=row.intent.idem_key,
                fingerprint=row.intent.fingerprint, attempt=attempt, remote=_Remote(self, target.name),
                created_at=row.intent.at,
            )  # fmt: skip
            outcome = sender.send(delivery)
        except SendFailure as failure:
            outcome = failure.outcome
        except SecretError as exc:
            outcome = Outcome(False, retry=True, error=redact(str(exc)))
        except Exception as exc:  # a sender bug must not kill the delivery thread or lose the row
            outcome = Outcome(False, retry=True, error=redact(f"internal error: {type(exc).__name__}: {exc}"))
            log.exception("alert target %s: internal error", target.name)
        with self.lock:
            if self.stopping and not outcome.delivered:
                self._release(row)
            else:
                self._record(row, target, outcome, ts, attempt)

    def _release(self, row: Claim) -> None:
        """Hand a claimed row back as it was: the attempt was cut short by the daemon stopping."""
        self.leases.release(row)

    def _payload(self, row: Claim, target: TargetConfig) -> AlertPayload:
        if row.intent.digest_id is not None and row.intent.payload == "{}":
            digest = build_digest(self.leases.history(), row.intent.digest_id, EventKind(row.intent.event), row.intent.fingerprint)
            digest = digest.restricted(include_trace=target.include_trace, include_host=target.include_host)
            if not target.include_host:
                digest = digest.model_copy(update={"digest": {k: v for k, v in digest.digest.items()}})
            self.leases.keep_payload(row.id, digest.model_dump_json())
            return digest
        return AlertPayload.model_validate_json(row.intent.payload)

    def _record(self, row: Claim, target: TargetConfig, outcome: Outcome, ts: float, attempt: int) -> None:
        if outcome.delivered:
            self._delivered(row, target, outcome, ts)
            return
        error = outcome.error or "failed"
        if row.state == "active" or (row.state == "sending" and row.delivered_at is not None):
            # a re-post of an already delivered alert failed: try again at the next re-post time
            self.leases.repost_later(row.id, ts + self.backoff(attempt, outcome), error, outcome.status, ts)
            return
        if not outcome.retry:
            self._give_up(row, ts, attempt, error, status=outcome.status, permanent=True)
            return
        delay = self.backoff(attempt, outcome)
        if ts + delay > row.intent.expires:
            self._give_up(row, ts, attempt, error, status=outcome.status)
            return
        self.leases.retry_later(row.id, ts + delay, error, outcome.status, ts)
        # pause the whole target until then, so a down target costs one attempt per round
        self.leases.pause(target.name, ts + delay, error)
        log.warning("alert to %s: attempt %d failed, next in %.0fs: %s", target.name, attempt, delay, error)

    def _delivered(self, row: Claim, target: TargetConfig, outcome: Outcome, ts: float) -> None:
        """Close the target's pause; page a regression the ticket target found; finish the row, or
        schedule its re-post (Alertmanager)."""
        self.leases.unpause(target.name)
        if outcome.regression_of and row.intent.crash_id:
            with self.leases.transaction() as conn:
                when = datetime.fromtimestamp(ts, UTC)
                enqueue_regression(conn, row.intent.crash_id, self.alerts, ticket=outcome.regression_of, now=when)
        if outcome.repeat_at is None or outcome.repeat_at >= row.intent.expires:
            self.leases.finish(
                row.id, DeliveryState.DONE, ts, status=outcome.status, ref=outcome.remote_ref, url=outcome.remote_url
            )
            return
        self.leases.repost_at(row.id, outcome.repeat_at, outcome.status, outcome.remote_ref, outcome.remote_url, ts)

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
        row: Claim,
        ts: float,
        attempt: int,
        error: str,
        *,
        status: int | None = None,
        permanent: bool = False,
    ) -> None:
        self.leases.finish(row.id, DeliveryState.DEAD, ts, status=status, error=error)
        why = "permanent error" if permanent else "gave up after the maximum age"
        self.journal(
            f"kcrashd: alert to {row.intent.target} NOT delivered ({why}, {attempt} attempt(s)): {error}",
            2,
            KCRASHD_TARGET=row.intent.target,
            KCRASHD_FINGERPRINT=row.intent.fingerprint,
            KCRASHD_CRASH_ID=row.intent.crash_id or "",
            KCRASHD_DELIVERY_STATE="dead",
        )

    def _next_due(self, ts: float, target: str | None = None) -> float | None:
        due = self.leases.next_due(self.enabled(target))
        return None if due is None else max(0.0, due - ts)
