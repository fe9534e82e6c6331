"""The state database: which crashes were processed, whether their journal entry went out, and
the history of each fingerprint. SQLite in WAL mode, one transaction per crash (docs/state.md).

The file is shared with the alerting outbox; each component keeps its schema version in
`schema_versions` (ours is `history`). A database that SQLite calls corrupt is moved aside as
`state.db.corrupt-<time>` and rebuilt by rescanning; `rebuilt_at` then tells the pipeline to ask
the journal before sending anything again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kcrashd.core.model import Report
from kcrashd.crash import CrashRecord, VmcoreFacts

log = logging.getLogger(__name__)

DB_NAME = "state.db"
# The daemon mostly appends and looks rows up by key: a small page cache keeps it small when idle.
CACHE_KIB = -512
LOCK_NAME = "lock"
COMPONENT = "history"
VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_versions(component TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS crashes(
    crash_id TEXT PRIMARY KEY,
    dump_dir TEXT NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    log_path TEXT,
    log_mtime_ns INTEGER,
    log_size INTEGER,
    layout TEXT NOT NULL,
    source TEXT NOT NULL,
    host TEXT NOT NULL,
    kernel TEXT,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    function TEXT,
    fingerprint TEXT NOT NULL,
    crash_time REAL NOT NULL,
    detected_at REAL NOT NULL,
    incomplete INTEGER NOT NULL,
    test INTEGER NOT NULL,
    too_old_to_page INTEGER NOT NULL,
    status TEXT NOT NULL,
    journaled_at REAL,
    vmcore_state TEXT NOT NULL,
    record_json TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS crashes_dir ON crashes(dump_dir, ino);
CREATE INDEX IF NOT EXISTS crashes_inode ON crashes(ino, dev);
CREATE INDEX IF NOT EXISTS crashes_fingerprint ON crashes(fingerprint);
CREATE INDEX IF NOT EXISTS crashes_time ON crashes(crash_time);
CREATE INDEX IF NOT EXISTS crashes_pending ON crashes(status) WHERE status != 'journaled';
CREATE TABLE IF NOT EXISTS fingerprints(
    fingerprint TEXT PRIMARY KEY,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    count INTEGER NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fingerprint_hosts(
    fingerprint TEXT NOT NULL,
    host TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY(fingerprint, host)
);
CREATE TABLE IF NOT EXISTS history_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

PENDING = "pending"
JOURNALED = "journaled"


class StoreError(Exception):
    """The state database cannot be used (unreadable, newer schema, disk full)."""


@dataclass(frozen=True)
class FingerprintStats:
    """The history of a fingerprint before the crash being recorded."""

    first_seen: datetime | None
    count: int
    hosts: int
    host_known: bool


@dataclass(frozen=True)
class CrashRow:
    """A crash as stored: the record plus bookkeeping."""

    crash_id: str
    dump_dir: str
    ino: int
    status: str
    vmcore_state: str
    log_mtime_ns: int | None
    log_size: int | None
    record: CrashRecord


def keep_known_key(report: Report, key: str) -> Report:
    """The report under the key its bug is known by; the newer fingerprint becomes an alias."""
    aliases = [report.fingerprint, *(a for a in report.fingerprint_aliases if a != key)]
    return report.model_copy(update={"fingerprint": key, "fingerprint_aliases": aliases})


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute(f"PRAGMA cache_size={CACHE_KIB}")
    return conn


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (`mode=ro`): running `list` as root must not leave root-owned files
    the sandboxed daemon cannot open (SQLite gives any -shm it creates the database's owner)."""
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Store:
    """The history component of the state database."""

    def __init__(self, state_dir: Path, *, schema_hooks: list[Callable[[sqlite3.Connection], None]] | None = None):
        self.state_dir = state_dir
        self.path = state_dir / DB_NAME
        self.rebuilt_at: float | None = None
        self.conn = self._open(schema_hooks or [])

    def _open(self, hooks: list[Callable[[sqlite3.Connection], None]]) -> sqlite3.Connection:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists()
        try:
            conn = connect(self.path)
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                conn.close()
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            self._ensure_schema(conn, hooks)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and is_transient(exc):
                raise StoreError(f"{self.path}: {exc}") from None
            aside = self.set_aside(exc)
            log.error("state database %s is corrupt (%s): kept as %s; rebuilding by rescanning", self.path, exc, aside)
            conn = connect(self.path)
            self._ensure_schema(conn, hooks)
            existed = False
        value = conn.execute("SELECT value FROM history_meta WHERE key = 'rebuilt_at'").fetchone()
        if not existed and value is None:
            now = time.time()
            conn.execute("INSERT OR REPLACE INTO history_meta VALUES ('rebuilt_at', ?)", (repr(now),))
            self.rebuilt_at = now
        elif value is not None:
            self.rebuilt_at = float(value[0])
        return conn

    def set_aside(self, exc: Exception) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{DB_NAME}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                os.replace(src, Path(str(aside) + suffix))
        return aside

    def _ensure_schema(self, conn: sqlite3.Connection, hooks: list[Callable[[sqlite3.Connection], None]]) -> None:
        with transaction(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT version FROM schema_versions WHERE component = ?", (COMPONENT,)).fetchone()
            if row is not None and row[0] > VERSION:
                raise StoreError(f"{self.path}: history schema {row[0]} is newer than this kcrashd ({VERSION})")
            conn.execute("INSERT OR REPLACE INTO schema_versions VALUES (?, ?)", (COMPONENT, VERSION))
        for hook in hooks:
            hook(conn)

    def close(self) -> None:
        self.conn.close()

    # --- reads ---------------------------------------------------------------------------

    def find(self, dump_dir: str, ino: int) -> CrashRow | None:
        row = self.conn.execute(
            "SELECT * FROM crashes WHERE dump_dir = ? AND ino = ? ORDER BY detected_at DESC LIMIT 1", (dump_dir, ino)
        ).fetchone()
        return None if row is None else to_row(row)

    def find_moved(
        self, dev: int, ino: int, log_mtime_ns: int | None, log_size: int | None, *, dump_dir: str
    ) -> CrashRow | None:
        """The crash of a folder renamed to `dump_dir` within a dump path: same device, inode and
        log (mtime and size). Its row's `dump_dir` then follows the folder (crash id, record and
        journal entry keep the first name), so retention looks where the folder is now."""
        row = self.conn.execute(
            "SELECT * FROM crashes WHERE ino = ? AND dev = ? AND log_mtime_ns IS ? AND log_size IS ? "
            "ORDER BY detected_at DESC LIMIT 1",
            (ino, dev, log_mtime_ns, log_size),
        ).fetchone()
        if row is None:
            return None
        if row["dump_dir"] != dump_dir:
            with transaction(self.conn) as conn:
                conn.execute(
                    "UPDATE crashes SET dump_dir = ?, updated_at = ? WHERE crash_id = ?",
                    (dump_dir, time.time(), row["crash_id"]),
                )
        return to_row(row)

    def get(self, crash_id: str) -> CrashRow | None:
        row = self.conn.execute("SELECT * FROM crashes WHERE crash_id = ?", (crash_id,)).fetchone()
        return None if row is None else to_row(row)

    def pending(self) -> list[CrashRow]:
        rows = self.conn.execute(f"SELECT * FROM crashes WHERE status != '{JOURNALED}' ORDER BY detected_at")
        return [to_row(row) for row in rows]

    def counts(self) -> dict[str, int]:
        row = self.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT fingerprint), SUM(status != ?) FROM crashes", (JOURNALED,)
        ).fetchone()
        return {"crashes": row[0] or 0, "fingerprints": row[1] or 0, "pending": row[2] or 0}

    def stats(self, fingerprint: str, host: str) -> FingerprintStats:
        row = self.conn.execute("SELECT first_seen, count FROM fingerprints WHERE fingerprint = ?", (fingerprint,)).fetchone()
        hosts = self.conn.execute(
            "SELECT COUNT(*), SUM(host = ?) FROM fingerprint_hosts WHERE fingerprint = ?", (host, fingerprint)
        ).fetchone()
        if row is None:
            return FingerprintStats(None, 0, 0, False)
        return FingerprintStats(datetime.fromtimestamp(row[0], UTC), row[1], hosts[0] or 0, bool(hosts[1]))

    def known_key(self, report: Report) -> str:
        """The key this bug already has here: its fingerprint, or the oldest-known alias an earlier
        fingerprint version gave it, so a new algorithm never re-opens existing alerts and tickets."""
        keys = [report.fingerprint, *report.fingerprint_aliases] if report.fingerprint else []
        if len(keys) < 2:
            return report.fingerprint
        marks = ",".join("?" * len(keys))
        row = self.conn.execute(
            f"SELECT fingerprint FROM fingerprints WHERE fingerprint IN ({marks}) ORDER BY first_seen LIMIT 1", keys
        ).fetchone()
        return str(row[0]) if row else report.fingerprint

    # --- writes --------------------------------------------------------------------------

    def record(
        self,
        build: Callable[[FingerprintStats], CrashRecord],
        *,
        dev: int,
        ino: int,
        log_mtime_ns: int | None,
        log_size: int | None,
        vmcore_state: str,
        status: str = PENDING,
        also: Callable[[sqlite3.Connection, CrashRecord], None] | None = None,
        hook: Callable[[], None] | None = None,
    ) -> CrashRecord:
        """Record a crash and update its fingerprint's history in one transaction; `also` runs in
        the same transaction (the alert outbox), so the crash and its alert intents commit together."""
        with transaction(self.conn) as conn:
            probe = build(FingerprintStats(None, 0, 0, False))
            key = self.known_key(probe.report)
            record = build(self.stats(key, probe.host)) if key else probe
            if key != record.report.fingerprint:
                record = record.model_copy(update={"report": keep_known_key(record.report, key)})
            now = time.time()
            report = record.report
            conn.execute(
                "INSERT INTO crashes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.crash_id, record.dump_dir, dev, ino, record.log_path, log_mtime_ns, log_size,
                    record.layout, record.source, record.host, report.kernel_release, report.kind,
                    str(report.severity), report.title, report.function, report.fingerprint,
                    epoch(record.crash_time), epoch(record.detected_at), int(record.incomplete), int(record.test),
                    int(record.too_old_to_page), status, now if status == JOURNALED else None, vmcore_state,
                    record.model_dump_json(), now,
                ),
            )  # fmt: skip
            if report.fingerprint:
                when = epoch(record.crash_time)
                conn.execute(
                    "INSERT INTO fingerprints VALUES (?,?,?,1,?,?) ON CONFLICT(fingerprint) DO UPDATE SET "
                    "first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen), "
                    "count = count + 1",
                    (report.fingerprint, when, when, report.title, report.kind),
                )
                conn.execute(
                    "INSERT INTO fingerprint_hosts VALUES (?,?,?,?,1) ON CONFLICT(fingerprint, host) DO UPDATE SET "
                    "first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen), "
                    "count = count + 1",
                    (report.fingerprint, record.host, when, when),
                )
            if also is not None:
                also(conn, record)
            if hook is not None:
                hook()
        return record

    def mark_journaled(self, crash_id: str) -> None:
        with transaction(self.conn) as conn:
            conn.execute(
                "UPDATE crashes SET status = ?, journaled_at = ?, updated_at = ? WHERE crash_id = ?",
                (JOURNALED, time.time(), time.time(), crash_id),
            )

    def update_vmcore(self, crash_id: str, vmcore_state: str, facts: VmcoreFacts | None, problems: list[str]) -> None:
        """A vmcore that finished (or failed) after the journal entry: state only, no new entry."""
        with transaction(self.conn) as conn:
            row = conn.execute("SELECT record_json FROM crashes WHERE crash_id = ?", (crash_id,)).fetchone()
            if row is None:
                return
            record = CrashRecord.model_validate_json(row[0])
            record = record.model_copy(update={"vmcore": facts, "problems": problems, "vmcore_state": vmcore_state})
            conn.execute(
                "UPDATE crashes SET vmcore_state = ?, record_json = ?, updated_at = ? WHERE crash_id = ?",
                (vmcore_state, record.model_dump_json(), time.time(), crash_id),
            )

    def prune(self, older_than: datetime, gone: Callable[[str, int], bool]) -> int:
        """Forget crashes older than the retention whose dump folder no longer exists (a folder
        still on disk keeps its row: forgetting it would journal it again)."""
        rows = self.conn.execute(
            "SELECT crash_id, dump_dir, ino FROM crashes WHERE crash_time < ? AND status = ?",
            (epoch(older_than), JOURNALED),
        ).fetchall()
        doomed = [row[0] for row in rows if gone(row[1], row[2])]
        if doomed:
            with transaction(self.conn) as conn:
                conn.executemany("DELETE FROM crashes WHERE crash_id = ?", [(cid,) for cid in doomed])
        return len(doomed)

    def clear_rebuilt(self) -> None:
        with transaction(self.conn) as conn:
            conn.execute("DELETE FROM history_meta WHERE key = 'rebuilt_at'")
        self.rebuilt_at = None


def is_transient(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("locked", "busy", "disk is full", "disk i/o", "unable to open", "readonly"))


def to_row(row: sqlite3.Row) -> CrashRow:
    return CrashRow(
        crash_id=row["crash_id"],
        dump_dir=row["dump_dir"],
        ino=row["ino"],
        status=row["status"],
        vmcore_state=row["vmcore_state"],
        log_mtime_ns=row["log_mtime_ns"],
        log_size=row["log_size"],
        record=CrashRecord.model_validate_json(row["record_json"]),
    )


def query_rows(conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    sql = "SELECT * FROM crashes" + (f" WHERE {where}" if where else "") + " ORDER BY crash_time, detected_at"
    return list(conn.execute(sql, params))
