"""The alert side's tables in the state database: the paging policy's history (its decision on
each crash's row, storm and loop digests) and the outbox rows. Read and written on the caller's
connection, inside the caller's transaction (the crash's, for a new crash); the connection comes
from kcrashd.store.database, the one module that opens the database.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from kcrashd.store.database import Durability, StoreError, connect, ensure_schema, transaction


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
    crashes: int = 1  # crashes of its bug recorded here (merged fingerprints included), this one too
    hosts: int = 1  # distinct hosts of those crashes, this one's included
    host_known: bool = False  # this host crashed with this bug before
    previous: float | None = None  # the time of the bug's latest earlier crash (epoch seconds)


@dataclass(frozen=True)
class DigestFacts:
    """A digest and the crashes it covers: (key, host, title, crash time) each."""

    kind: str
    key: str
    started: float
    last: float
    crashes: list[tuple[str, str, str, float]]


DECIDED = "decision IS NOT NULL"  # crashes that went through the paging policy
# crashes that are reboots (a dump, a pstore record, an unexplained reboot), not kernel reports read
# from the journal (`survived` set): only reboots count toward a crash loop (docs/alerting.md)
REBOOTS = "json_extract(record_json, '$.survived') IS NULL"


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
        crashes, hosts, host_known, previous = self.bug_facts(crash_id, key, host, w.crash_time)
        return AlertFacts(
            crashes=crashes, hosts=hosts, host_known=host_known, previous=previous,
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
                f"SELECT COUNT(*) FROM crashes WHERE {DECIDED} AND host = ? AND crash_time BETWEEN ? AND ?"
                f" AND {REBOOTS}", host, w.loop_start, w.crash_time,
            ),
            loop=None if loop is None else int(str(loop[0])),
        )  # fmt: skip

    def bug_facts(self, crash_id: str, key: str, host: str, crash_time: float) -> tuple[int, int, bool, float | None]:
        """The bug's crashes and hosts (this crash counted), whether this host had it before, and
        its latest crash before this one: from the fingerprint history the crash's transaction has
        just updated, with the fingerprints an operator merged into the bug (kcrashd.store.merges)."""
        group = [key, *(str(r[0]) for r in self.conn.execute("SELECT alias FROM merges WHERE fingerprint = ?", (key,)))]
        marks = _marks(group)
        crashes = self.count(f"SELECT SUM(count) FROM fingerprints WHERE fingerprint IN ({marks})", *group)
        hosts, here = self.conn.execute(
            f"SELECT COUNT(DISTINCT host), SUM(CASE WHEN host = ? THEN count ELSE 0 END) FROM fingerprint_hosts"
            f" WHERE fingerprint IN ({marks})", (host, *group),
        ).fetchone()  # fmt: skip
        times = [
            float(str(row[0]))
            for fingerprint in group
            if (row := self.one(
                "SELECT crash_time FROM crashes WHERE fingerprint = ? AND crash_time <= ? AND crash_id != ?"
                " ORDER BY crash_time DESC LIMIT 1", fingerprint, crash_time, crash_id,
            )) is not None
        ]  # fmt: skip
        return max(crashes, 1), max(int(hosts or 0), 1), int(here or 0) > 1, max(times, default=None)

    def regression_paged(self, key: str, since: float) -> bool:
        """Whether notify targets were given a regression page of this bug since `since`."""
        return self.one(
            "SELECT 1 FROM outbox WHERE fingerprint = ? AND event = 'regression' AND created_at >= ? LIMIT 1", key, since
        ) is not None

    def record_json(self, crash_id: str) -> str | None:
        """The stored record of a crash (its JSON), if the crash is still recorded."""
        row = self.one("SELECT record_json FROM crashes WHERE crash_id = ?", crash_id)
        return None if row is None else str(row[0])

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
    """Where an outbox row is (kcrashd.sinks.alerting.delivery moves it)."""

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


@dataclass(frozen=True)
class Claim:
    """An outbox row as claimed for one attempt: its intent, and its state, attempts and last
    error as they were before the claim."""

    id: int
    intent: OutboxRow  # its `at` is the row's created_at, `expires` its expires_at
    state: str
    attempts: int
    last_error: str | None
    delivered_at: float | None


CLAIM_COLUMNS = (
    "o.id, o.target, o.crash_id, o.digest_id, o.event, o.fingerprint, o.idem_key, o.payload, o.created_at,"
    " o.expires_at, o.state, o.attempts, o.last_error, o.delivered_at"
)


def _marks(names: list[str]) -> str:
    return ",".join("?" * len(names))


class OutboxLeases:
    """The delivery side of the outbox: claim a due row with a lease, then finish it, schedule its
    next attempt or pause its target; and each target's remote reference per bug. One connection
    of its own (NORMAL durability: a claim or "done" lost to a power cut only means one more
    send); the caller serialises its use. Every write but the claim is one autocommit statement."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @classmethod
    def open(cls, db_path: Path) -> OutboxLeases:
        conn = connect(db_path, Durability.NORMAL)
        ensure_schema(conn)
        return cls(conn)

    def close(self) -> None:
        self.conn.close()

    def history(self) -> AlertHistory:
        return AlertHistory(self.conn)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT on this connection (rows added for a delivery's outcome)."""
        return transaction(self.conn)

    def claim(self, names: list[str], due_by: float, lease_until: float, now: float) -> Claim | None:
        """The next row of `names` due by `due_by` whose target is not paused (a claimed row
        whose lease ran out included), leased until `lease_until` and counted as an attempt."""
        if not names:
            return None
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute(
                f"SELECT {CLAIM_COLUMNS} FROM outbox o LEFT JOIN outbox_targets t ON t.target = o.target"
                f" WHERE o.target IN ({_marks(names)}) AND o.next_attempt_at <= ?"
                f" AND (o.state IN ('pending', 'active') OR (o.state = 'sending' AND o.lease_until < ?))"
                f" AND (t.open_until IS NULL OR t.open_until <= ?)"
                f" ORDER BY o.next_attempt_at, o.id LIMIT 1",
                (*names, due_by, due_by, due_by),
            ).fetchone()
            if row is not None:
                self.conn.execute(
                    "UPDATE outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ?"
                    " WHERE id = ?",
                    (lease_until, now, row[0]),
                )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return None if row is None else Claim(row[0], OutboxRow(*row[1:10]), *row[10:])

    def orphans(self, names: list[str], now: float) -> list[tuple[int, str]]:
        """(id, target) of the waiting rows past their age whose target is not among `names`."""
        known = _marks(names) or "''"
        rows = self.conn.execute(
            f"SELECT id, target FROM outbox WHERE state IN ('pending', 'sending') AND expires_at < ?"
            f" AND target NOT IN ({known})",
            (now, *names),
        ).fetchall()
        return [(int(row[0]), str(row[1])) for row in rows]

    def release(self, claim: Claim) -> None:
        """Hand a claimed row back as it was (an attempt cut short by the daemon stopping)."""
        self.conn.execute(
            "UPDATE outbox SET state = ?, attempts = ?, lease_until = NULL WHERE id = ? AND state = 'sending'",
            (claim.state if claim.state != "sending" else "pending", claim.attempts, claim.id),
        )

    def keep_payload(self, row_id: int, payload: str) -> None:
        """A digest's payload, built when it is first sent, kept for its next attempts."""
        self.conn.execute("UPDATE outbox SET payload = ? WHERE id = ?", (payload, row_id))

    def repost_later(self, row_id: int, at: float, error: str, status: int | None, now: float) -> None:
        """A re-post of a delivered alert failed: try again at `at`, still delivered."""
        self.conn.execute(
            "UPDATE outbox SET state = 'active', next_attempt_at = ?, lease_until = NULL, last_error = ?,"
            " last_status = ?, updated_at = ? WHERE id = ?",
            (at, error, status, now, row_id),
        )

    def retry_later(self, row_id: int, at: float, error: str, status: int | None, now: float) -> None:
        self.conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, lease_until = NULL, last_status = ?,"
            " last_error = ?, updated_at = ? WHERE id = ?",
            (at, status, error, now, row_id),
        )

    def pause(self, target: str, until: float, error: str) -> None:
        """Pause a whole target until `until`, so a down target costs one attempt per round."""
        self.conn.execute(
            "INSERT INTO outbox_targets (target, open_until, failures, last_error) VALUES (?, ?, 1, ?)"
            " ON CONFLICT (target) DO UPDATE SET open_until = excluded.open_until, failures = failures + 1,"
            " last_error = excluded.last_error",
            (target, until, error),
        )

    def unpause(self, target: str) -> None:
        self.conn.execute(
            "INSERT INTO outbox_targets (target, open_until, failures) VALUES (?, NULL, 0)"
            " ON CONFLICT (target) DO UPDATE SET open_until = NULL, failures = 0",
            (target,),
        )

    def repost_at(self, row_id: int, at: float, status: int | None, ref: str | None, url: str | None, now: float) -> None:
        """Delivered, to be posted again at `at` (a target that re-posts open alerts)."""
        self.conn.execute(
            "UPDATE outbox SET state = 'active', attempts = 0, next_attempt_at = ?, lease_until = NULL,"
            " last_status = ?, last_error = NULL, remote_ref = ?, remote_url = ?, updated_at = ?,"
            " delivered_at = COALESCE(delivered_at, ?) WHERE id = ?",
            (at, status, ref, url, now, now, row_id),
        )

    def finish(
        self, row_id: int, state: DeliveryState, now: float, *, status: int | None = None, error: str | None = None,
        ref: str | None = None, url: str | None = None,
    ) -> None:  # fmt: skip
        """The row is done or dead: no more attempts."""
        self.conn.execute(
            "UPDATE outbox SET state = ?, lease_until = NULL, last_status = COALESCE(?, last_status),"
            " last_error = ?, remote_ref = COALESCE(?, remote_ref), remote_url = COALESCE(?, remote_url),"
            " updated_at = ?, delivered_at = CASE WHEN ? = 'done' THEN COALESCE(delivered_at, ?) ELSE delivered_at END"
            " WHERE id = ?",
            (str(state), status, error, ref, url, now, str(state), now, row_id),
        )

    def next_due(self, names: list[str]) -> float | None:
        """When the next row of `names` may be claimed (epoch seconds): the same conditions as
        `claim`, due, its target not paused, and a claimed row's lease run out."""
        if not names:
            return None
        (due,) = self.conn.execute(
            f"SELECT MIN(MAX(o.next_attempt_at, COALESCE(t.open_until, 0),"
            f" CASE WHEN o.state = 'sending' THEN COALESCE(o.lease_until, 0) ELSE 0 END))"
            f" FROM outbox o LEFT JOIN outbox_targets t ON t.target = o.target"
            f" WHERE o.state IN ('pending', 'active', 'sending') AND o.target IN ({_marks(names)})",
            names,
        ).fetchone()
        return None if due is None else float(due)

    def remote(self, target: str, fingerprint: str) -> tuple[str, str | None] | None:
        """The target's reference (ticket, alert) for a bug, if it has one."""
        row = self.conn.execute(
            "SELECT remote_ref, remote_url FROM outbox_remote WHERE target = ? AND fingerprint = ?",
            (target, fingerprint),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def put_remote(self, target: str, fingerprint: str, ref: str, url: str | None) -> None:
        self.conn.execute(
            "INSERT INTO outbox_remote (target, fingerprint, remote_ref, remote_url) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (target, fingerprint) DO UPDATE SET remote_ref = excluded.remote_ref,"
            " remote_url = excluded.remote_url",
            (target, fingerprint, ref, url),
        )
