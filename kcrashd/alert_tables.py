"""The alert side's tables in the state database: the paging policy's history (its decision on
each crash's row, storm and loop digests) and the outbox rows. Read and written on the caller's
connection, inside the caller's transaction (the crash's, for a new crash); the connection comes
from kcrashd.store, the one module that opens the database.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from kcrashd.store import StoreError


@dataclass(frozen=True)
class Windows:
    """The time windows (epoch seconds) the paging policy reads a crash's history over."""

    cooldown_start: float
    storm_from: float
    storm_to: float
    loop_start: float
    crash_time: float


@dataclass(frozen=True)
class AlertFacts:
    """What the state database knows about a crash's alert key, host and time window."""

    decided: bool = False  # this crash already went through the policy
    paged: bool = False  # its key paged within the cooldown
    ticketed: bool = False  # a ticket was filed for its key within the cooldown
    host_commented: bool = False  # a ticket event for (key, host) within the cooldown
    other_hosts: int = 0  # distinct other hosts crashing within the storm window
    storm: tuple[int, int] | None = None  # the open storm digest around the crash: (id, pages)
    host_crashes: int = 0  # earlier crashes of this host within the loop window
    loop: int | None = None  # the open loop digest of this host


@dataclass(frozen=True)
class DigestFacts:
    """A digest and the crashes it covers: (key, host, title, crash time) each."""

    kind: str
    key: str
    started: float
    last: float
    crashes: list[tuple[str, str, str, float]]


DECIDED = "decision IS NOT NULL"  # crashes that went through the paging policy


class AlertHistory:
    """The paging policy's history (its decision on each crash's row, storm and loop digests),
    read and written on the caller's connection, inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def one(self, sql: str, *args: object) -> tuple[object, ...] | None:
        row = self.conn.execute(sql, args).fetchone()
        return None if row is None else tuple(row)

    def facts(self, crash_id: str, key: str, host: str, w: Windows) -> AlertFacts:
        """Everything the policy needs to decide about one crash."""
        one = self.one
        storm = one(
            "SELECT id, pages FROM outbox_digests WHERE kind = 'storm' AND last >= ? AND started <= ?"
            " ORDER BY id DESC LIMIT 1", w.storm_from, w.storm_to,
        )  # fmt: skip
        loop = one("SELECT id FROM outbox_digests WHERE kind = 'loop' AND key = ? AND last >= ?", host, w.loop_start)
        return AlertFacts(
            decided=one("SELECT 1 FROM crashes WHERE crash_id = ? AND decision IS NOT NULL", crash_id) is not None,
            paged=one(
                f"SELECT 1 FROM crashes WHERE {DECIDED} AND alert_key = ? AND decision IN ('page', 'storm-page')"
                " AND decided_at >= ?", key, w.cooldown_start,
            ) is not None,
            ticketed=one(
                f"SELECT 1 FROM crashes WHERE {DECIDED} AND alert_key = ? AND ticket = 'new' AND decided_at >= ?",
                key, w.cooldown_start,
            ) is not None,
            host_commented=one(
                f"SELECT 1 FROM crashes WHERE {DECIDED} AND alert_key = ? AND host = ? AND decided_at >= ?"
                " AND ticket IS NOT NULL", key, host, w.cooldown_start,
            ) is not None,
            other_hosts=self.count(
                f"SELECT COUNT(DISTINCT host) FROM crashes WHERE {DECIDED} AND crash_time BETWEEN ? AND ? AND host != ?",
                w.storm_from, w.storm_to, host,
            ),
            storm=None if storm is None else (int(str(storm[0])), int(str(storm[1]))),
            host_crashes=self.count(
                f"SELECT COUNT(*) FROM crashes WHERE {DECIDED} AND host = ? AND crash_time BETWEEN ? AND ?",
                host, w.loop_start, w.crash_time,
            ),
            loop=None if loop is None else int(str(loop[0])),
        )  # fmt: skip

    def count(self, sql: str, *args: object) -> int:
        return int(self.conn.execute(sql, args).fetchone()[0] or 0)

    def open_storm(self, w: Windows, now: float) -> int:
        """A new storm digest; the crashes of its window already recorded belong to it."""
        cur = self.conn.execute(
            "INSERT INTO outbox_digests (kind, key, started, last, created_at) VALUES ('storm', '', ?, ?, ?)",
            (w.crash_time, w.crash_time, now),
        )
        storm = int(cur.lastrowid or 0)
        self.conn.execute(
            f"UPDATE crashes SET storm_id = ? WHERE {DECIDED} AND storm_id IS NULL AND crash_time BETWEEN ? AND ?",
            (storm, w.storm_from, w.storm_to),
        )
        return storm

    def extend_storm(self, storm: int, w: Windows, *, page: bool) -> None:
        self.conn.execute(
            "UPDATE outbox_digests SET last = MAX(last, ?), started = MIN(started, ?), pages = pages + ? WHERE id = ?",
            (w.crash_time, w.crash_time, int(page), storm),
        )

    def open_loop(self, host: str, w: Windows, now: float) -> int:
        cur = self.conn.execute(
            "INSERT INTO outbox_digests (kind, key, started, last, created_at) VALUES ('loop', ?, ?, ?, ?)",
            (host, w.loop_start, w.crash_time, now),
        )
        return int(cur.lastrowid or 0)

    def extend_loop(self, loop: int, w: Windows) -> None:
        self.conn.execute("UPDATE outbox_digests SET last = MAX(last, ?) WHERE id = ?", (w.crash_time, loop))

    def decide(self, crash_id: str, key: str, now: float, decision: str, storm: int | None, ticket: str | None) -> None:
        """Keep the policy's decision on the crash's row (the history for the next crashes); the
        crash must be recorded first, in the same transaction."""
        cur = self.conn.execute(
            "UPDATE crashes SET alert_key = ?, decision = ?, storm_id = ?, ticket = ?, decided_at = ? WHERE crash_id = ?",
            (key, decision, storm, ticket, now, crash_id),
        )
        if cur.rowcount != 1:
            raise StoreError(f"crash {crash_id} is not recorded: the policy's decision has nowhere to go")

    def decision(self, crash_id: str) -> str | None:
        row = self.one("SELECT decision FROM crashes WHERE crash_id = ?", crash_id)
        return None if row is None or row[0] is None else str(row[0])

    def digest(self, digest_id: int) -> DigestFacts:
        """A digest and the crashes recorded for it so far."""
        kind, key, started, last = self.conn.execute(
            "SELECT kind, key, started, last FROM outbox_digests WHERE id = ?", (digest_id,)
        ).fetchone()
        if kind == "storm":
            rows = self.conn.execute(
                "SELECT alert_key, host, title, crash_time FROM crashes WHERE storm_id = ?", (digest_id,)
            ).fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT alert_key, host, title, crash_time FROM crashes WHERE {DECIDED} AND host = ?"
                " AND crash_time BETWEEN ? AND ?", (key, started, last),
            ).fetchall()  # fmt: skip
        return DigestFacts(kind, key, started, last, [tuple(row) for row in rows])


class DeliveryState(StrEnum):
    """Where an outbox row is (kcrashd.alerting.delivery moves it)."""

    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed with a lease; a lease that expires is sent again
    ACTIVE = "active"  # delivered, to be posted again (a target that re-posts open alerts)
    DONE = "done"
    DEAD = "dead"  # given up: permanent error, or older than the maximum age


WAITING = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.ACTIVE)


@dataclass(frozen=True)
class OutboxRow:
    """One alert intent: a crash's or digest's event for one target."""

    target: str
    crash_id: str | None
    digest_id: int | None
    event: str
    fingerprint: str
    idem_key: str
    payload: str  # JSON; "{}" for a digest, built when it is first sent
    at: float
    expires: float


class DeliveryRow(NamedTuple):
    """What became of one alert intent so far."""

    target: str
    event: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: float
    remote_ref: str | None
    remote_url: str | None
    created_at: float
    delivered_at: float | None


class OutboxTable:
    """The alert outbox's rows, on the caller's connection, inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, row: OutboxRow) -> int:
        """1 if added, 0 if this (target, idempotency key) is queued already."""
        cur = self.conn.execute(
            "INSERT INTO outbox (target, crash_id, digest_id, event, fingerprint, idem_key, payload, next_attempt_at,"
            " created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (target, idem_key) DO NOTHING",
            (row.target, row.crash_id, row.digest_id, row.event, row.fingerprint, row.idem_key, row.payload,
             row.at, row.at, row.at, row.expires),
        )  # fmt: skip
        return cur.rowcount

    def deliveries(self, crash_id: str) -> list[DeliveryRow]:
        """The rows of a crash, in the order queued."""
        return [DeliveryRow(*row) for row in self.conn.execute(
            "SELECT target, event, state, attempts, last_status, last_error, next_attempt_at, remote_ref, remote_url,"
            " created_at, delivered_at FROM outbox WHERE crash_id = ? ORDER BY id",
            (crash_id,),
        )]  # fmt: skip

    def requeue(self, crash_id: str, now: float, target: str | None = None) -> int:
        """A crash's rows due now again, attempts and age reset (kcrashd resend); rows changed."""
        sql = (
            "UPDATE outbox SET state = ?, attempts = 0, next_attempt_at = ?, lease_until = NULL,"
            " created_at = ?, expires_at = ? + (expires_at - created_at), updated_at = ? WHERE crash_id = ?"
        )
        args: list[object] = [DeliveryState.PENDING, now, now, now, now, crash_id]
        if target:
            sql += " AND target = ?"
            args.append(target)
        return self.conn.execute(sql, args).rowcount
