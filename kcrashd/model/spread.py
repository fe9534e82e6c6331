"""How each bug spread over a fleet: crash entries (the `KCRASHD_*` journal fields of many
hosts) folded into one summary per fingerprint. Pure: fields in, summaries out; the reading of
journal files lives in kcrashd/cli/fleet.py.

A crash is counted once however many copies of its entry are read (a collector's journal and a
host's own copy, an entry uploaded twice): its key is the crashed host and the crash id.
Entries that lack a field or carry an unreadable time are skipped, as coredumpctl skips
malformed entries instead of failing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

# The journal fields a fleet read needs (docs/journal-fields.md); everything else is left out.
FIELDS = (
    "KCRASHD_CRASH_ID",
    "KCRASHD_FINGERPRINT",
    "KCRASHD_TITLE",
    "KCRASHD_KIND",
    "KCRASHD_HOST",
    "KCRASHD_KERNEL",
    "KCRASHD_CRASH_TIME",
)


@dataclass(frozen=True)
class CrashEntry:
    """One crash as its journal entry tells it."""

    crash_id: str
    fingerprint: str
    title: str
    kind: str
    host: str
    kernel: str
    crash_time: datetime


@dataclass
class BugSummary:
    """One fingerprint over the fleet: where, how often, when, on which kernels."""

    fingerprint: str
    title: str
    kind: str
    first: datetime
    last: datetime
    count: int = 0
    hosts: dict[str, int] = field(default_factory=dict)
    kernels: set[str] = field(default_factory=set)

    def add(self, entry: CrashEntry) -> None:
        self.count += 1
        self.hosts[entry.host] = self.hosts.get(entry.host, 0) + 1
        self.kernels.add(entry.kernel)
        self.first = min(self.first, entry.crash_time)
        if entry.crash_time >= self.last:
            self.last = entry.crash_time
            self.title = entry.title  # the latest wording of the title


def text_of(value: object) -> str | None:
    """A journal field as text: a string, or the first of several values; binary is refused."""
    if isinstance(value, list):
        value = value[0] if value and isinstance(value[0], str) else None
    return value if isinstance(value, str) else None


def entry_from_fields(fields: Mapping[str, object]) -> CrashEntry | None:
    """A crash entry from journal fields, or None when one is missing or malformed."""
    values = [text_of(fields.get(name)) for name in FIELDS]
    if any(value is None or value == "" for value in values):
        return None
    # the same few hosts, bugs and kernels recur over thousands of entries: one copy of each
    crash_id, stamp = str(values[0]), str(values[6])
    fingerprint, title, kind, host, kernel = (sys.intern(str(value)) for value in values[1:6])
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return CrashEntry(crash_id, fingerprint, title, kind, host, kernel, moment)


def unique(entries: Iterable[CrashEntry]) -> Iterator[CrashEntry]:
    """Each crash once, in the order first read."""
    seen: set[str] = set()
    for entry in entries:
        key = f"{entry.host}\0{entry.crash_id}"
        if key not in seen:
            seen.add(key)
            yield entry


def summarize(entries: Iterable[CrashEntry]) -> list[BugSummary]:
    """One summary per fingerprint, oldest last crash first."""
    bugs: dict[str, BugSummary] = {}
    for entry in unique(entries):
        bug = bugs.get(entry.fingerprint)
        if bug is None:
            bug = bugs[entry.fingerprint] = BugSummary(
                entry.fingerprint, entry.title, entry.kind, entry.crash_time, entry.crash_time
            )
        bug.add(entry)
    return sorted(bugs.values(), key=lambda bug: (bug.last, bug.fingerprint))
