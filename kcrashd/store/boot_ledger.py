"""The kernel journal's part of the state database (docs/state.md, docs/reboots.md): per boot, the
cursor of the last kernel line read, how many reports were journaled, when it began and ended, and
how it ended; and the links between a report read from the journal and the dump crash of the same
boot.

Self-contained: two tables of its own, created on first use in the shared `state.db`, with the
component `kernel_journal` in `schema_versions`. Nothing else reads or writes them except
`kcrashd info`, which shows the links, and the pipeline, which links a dump that arrives after
the report it holds (`report_for_dump`, `add_link`).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from kcrashd.store.database import transaction

COMPONENT = "kernel_journal"
VERSION = 2  # 2: kernel_journal_boots.started, .ended
JOURNAL_LAYOUT = "kernel-journal"
UNEXPLAINED_KIND = "unexplained-reboot"  # the kind of a boot's end that left no dump
# a dump's time (its folder's name, the vmcore's header) may come from a clock a little off the journal's
CLOCK_SLACK = 60.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS kernel_journal_boots(
    boot_id TEXT PRIMARY KEY,
    cursor TEXT,
    reports INTEGER NOT NULL DEFAULT 0,
    verdict TEXT,
    crash_id TEXT,
    updated_at REAL NOT NULL,
    started REAL,
    ended REAL
);
CREATE TABLE IF NOT EXISTS kernel_journal_links(
    crash_id TEXT NOT NULL,
    dump_crash_id TEXT NOT NULL,
    PRIMARY KEY(crash_id, dump_crash_id)
);
"""


@dataclass(frozen=True)
class BootMark:
    """How far a boot's kernel lines were read, and what was decided about its end."""

    boot_id: str
    cursor: str | None
    reports: int
    verdict: str | None
    crash_id: str | None


class BootLedger:
    """Reads and writes the two tables on the state database's connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        with transaction(conn):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(kernel_journal_boots)")}
            for column in ("started", "ended"):
                if column not in columns:  # a version 1 table
                    conn.execute(f"ALTER TABLE kernel_journal_boots ADD COLUMN {column} REAL")
            conn.execute("INSERT OR REPLACE INTO schema_versions VALUES (?, ?)", (COMPONENT, VERSION))

    def get(self, boot_id: str) -> BootMark | None:
        row = self.conn.execute(
            "SELECT boot_id, cursor, reports, verdict, crash_id FROM kernel_journal_boots WHERE boot_id = ?",
            (boot_id,),
        ).fetchone()
        return None if row is None else BootMark(row[0], row[1], row[2], row[3], row[4])

    def has_any(self) -> bool:
        return self.conn.execute("SELECT 1 FROM kernel_journal_boots LIMIT 1").fetchone() is not None

    def advance(self, boot_id: str, cursor: str | None, reports: int) -> None:
        """The boot's lines were read up to `cursor`; `reports` more were journaled."""
        with transaction(self.conn) as conn:
            conn.execute(
                "INSERT INTO kernel_journal_boots(boot_id, cursor, reports, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(boot_id) DO UPDATE SET cursor = COALESCE(excluded.cursor, cursor), "
                "reports = reports + excluded.reports, updated_at = excluded.updated_at",
                (boot_id, cursor, reports, time.time()),
            )

    def span(self, boot_id: str, started: float, ended: float | None) -> None:
        """When a known boot began and (unless it is running) ended, in epoch seconds."""
        with transaction(self.conn) as conn:
            conn.execute(
                "UPDATE kernel_journal_boots SET started = ?, ended = ? WHERE boot_id = ?",
                (started, ended, boot_id),
            )

    def decide(self, boot_id: str, verdict: str, crash_id: str | None) -> None:
        """How the boot ended: `clean`, `dump` (with the dump's crash) or `unexplained` (with its entry)."""
        with transaction(self.conn) as conn:
            conn.execute(
                "INSERT INTO kernel_journal_boots(boot_id, verdict, crash_id, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(boot_id) DO UPDATE SET verdict = excluded.verdict, crash_id = excluded.crash_id, "
                "updated_at = excluded.updated_at",
                (boot_id, verdict, crash_id, time.time()),
            )

    def link(self, crash_id: str, dump_crash_id: str) -> None:
        add_link(self.conn, crash_id, dump_crash_id)

    def find_dump(self, start: float, end: float, fingerprint: str | None = None) -> str | None:
        """The first crash from a dump folder or pstore (not from the journal) of the time span,
        with the given fingerprint when one is given."""
        sql = "SELECT crash_id FROM crashes WHERE layout != ? AND crash_time BETWEEN ? AND ?"
        params: list[object] = [JOURNAL_LAYOUT, start, end]
        if fingerprint is not None:
            sql += " AND fingerprint = ?"
            params.append(fingerprint)
        row = self.conn.execute(sql + " ORDER BY crash_time LIMIT 1", params).fetchone()
        return None if row is None else str(row[0])

    def journal_reports(self, boot_id: str) -> list[tuple[str, str]]:
        """(crash id, fingerprint) of the reports of a boot read from the journal."""
        rows = self.conn.execute(
            "SELECT crash_id, fingerprint FROM crashes WHERE layout = ? AND dump_dir = ? AND kind != ?",
            (JOURNAL_LAYOUT, journal_dir(boot_id), UNEXPLAINED_KIND),
        ).fetchall()
        return [(str(row[0]), str(row[1])) for row in rows]


def journal_dir(boot_id: str) -> str:
    """What stands for the dump folder of a crash read from the journal."""
    return f"journal:{boot_id}"


def report_for_dump(conn: sqlite3.Connection, fingerprint: str, when: float, window: float) -> str | None:
    """The kernel report read from the journal that a dump of `when` holds: the newest one with
    the dump's fingerprint, printed before it, in a boot that began before the dump and ended at
    most `window` seconds before it (still running, or not known to have ended: any). None when the
    kernel journal's tables were never made."""
    try:
        row = conn.execute(
            "SELECT c.crash_id FROM crashes c LEFT JOIN kernel_journal_boots b ON c.dump_dir = 'journal:' || b.boot_id "
            "WHERE c.layout = ? AND c.fingerprint = ? AND c.kind != ? AND c.crash_time <= ? "
            "AND COALESCE(b.started, c.crash_time) <= ? AND (b.ended IS NULL OR ? <= b.ended + ?) "
            "ORDER BY c.crash_time DESC LIMIT 1",
            (JOURNAL_LAYOUT, fingerprint, UNEXPLAINED_KIND, when + CLOCK_SLACK, when + CLOCK_SLACK, when, window),
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else str(row[0])


def journal_crashes(conn: sqlite3.Connection) -> int:
    """How many crashes were read from the journal (reports and unexplained reboots)."""
    return int(conn.execute("SELECT COUNT(*) FROM crashes WHERE layout = ?", (JOURNAL_LAYOUT,)).fetchone()[0])


def add_link(conn: sqlite3.Connection, crash_id: str, dump_crash_id: str) -> None:
    """Link a report read from the journal and the dump crash that holds it (tables made: see above)."""
    with transaction(conn):
        conn.execute("INSERT OR IGNORE INTO kernel_journal_links VALUES (?, ?)", (crash_id, dump_crash_id))


def links_of(conn: sqlite3.Connection, crash_id: str) -> list[str]:
    """The crashes linked to this one, both ways (none when the tables were never made)."""
    try:
        rows = conn.execute(
            "SELECT dump_crash_id FROM kernel_journal_links WHERE crash_id = ? "
            "UNION SELECT crash_id FROM kernel_journal_links WHERE dump_crash_id = ?",
            (crash_id, crash_id),
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [str(row[0]) for row in rows]
