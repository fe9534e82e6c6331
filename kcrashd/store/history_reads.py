"""The crash history as the verbs read it (`list`, `info`, `similar`, `resend`, `group`): the
state database opened read-only, the crashes matching a query with the key and size of their group,
and the crash a person's name for it stands for (its id, a unique prefix, its dump folder's path or
the folder's name). Every statement here only reads; the verbs build a `CrashQuery` and never SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias, TypeVar

from kcrashd.store.database import StoreError, connect_readonly

# A crash as `list` and `info` read it: the `crashes` columns, plus `grouped` (the key of its group:
# the fingerprint an operator merged its own into, else its own, kcrashd.store.merges), `total` (the
# group's count) and `alt_json` (the report's alternative titles, to compute the key triage gave).
StoredCrash: TypeAlias = sqlite3.Row

Value = TypeVar("Value")

# The fields a `FIELD=VALUE` match may name (as in the journal, without KCRASHD_), and their columns.
MATCH_FIELDS = {
    "KIND": "kind",
    "HOST": "host",
    "KERNEL": "kernel",
    "FINGERPRINT": "fingerprint",
    "TITLE": "title",
    "FUNCTION": "function",
    "LAYOUT": "layout",
    "SOURCE": "source",
    "SEVERITY": "severity",
    "STATUS": "status",
    "TEST": "test",
    "INCOMPLETE": "incomplete",
    "CRASH_ID": "crash_id",
    "DUMP_DIR": "dump_dir",
}
MATCH_COLUMNS = frozenset(MATCH_FIELDS.values())

GROUPED_SELECT = (
    "WITH groups AS (SELECT COALESCE(m.fingerprint, f.fingerprint) AS key, SUM(f.count) AS total FROM fingerprints f"
    " LEFT JOIN merges m ON m.alias = f.fingerprint GROUP BY key)"
    " SELECT c.*, COALESCE(m.fingerprint, c.fingerprint) AS grouped, COALESCE(g.total, 1) AS total,"
    " json_extract(c.record_json, '$.report.alt_titles') AS alt_json FROM crashes c"
    " LEFT JOIN merges m ON m.alias = c.fingerprint LEFT JOIN groups g ON g.key = COALESCE(m.fingerprint, c.fingerprint)"
)
UNGROUPED_SELECT = (
    "SELECT c.*, c.fingerprint AS grouped, COALESCE(f.count, 1) AS total,"
    " json_extract(c.record_json, '$.report.alt_titles') AS alt_json FROM crashes c"
    " LEFT JOIN fingerprints f ON f.fingerprint = c.fingerprint"
)
# A word of `info` that named no one crash: an id prefix, a fingerprint or its prefix, a dump
# folder or log path, the folder a path is in, or a bare folder name as `ls /var/crash` shows it.
LOOSE_MATCH = (
    "(c.crash_id LIKE ? OR c.fingerprint = ? OR c.fingerprint LIKE ? OR c.dump_dir = ? OR c.log_path = ?"
    " OR c.dump_dir = ? OR substr(c.dump_dir, -length(?) - 1) = '/' || ?)"
)
# With merges, a fingerprint names its group: the group's key, or a key merged into it, stands for
# every crash of the group (`grouped`, kcrashd.store.merges).
GROUP_OF = "(SELECT g.fingerprint FROM merges g WHERE g.alias = ?)"
LOOSE_GROUP_MATCH = LOOSE_MATCH[:-1] + f" OR grouped = ? OR grouped = {GROUP_OF})"
LATEST = " ORDER BY crash_time DESC, detected_at DESC"


@dataclass(frozen=True)
class LooseName:
    """A word of `info` that named no one crash, with the path it may stand for and that path's folder."""

    word: str
    path: str
    parent: str


@dataclass
class CrashQuery:
    """Which crashes a verb asks for: every condition must hold."""

    equals: list[tuple[str, object]] = field(default_factory=list)  # (column of MATCH_COLUMNS, value)
    since: float | None = None  # epoch seconds, crash time
    until: float | None = None
    crash_ids: list[str] = field(default_factory=list)
    loose: list[LooseName] = field(default_factory=list)

    def where(self, merged: bool = True) -> tuple[str, list[object]]:
        """The SQL condition and its parameters; `merged`: the database has the merges table."""
        clauses: list[str] = []
        params: list[object] = []
        for column, value in self.equals:
            if column not in MATCH_COLUMNS:
                raise ValueError(f"no column {column!r} to match")
            if column != "fingerprint":
                clauses.append(f"c.{column} = ?")
            elif merged:  # FINGERPRINT= names a group: its key or a member's; every crash of the group
                clauses.append(f"grouped = COALESCE({GROUP_OF}, ?)")
                params.append(value)
            else:
                clauses.append("grouped = ?")
            params.append(value)
        for moment, op in ((self.since, ">="), (self.until, "<=")):
            if moment is not None:
                clauses.append(f"c.crash_time {op} ?")
                params.append(moment)
        for crash_id in self.crash_ids:
            clauses.append("c.crash_id = ?")
            params.append(crash_id)
        for name in self.loose:
            clauses.append(LOOSE_GROUP_MATCH if merged else LOOSE_MATCH)
            params += [name.word.lower() + "%", name.word, name.word + "%", name.path, name.path, name.parent,
                       name.word, name.word] + ([name.word, name.word] if merged else [])  # fmt: skip
        return " AND ".join(clauses), params


def open_readonly(path: Path) -> sqlite3.Connection:
    """The state database read-only, checked to hold crashes; StoreError when it cannot be read."""
    try:
        conn = connect_readonly(path)
        conn.execute("SELECT 1 FROM crashes LIMIT 1")
    except sqlite3.Error as exc:
        raise StoreError(str(exc)) from None
    return conn


def select_crashes(conn: sqlite3.Connection, query: CrashQuery) -> list[StoredCrash]:
    """The crashes matching `query`, oldest first; a database without merges (only an earlier
    kcrashd opened it) is read without them."""
    from kcrashd.store.merges import has_merges

    merged = has_merges(conn)
    where, params = query.where(merged)
    sql = (
        (GROUPED_SELECT if merged else UNGROUPED_SELECT)
        + (f" WHERE {where}" if where else "")
        + " ORDER BY c.crash_time, c.detected_at"
    )
    return list(conn.execute(sql, params))


def or_default(read: Callable[[], Value], default: Value) -> Value:
    """`read()` (a read of another part on a verb's connection), or `default` when the database
    cannot answer it: a schema an earlier kcrashd wrote, which a read-only verb never upgrades."""
    try:
        return read()
    except sqlite3.Error:
        return default


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class CrashNames:
    """The lookups behind a person's name for a crash (kcrashd.cli.crash_names says what a name means)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def ids_starting(self, prefix: str, limit: int) -> list[str]:
        """Up to `limit` crash ids that start with `prefix`."""
        rows = self.conn.execute(
            "SELECT crash_id FROM crashes WHERE crash_id LIKE ? ESCAPE '\\' LIMIT ?", (escape_like(prefix) + "%", limit)
        ).fetchall()
        return [str(row[0]) for row in rows]

    def latest_at(self, path: str) -> str | None:
        """The latest crash whose dump folder or log file is `path`."""
        row = self.conn.execute(
            "SELECT crash_id FROM crashes WHERE dump_dir = ? OR log_path = ?" + LATEST + " LIMIT 1", (path, path)
        ).fetchone()
        return None if row is None else str(row[0])

    def latest_in(self, dump_dir: str) -> str | None:
        """The latest crash of the dump folder `dump_dir`."""
        row = self.conn.execute("SELECT crash_id FROM crashes WHERE dump_dir = ?" + LATEST + " LIMIT 1", (dump_dir,)).fetchone()
        return None if row is None else str(row[0])

    def folders_named(self, name: str, limit: int) -> list[str]:
        """Up to `limit` dump folders whose last path component is `name`."""
        rows = self.conn.execute(
            "SELECT DISTINCT dump_dir FROM crashes WHERE substr(dump_dir, -length(?) - 1) = '/' || ? LIMIT ?",
            (name, name, limit),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def is_fingerprint(self, fingerprint: str) -> bool:
        """Whether the fingerprint history knows `fingerprint`."""
        return self.conn.execute("SELECT 1 FROM fingerprints WHERE fingerprint = ?", (fingerprint,)).fetchone() is not None

    def fingerprint_of(self, crash_id: str) -> str | None:
        """The crash's fingerprint; None for an unknown crash or one whose log showed no crash."""
        row = self.conn.execute("SELECT fingerprint FROM crashes WHERE crash_id = ?", (crash_id,)).fetchone()
        return str(row[0]) if row is not None and row[0] else None
