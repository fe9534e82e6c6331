"""The stored crashes most like a given one, by stack similarity (kcrashd.core.similarity).

Reads the stacks out of the state database's records with SQLite's JSON functions (no record is
parsed whole: ten thousand crashes are read in a fraction of a second) and ranks them with the
pure core.  Used by `kcrashd similar` and by the pipeline, which journals "possibly the same bug
as FP (score)" for a new fingerprint whose nearest neighbour scores at least
`[grouping] similar_threshold` (docs/grouping.md).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from kcrashd.core.model import Report
from kcrashd.core.similarity import FrameRarity, Stack, frame_rarity, rank, stack_from, stack_of


@dataclass(frozen=True, slots=True)
class StoredStack:
    """A stored crash with its stack."""

    crash_id: str
    host: str
    dump_dir: str
    fingerprint: str
    stack: Stack


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A stored crash and how like the query it is (0 to 1)."""

    crash: StoredStack
    score: float


STACKS_SQL = (
    "SELECT crash_id, host, dump_dir, fingerprint, json_extract(record_json, '$.report.ip'),"
    " json_extract(record_json, '$.report.frames') FROM crashes ORDER BY crash_time DESC, detected_at DESC"
)


def stack_of_json(ip: str | None, frames_json: str | None) -> Stack:
    """A stack from the report's `ip` and its frames as stored (a JSON list of frame objects)."""
    try:
        frames = json.loads(frames_json) if frames_json else []
    except ValueError:
        frames = []
    pairs = ((str(f.get("function", "")), bool(f.get("reliable", True))) for f in frames if isinstance(f, dict))
    return stack_from(ip, pairs)


def stored_stacks(conn: sqlite3.Connection) -> list[StoredStack]:
    """Every stored crash that has a stack, the most recent first (so ties favour recent crashes)."""
    out = []
    for crash_id, host, dump_dir, fingerprint, ip, frames_json in conn.execute(STACKS_SQL):
        stack = stack_of_json(ip, frames_json)
        if stack:
            out.append(StoredStack(crash_id, host, dump_dir, fingerprint, stack))
    return out


def similar_crashes(stored: list[StoredStack], query: Stack, limit: int, *, exclude: str = "") -> list[Neighbour]:
    """The `limit` stored crashes most like `query` (the crash `exclude` left out)."""
    rarity = rarity_of(stored)
    candidates = ((crash, crash.stack) for crash in stored if crash.crash_id != exclude)
    return [Neighbour(crash, score) for crash, score in rank(query, candidates, rarity, limit)]


def nearest_other_bug(stored: list[StoredStack], query: Stack, fingerprint: str, threshold: float) -> Neighbour | None:
    """The crash of another fingerprint most like `query`, when it scores at least `threshold`."""
    rarity = rarity_of(stored)
    candidates = ((crash, crash.stack) for crash in stored if crash.fingerprint != fingerprint and crash.fingerprint)
    best = rank(query, candidates, rarity, 1)
    if not best or best[0][1] < threshold:
        return None
    return Neighbour(best[0][0], best[0][1])


def similar_hint(conn: sqlite3.Connection, report: Report, threshold: float) -> Neighbour | None:
    """The stored crash of another fingerprint most like `report`, scoring at least `threshold`."""
    if threshold > 1:
        return None
    query = stack_of(report)
    return nearest_other_bug(stored_stacks(conn), query, report.fingerprint, threshold) if query else None


def rarity_of(stored: list[StoredStack]) -> FrameRarity:
    return frame_rarity(crash.stack for crash in stored)
