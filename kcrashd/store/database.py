"""The state database, the one module that opens it: which crashes were processed, whether
their journal entry went out, the history of each fingerprint, and the alert outbox with the
paging policy's history (docs/state.md).

SQLite in WAL mode; one transaction per crash (the crash, its history and its alert intents
commit together). Every connection comes from `connect` (one set of PRAGMAs; the delivery side
may ask for NORMAL durability). Each component's tables (kcrashd/store/schema.py) are created here,
with their versions in `schema_versions` (`history`, `outbox`). A database that SQLite calls corrupt is moved aside as
`state.db.corrupt-<time>` and rebuilt by rescanning; `rebuilt_at` then tells the pipeline to ask
the journal before sending anything again (also set when the journal is ahead of the database:
a lost WAL or a database restored from an older copy).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from kcrashd.model.bugkey import candidate_keys, keep_known_key
from kcrashd.model.crash import CrashRecord, VmcoreFacts
from kcrashd.store.crash_logs import KeptLog, put_log
from kcrashd.store.merges import merged_into
from kcrashd.store.schema import COMPONENTS, Component

if TYPE_CHECKING:
    from kcrashd.core.model import Report

log = logging.getLogger(__name__)

DB_NAME = "state.db"
LOCK_NAME = "lock"  # the flock every writer holds (kcrashd.pipeline.StateLock)
# The daemon mostly appends and looks rows up by key: a small page cache keeps it small when idle.
CACHE_KIB = -512
BUSY_MS = 30000

class CrashStatus(StrEnum):
    """Where a recorded crash is on its way to the journal."""

    PENDING = "pending"  # recorded; its journal entry may or may not have gone out
    JOURNALED = "journaled"  # its journal entry is confirmed


class Durability(StrEnum):
    """PRAGMA synchronous of a connection."""

    FULL = "FULL"  # crashes and alert intents: a commit survives a power cut
    # In WAL, NORMAL is durable across a process crash, not a power cut: enough for delivery
    # bookkeeping, where a claim or "done" lost to a power cut only means one more send.
    NORMAL = "NORMAL"


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
    status: CrashStatus
    vmcore_state: str
    log_mtime_ns: int | None
    log_size: int | None
    record: CrashRecord


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def connect(path: Path, durability: Durability = Durability.FULL) -> sqlite3.Connection:
    """A read-write connection to the state database: the only place its PRAGMAs are set."""
    conn = sqlite3.connect(path, timeout=BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    _enter_wal(conn)
    conn.execute(f"PRAGMA synchronous={durability}")
    conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    conn.execute(f"PRAGMA cache_size={CACHE_KIB}")
    return conn


# How long to wait between tries of the switch to WAL that another opener's lock refused.
_WAL_RETRY_S = 0.02


def _enter_wal(conn: sqlite3.Connection) -> None:
    """`PRAGMA journal_mode=WAL`, tried again while another process's lock refuses it.  Two processes that open
    a new database at once (the daemon and `kcrashd scan` on a first boot) each hold a shared lock on it and
    want it exclusive to switch: SQLite refuses one at once, without its busy handler, as a deadlock (the
    busy handler waits only where waiting can end).  Once the other has switched, the switch is a read."""
    deadline = time.monotonic() + BUSY_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
        time.sleep(_WAL_RETRY_S)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (`mode=ro`): running `list` as root must not leave root-owned files
    the sandboxed daemon cannot open (SQLite gives any -shm it creates the database's owner)."""
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    return conn


def ensure_schema(conn: sqlite3.Connection, components: tuple[Component, ...] = COMPONENTS) -> None:
    """Create every component's tables (idempotent), upgrading a database an earlier kcrashd
    wrote, and record the versions, in one transaction (or in the caller's); a newer schema than
    this kcrashd knows is refused."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_versions(component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        versions = dict(conn.execute("SELECT component, version FROM schema_versions").fetchall())
        for component in components:
            upgrade(conn, component, versions.get(component.name, component.version))
        for component in components:
            execute_script(conn, component.ddl)
            conn.execute("INSERT OR REPLACE INTO schema_versions VALUES (?, ?)", (component.name, component.version))
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")


def upgrade(conn: sqlite3.Connection, component: Component, have: int) -> None:
    """Take one component from the version the database records to this kcrashd's."""
    if have > component.version:
        raise StoreError(f"state database has {component.name} schema {have}, newer than this kcrashd ({component.version})")
    for version in range(have, component.version):
        log.info("upgrading the state database: %s schema %d -> %d", component.name, version, version + 1)
        execute_script(conn, component.upgrades[version])


def execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Each statement in the current transaction (`executescript` would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


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


@contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-write connection with every component's tables (a verb's one change, autocommitted),
    closed after use."""
    conn = connect(path)
    try:
        ensure_schema(conn)
        yield conn
    finally:
        conn.close()


def in_savepoint(conn: sqlite3.Connection, name: str, work: Callable[[], object]) -> Exception | None:
    """Run `work` as a part of the caller's transaction that is undone alone when it fails: the
    exception it raised, its changes rolled back, or None."""
    conn.execute(f"SAVEPOINT {name}")
    failed: Exception | None = None
    try:
        work()
    except Exception as exc:
        conn.execute(f"ROLLBACK TO {name}")
        failed = exc
    conn.execute(f"RELEASE {name}")
    return failed


class Store:
    """The history component of the state database."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / DB_NAME
        self.rebuilt_at: float | None = None
        self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists()
        try:
            conn = connect(self.path)
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                conn.close()
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            self._ensure_schema(conn)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and is_transient(exc):
                raise StoreError(f"{self.path}: {exc}") from None
            aside = self.set_aside(exc)
            log.error("state database %s is corrupt (%s): kept as %s; rebuilding by rescanning", self.path, exc, aside)
            conn = connect(self.path)
            self._ensure_schema(conn)
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

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        try:
            ensure_schema(conn)
        except StoreError as exc:
            conn.close()
            raise StoreError(f"{self.path}: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def shrink_cache(self) -> None:
        """Hand back the page cache a burst filled (up to CACHE_KIB): an idle daemon reads nothing."""
        with suppress(sqlite3.Error):  # a hint: never a reason to stop the loop
            self.conn.execute("PRAGMA shrink_memory")

    def ask_journal_until(self, moment: float) -> None:
        """Dumps written up to `moment` are looked up in the journal before anything is sent for
        them: the database is older than the journal (a lost WAL, a restored copy)."""
        if self.rebuilt_at is not None and self.rebuilt_at >= moment:
            return
        with transaction(self.conn) as conn:
            conn.execute("INSERT OR REPLACE INTO history_meta VALUES ('rebuilt_at', ?)", (repr(moment),))
        self.rebuilt_at = moment

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
        rows = self.conn.execute(f"SELECT * FROM crashes WHERE status != '{CrashStatus.JOURNALED}' ORDER BY detected_at")
        return [to_row(row) for row in rows]

    def counts(self) -> dict[str, int]:
        row = self.conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT fingerprint), SUM(status != ?) FROM crashes", (CrashStatus.JOURNALED,)
        ).fetchone()
        return {"crashes": row[0] or 0, "fingerprints": row[1] or 0, "pending": row[2] or 0}

    def stats(self, fingerprint: str, host: str) -> FingerprintStats:
        """The history of a fingerprint and the fingerprints an operator merged into it."""
        group = "fingerprint = ? OR fingerprint IN (SELECT alias FROM merges WHERE fingerprint = ?)"
        row = self.conn.execute(
            f"SELECT MIN(first_seen), SUM(count) FROM fingerprints WHERE {group}", (fingerprint, fingerprint)
        ).fetchone()
        hosts = self.conn.execute(
            f"SELECT COUNT(DISTINCT host), MAX(host = ?) FROM fingerprint_hosts WHERE {group}", (host, fingerprint, fingerprint)
        ).fetchone()
        if row is None or row[0] is None:
            return FingerprintStats(None, 0, 0, False)
        return FingerprintStats(datetime.fromtimestamp(row[0], UTC), row[1], hosts[0] or 0, bool(hosts[1]))

    def known_key(self, report: Report) -> str:
        """The key this bug already has here (`known_key`)."""
        return known_key(self.conn, report)

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
        status: CrashStatus = CrashStatus.PENDING,
        also: Callable[[sqlite3.Connection, CrashRecord], None] | None = None,
        hook: Callable[[], None] | None = None,
        log: KeptLog | None = None,
    ) -> CrashRecord:
        """Record a crash and update its fingerprint's history in one transaction; `also` runs in
        the same transaction (the alert outbox), so the crash and its alert intents commit together;
        `log`: the part of its log kept for retriage (kcrashd.store.crash_logs)."""
        with transaction(self.conn) as conn:
            probe = build(FingerprintStats(None, 0, 0, False))
            key = self.known_key(probe.report)
            record = build(self.stats(key, probe.host)) if key else probe
            if key:
                record = record.model_copy(update={"report": keep_known_key(record.report, key)})
            report = record.report
            insert_crash(conn, record, CrashFile(dev, ino, log_mtime_ns, log_size), vmcore_state, status)
            if log is not None:
                put_log(conn, record.crash_id, log)
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
                (CrashStatus.JOURNALED, time.time(), time.time(), crash_id),
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
            (epoch(older_than), CrashStatus.JOURNALED),
        ).fetchall()
        doomed = [row[0] for row in rows if gone(row[1], row[2])]
        if doomed:
            with transaction(self.conn) as conn:
                conn.executemany("DELETE FROM crashes WHERE crash_id = ?", [(cid,) for cid in doomed])
                conn.executemany("DELETE FROM crash_logs WHERE crash_id = ?", [(cid,) for cid in doomed])
        return len(doomed)


def known_key(conn: sqlite3.Connection, report: Report) -> str:
    """The key this bug already has here: its fingerprint, or the oldest-known alias an earlier
    fingerprint version gave it, so a new algorithm never re-opens existing alerts and tickets;
    then the group the operator (or a retriage) merged that key into (kcrashd.store.merges)."""
    key = version_key(conn, report)
    return (merged_into(conn, key) or key) if key else key


def version_key(conn: sqlite3.Connection, report: Report) -> str:
    keys = candidate_keys(report)
    if len(keys) < 2:
        return report.fingerprint
    marks = ",".join("?" * len(keys))
    row = conn.execute(
        f"SELECT fingerprint FROM fingerprints WHERE fingerprint IN ({marks}) ORDER BY first_seen LIMIT 1", keys
    ).fetchone()
    return str(row[0]) if row else report.fingerprint


def replace_report(conn: sqlite3.Connection, crash_id: str, report: Report) -> None:
    """A crash's report after a retriage, in the caller's transaction: its record and the columns
    `list` shows; its fingerprint (the key it is counted under) stays."""
    row = conn.execute("SELECT record_json FROM crashes WHERE crash_id = ?", (crash_id,)).fetchone()
    if row is None:
        return
    record = CrashRecord.model_validate_json(row[0]).model_copy(update={"report": report})
    conn.execute(
        "UPDATE crashes SET kernel = ?, kind = ?, severity = ?, title = ?, function = ?, record_json = ?, updated_at = ?"
        " WHERE crash_id = ?",
        (report.kernel_release, report.kind, str(report.severity), report.title, report.function,
         record.model_dump_json(), time.time(), crash_id),
    )  # fmt: skip


def stored_report_keys(conn: sqlite3.Connection, crash_id: str) -> tuple[str, list[str], list[object]] | None:
    """The keys a crash's record holds (fingerprint, fingerprint_aliases, operator_rules as
    JSON): what a retriage compares with a new report to see whether it was applied already."""
    row = conn.execute(
        "SELECT json_extract(record_json, '$.report.fingerprint'), json_extract(record_json, '$.report.fingerprint_aliases'),"
        " json_extract(record_json, '$.report.operator_rules') FROM crashes WHERE crash_id = ?",
        (crash_id,),
    ).fetchone()
    if row is None:
        return None
    return str(row[0] or ""), json.loads(row[1] or "[]"), json.loads(row[2] or "[]")


@dataclass(frozen=True)
class CrashFile:
    """Where a crash was found: the folder's device and inode, the log's mtime and size."""

    dev: int
    ino: int
    log_mtime_ns: int | None = None
    log_size: int | None = None


CRASH_COLUMNS = (
    "crash_id, dump_dir, dev, ino, log_path, log_mtime_ns, log_size, layout, source, host, kernel, kind, severity,"
    " title, function, fingerprint, crash_time, detected_at, incomplete, test, too_old_to_page, status,"
    " journaled_at, vmcore_state, record_json, updated_at"
)


def insert_crash(
    conn: sqlite3.Connection, record: CrashRecord, where: CrashFile, vmcore_state: str, status: CrashStatus
) -> None:
    """The crash's row, in the caller's transaction (its fingerprint's history is the caller's)."""
    now = time.time()
    report = record.report
    conn.execute(
        f"INSERT INTO crashes ({CRASH_COLUMNS}) VALUES ({','.join('?' * 26)})",
        (
            record.crash_id, record.dump_dir, where.dev, where.ino, record.log_path, where.log_mtime_ns,
            where.log_size, record.layout, record.source, record.host, report.kernel_release, report.kind,
            str(report.severity), report.title, report.function, report.fingerprint,
            epoch(record.crash_time), epoch(record.detected_at), int(record.incomplete), int(record.test),
            int(record.too_old_to_page), str(status), now if status is CrashStatus.JOURNALED else None, vmcore_state,
            record.model_dump_json(), now,
        ),
    )  # fmt: skip


# What a call of the store raises when the database cannot be used now (locked, full, unreadable).
STORE_FAILURES = (StoreError, sqlite3.OperationalError)


def is_transient(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("locked", "busy", "disk is full", "disk i/o", "unable to open", "readonly"))


def to_row(row: sqlite3.Row) -> CrashRow:
    return CrashRow(
        crash_id=row["crash_id"],
        dump_dir=row["dump_dir"],
        ino=row["ino"],
        status=CrashStatus(row["status"]),
        vmcore_state=row["vmcore_state"],
        log_mtime_ns=row["log_mtime_ns"],
        log_size=row["log_size"],
        record=CrashRecord.model_validate_json(row["record_json"]),
    )
