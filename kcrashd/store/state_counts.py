"""What a Prometheus scrape reports from the state database (kcrashd.daemon.metrics serves it): crash
counts by kind, the kernel reports read from the journal and the unexplained reboots, the
fingerprints seen lately, the outbox by target, read in one read transaction on the caller's
read-only connection."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from kcrashd.store.boot_ledger import JOURNAL_LAYOUT, UNEXPLAINED_KIND

PENDING_STATES = ("pending", "sending")  # outbox rows not yet delivered nor given up on

KindCount = tuple[str, str, int]  # kind, severity, crashes
FingerprintRow = tuple[str, str, str, int, float]  # fingerprint, kind, function, crashes, last seen
ReportCount = tuple[str, str, int]  # kind, survived ("1" or "0"), reports


@dataclass
class StateCounts:
    """What a scrape reports, read from the state database in one read transaction."""

    crashes: list[KindCount] = field(default_factory=list)
    fingerprints: list[FingerprintRow] = field(default_factory=list)
    last_crash: float = 0.0
    kernel_reports: list[ReportCount] = field(default_factory=list)
    unexplained_reboots: int = 0
    pending: dict[str, int] = field(default_factory=dict)
    dead: dict[str, int] = field(default_factory=dict)


def read_counts(conn: sqlite3.Connection, seen_since: float) -> StateCounts:
    """Crash counts by kind, fingerprints seen since `seen_since`, and the outbox by target."""
    counts = StateCounts()
    conn.execute("BEGIN")
    try:
        counts.crashes = [
            (row[0], row[1], row[2])
            for row in conn.execute("SELECT kind, severity, COUNT(*) FROM crashes GROUP BY kind, severity")
        ]
        counts.fingerprints = [
            (row[0], row[1], row[2] or "", row[3], row[4])
            for row in conn.execute(
                "SELECT f.fingerprint, f.kind, (SELECT c.function FROM crashes c WHERE c.fingerprint = f.fingerprint"
                " ORDER BY c.rowid LIMIT 1), f.count, f.last_seen FROM fingerprints f WHERE f.last_seen >= ?",
                (seen_since,),
            )
        ]
        counts.last_crash = conn.execute("SELECT COALESCE(MAX(crash_time), 0) FROM crashes").fetchone()[0]
        read_journal_counts(conn, counts)
        try:
            rows = conn.execute(
                "SELECT target, state, COUNT(*) FROM outbox GROUP BY target, state"
            ).fetchall()
        except sqlite3.OperationalError:  # no alerting component in this database
            rows = []
    finally:
        conn.execute("COMMIT")
    for target, state, number in rows:
        if state in PENDING_STATES:
            counts.pending[target] = counts.pending.get(target, 0) + number
        elif state == "dead":
            counts.dead[target] = counts.dead.get(target, 0) + number
    return counts


def read_journal_counts(conn: sqlite3.Connection, counts: StateCounts) -> None:
    """Kernel reports read from the journal by kind and whether the kernel survived them, and the
    unexplained reboots (docs/reboots.md): a report is not a reboot, so they are counted apart."""
    counts.kernel_reports = [
        (row[0], "1" if row[1] else "0", row[2])
        for row in conn.execute(
            "SELECT kind, COALESCE(json_extract(record_json, '$.survived'), 0), COUNT(*) FROM crashes"
            " WHERE layout = ? AND kind != ? GROUP BY 1, 2", (JOURNAL_LAYOUT, UNEXPLAINED_KIND),
        )
    ]  # fmt: skip
    counts.unexplained_reboots = conn.execute(
        "SELECT COUNT(*) FROM crashes WHERE layout = ? AND kind = ?", (JOURNAL_LAYOUT, UNEXPLAINED_KIND)
    ).fetchone()[0]
