"""The crash logs kept for `kcrashd retriage`: the `crash_logs` table of the state database
(kcrashd/store/schema.py, history version 3).

Each crash recorded since keeps what kcrashd.core.kept_log chose of the log triage read (at most
64 KiB of the log's own bytes, plus the marks that say where its windows start), zlib-compressed;
`read` is how many bytes triage read, `kept` how many are kept. A crash recorded by an earlier
kcrashd has no row: retriage reports it as "no log kept".
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from kcrashd.store.merges import has_merges

LEVEL = 6


@dataclass(frozen=True)
class KeptLog:
    """The bytes kept of a crash's log, and how many bytes triage read."""

    data: bytes
    read: int


@dataclass(frozen=True)
class StoredCrash:
    """A recorded crash as retriage sees it: its key, the key of its group, its kept log (None:
    none kept)."""

    crash_id: str
    host: str
    dump_dir: str
    kind: str
    crash_time: float
    fingerprint: str
    grouped: str
    log: bytes | None


def put_log(conn: sqlite3.Connection, crash_id: str, log: KeptLog) -> None:
    """Keep a crash's log, in the caller's transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO crash_logs VALUES (?, ?, ?, ?)",
        (crash_id, zlib.compress(log.data, LEVEL), len(log.data), log.read),
    )


def has_logs(conn: sqlite3.Connection) -> bool:
    """Whether the database has the table (one only an earlier kcrashd opened has not)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'crash_logs'").fetchone()
    return row is not None


def stored_crashes(conn: sqlite3.Connection, since: float | None = None) -> Iterator[StoredCrash]:
    """Every recorded crash (crashed at or after `since`), oldest first, with its kept log."""
    logs = "l.log" if has_logs(conn) else "NULL"
    join = " LEFT JOIN crash_logs l ON l.crash_id = c.crash_id" if logs != "NULL" else ""
    group = "COALESCE((SELECT m.fingerprint FROM merges m WHERE m.alias = c.fingerprint), c.fingerprint)"
    if not has_merges(conn):
        group = "c.fingerprint"
    where = " WHERE c.crash_time >= ?" if since is not None else ""
    rows = conn.execute(
        f"SELECT c.crash_id, c.host, c.dump_dir, c.kind, c.crash_time, c.fingerprint, {group}, {logs} FROM crashes c{join}"
        f"{where} ORDER BY c.crash_time, c.detected_at",
        () if since is None else (since,),
    )
    for crash_id, host, dump_dir, kind, crash_time, fingerprint, grouped, blob in rows:
        log = None if blob is None else zlib.decompress(blob)
        yield StoredCrash(crash_id, host, dump_dir, kind, crash_time, fingerprint, grouped, log)


def log_sizes(conn: sqlite3.Connection) -> tuple[int, int, int, int]:
    """(logs kept, bytes on disk, bytes kept, bytes triage read) over the whole table."""
    if not has_logs(conn):
        return 0, 0, 0, 0
    row = conn.execute("SELECT COUNT(*), SUM(length(log)), SUM(kept), SUM(read) FROM crash_logs").fetchone()
    return int(row[0]), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)
