"""The operator's merges of fingerprints (`kcrashd group merge A B`, `group split B`): the
`merges` table of the state database (kcrashd/store/schema.py, component `grouping`).

A merged fingerprint (the alias) is grouped, counted and paged as the one it was merged into:
`Store.known_key` files a new crash of the alias under the group's key (the computed key becomes
an alias of the report, as for an earlier fingerprint version), and `list`/`info` show crashes
recorded before the merge under the group's key, with the key triage computed beside it.
Merges are local to a state; a group has one level (merging into an alias merges into its group).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


class MergeError(Exception):
    """A merge or split that cannot be done; the message says why."""


@dataclass(frozen=True)
class Merge:
    alias: str
    fingerprint: str
    merged_at: float


def has_merges(conn: sqlite3.Connection) -> bool:
    """Whether the database has the table (a database only an earlier kcrashd opened has not)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'merges'").fetchone()
    return row is not None


def merged_into(conn: sqlite3.Connection, fingerprint: str) -> str | None:
    """The fingerprint `fingerprint` was merged into, if any."""
    row = conn.execute("SELECT fingerprint FROM merges WHERE alias = ?", (fingerprint,)).fetchone()
    return None if row is None else str(row[0])


def members(conn: sqlite3.Connection, fingerprint: str) -> list[str]:
    """The fingerprints merged into the group `fingerprint` is the key of, in the order merged."""
    rows = conn.execute("SELECT alias FROM merges WHERE fingerprint = ? ORDER BY merged_at, alias", (fingerprint,))
    return [str(row[0]) for row in rows]


def list_merges(conn: sqlite3.Connection) -> list[Merge]:
    rows = conn.execute("SELECT alias, fingerprint, merged_at FROM merges ORDER BY fingerprint, merged_at")
    return [Merge(str(a), str(f), float(t)) for a, f, t in rows]


def known(conn: sqlite3.Connection, fingerprint: str) -> bool:
    return conn.execute("SELECT 1 FROM fingerprints WHERE fingerprint = ?", (fingerprint,)).fetchone() is not None


def merge(conn: sqlite3.Connection, into: str, alias: str, now: float) -> list[str]:
    """Make `alias` (and whatever was merged into it) part of `into`'s group, in the caller's
    transaction; the aliases moved. Both must be fingerprints this state has recorded."""
    for fingerprint in (into, alias):
        if not known(conn, fingerprint):
            raise MergeError(f"{fingerprint}: no crash of this fingerprint is recorded here")
    target = merged_into(conn, into) or into
    if target == alias or into == alias:
        raise MergeError(f"{alias} is already the group {into} belongs to: nothing to merge")
    if merged_into(conn, alias) == target:
        raise MergeError(f"{alias} is already merged into {target}")
    moved = [str(r[0]) for r in conn.execute("SELECT alias FROM merges WHERE fingerprint = ?", (alias,))]
    conn.execute("UPDATE merges SET fingerprint = ? WHERE fingerprint = ?", (target, alias))
    conn.execute("INSERT OR REPLACE INTO merges VALUES (?, ?, ?)", (alias, target, now))
    return [alias, *moved]


def split(conn: sqlite3.Connection, fingerprint: str) -> list[str]:
    """Undo merges: an alias leaves its group; a group's key lets all its aliases go. The
    fingerprints that are their own again."""
    if merged_into(conn, fingerprint) is not None:
        conn.execute("DELETE FROM merges WHERE alias = ?", (fingerprint,))
        return [fingerprint]
    freed = [str(r[0]) for r in conn.execute("SELECT alias FROM merges WHERE fingerprint = ?", (fingerprint,))]
    if not freed:
        raise MergeError(f"{fingerprint} is not merged with any other fingerprint")
    conn.execute("DELETE FROM merges WHERE fingerprint = ?", (fingerprint,))
    return freed


def link(conn: sqlite3.Connection, old: str, new: str, now: float) -> Merge | None:
    """After a retriage: crashes filed under `old` now get `new`. History, counts and tickets
    follow, in the caller's transaction: when `new` is known here (a recorded fingerprint, or a
    group's member), `old`'s group joins `new`'s; else `new` becomes an alias of `old`'s group, so
    its next crash is filed, counted and paged there. None when both are one group already."""
    old_group = merged_into(conn, old) or old
    new_group = merged_into(conn, new) or new
    if old_group == new_group:
        return None
    if new_group != new or known(conn, new):
        conn.execute("UPDATE merges SET fingerprint = ? WHERE fingerprint = ?", (new_group, old_group))
        conn.execute("INSERT OR REPLACE INTO merges VALUES (?, ?, ?)", (old_group, new_group, now))
        return Merge(old_group, new_group, now)
    conn.execute("UPDATE merges SET fingerprint = ? WHERE fingerprint = ?", (old_group, new))
    conn.execute("INSERT OR REPLACE INTO merges VALUES (?, ?, ?)", (new, old_group, now))
    return Merge(new, old_group, now)
