"""Reading the kernel's messages back from the journal: which boots it holds, each boot's kernel
lines after a cursor, and the last entries of a boot (docs/reboots.md).

The reader is systemd-python's `systemd.journal.Reader`, on the system journal or on a journal
directory (`[kernel_journal] path`, the tests' imported journals). Lines are read with the reader's
low-level calls (`_next`, `_get`): a converted dict per entry costs several times more, and a
boot's journal can hold hundreds of thousands of kernel lines. The reader's descriptor is what the
daemon waits on: nothing is polled while the journal is quiet.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

KERNEL = "kernel"
# Entries looked at, newest first, to find how a boot ended (its shutdown records come last).
TAIL_ENTRIES = 2000


class Reader(Protocol):
    """The part of systemd.journal.Reader used here."""

    def add_match(self, *args: str, **kwargs: str) -> None: ...
    def flush_matches(self) -> None: ...
    def seek_head(self) -> None: ...
    def seek_tail(self) -> None: ...
    def seek_cursor(self, cursor: str) -> None: ...
    def query_unique(self, field: str) -> set[object]: ...
    def fileno(self) -> int: ...
    def process(self) -> int: ...
    def close(self) -> None: ...
    def _next(self, skip: int = 1) -> bool: ...
    def _previous(self, skip: int = 1) -> bool: ...
    def _get(self, field: str) -> bytes: ...
    def _get_realtime(self) -> int: ...
    def _get_monotonic(self) -> tuple[int, bytes]: ...
    def _get_cursor(self) -> str: ...


@dataclass(frozen=True, slots=True)
class KernelLine:
    """One kernel message as the journal keeps it."""

    cursor: str
    realtime_usec: int
    monotonic_usec: int
    text: str

    def dmesg(self) -> str:
        """The line as `dmesg` prints it: what the core reads in a dump's log."""
        return f"[{self.monotonic_usec // 1_000_000:5d}.{self.monotonic_usec % 1_000_000:06d}] {self.text}"

    @property
    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.realtime_usec / 1e6, UTC)


@dataclass(frozen=True, slots=True)
class BootSpan:
    """A boot in the journal: its id and its first and last entries' times."""

    boot_id: str
    first_usec: int
    last_usec: int
    last_monotonic_usec: int


def open_reader(path: Path | None) -> Reader:
    """A reader on the system journal, or on the journal files of one directory."""
    journal = importlib.import_module("systemd.journal")
    reader: Reader = journal.Reader(path=str(path)) if path is not None else journal.Reader()
    return reader


def current_boot_id(reader: Reader) -> str:
    """This boot's id: from /proc, or, where the service cannot see /proc/sys (`ProcSubset=pid` in
    kcrashd.service), from the journal's newest entry, which this boot wrote before kcrashd started."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as stream:
            return stream.read().strip().replace("-", "")
    except OSError:
        pass
    reader.flush_matches()
    reader.seek_tail()
    boot_id = field(reader, "_BOOT_ID") if reader._previous() else None
    if boot_id is None:
        raise OSError("cannot tell this boot's id: /proc/sys is hidden and the journal is empty")
    return boot_id


def field(reader: Reader, name: str) -> str | None:
    """A field of the current entry as text (undecodable bytes replaced), None if absent."""
    try:
        raw = reader._get(name)
    except KeyError:
        return None
    return raw.decode("utf-8", "replace")


def list_boots(reader: Reader) -> list[BootSpan]:
    """Every boot in the journal, oldest first."""
    spans: list[BootSpan] = []
    for value in reader.query_unique("_BOOT_ID"):
        boot_id = value.hex if isinstance(value, uuid.UUID) else str(value)
        reader.flush_matches()
        reader.add_match(_BOOT_ID=boot_id)
        reader.seek_head()
        if not reader._next():
            continue
        first = reader._get_realtime()
        reader.seek_tail()
        if not reader._previous():
            continue
        spans.append(BootSpan(boot_id, first, reader._get_realtime(), reader._get_monotonic()[0]))
    reader.flush_matches()
    return sorted(spans, key=lambda span: span.first_usec)


def kernel_lines(reader: Reader, boot_id: str, after: str | None) -> Iterator[KernelLine]:
    """The boot's kernel lines after the cursor `after` (from its first line when None), in order."""
    reader.flush_matches()
    reader.add_match(_TRANSPORT=KERNEL, _BOOT_ID=boot_id)
    if after is None:
        reader.seek_head()
    else:
        reader.seek_cursor(after)
    while reader._next():
        cursor = reader._get_cursor()
        if cursor == after:
            continue
        text = field(reader, "MESSAGE")
        if text is None:
            continue
        # one printk record per line: a record's own newlines would shift the core's line numbers
        text = text.replace("\n", " ")
        yield KernelLine(cursor, reader._get_realtime(), reader._get_monotonic()[0], text)


def last_entries(
    reader: Reader, boot_id: str, fields: tuple[str, ...], limit: int = TAIL_ENTRIES
) -> list[dict[str, str]]:
    """The boot's last `limit` entries (any transport), newest first, with only `fields`."""
    reader.flush_matches()
    reader.add_match(_BOOT_ID=boot_id)
    reader.seek_tail()
    out: list[dict[str, str]] = []
    while len(out) < limit and reader._previous():
        entry = {name: value for name in fields if (value := field(reader, name)) is not None}
        entry["__MONOTONIC_TIMESTAMP"] = str(reader._get_monotonic()[0])
        entry["__REALTIME_TIMESTAMP"] = str(reader._get_realtime())
        out.append(entry)
    reader.flush_matches()
    return out


def matching_entries(
    reader: Reader, boot_id: str, fields: tuple[str, ...], **match: str
) -> list[dict[str, str]]:
    """The boot's entries with the given field values (a few, e.g. one unit's start records)."""
    reader.flush_matches()
    reader.add_match(_BOOT_ID=boot_id, **match)
    reader.seek_head()
    out: list[dict[str, str]] = []
    while reader._next():
        out.append({name: value for name in fields if (value := field(reader, name)) is not None})
    reader.flush_matches()
    return out
