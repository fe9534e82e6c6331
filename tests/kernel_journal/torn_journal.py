"""A torn journal file, as a reset leaves one: journald writes its files through a shared mapping,
and the pages the kernel had not written back when the machine reset are lost, so an entry that
the file's indexes point to can be garbage. sd-journal gives up on such a file when an iteration
reaches it ("Can't iterate through ..., ignoring") and leaves it out of that reader for good.

This makes one: an entry object of a journal file written by systemd-journal-remote gets the
object type 0 (OBJECT_UNUSED), so that moving to it as an entry fails as a lost page does. The
layout read here is systemd's journal file format (docs/JOURNAL_FILE_FORMAT.md of systemd): the
header's size and arena size at offsets 88 and 96, 8-byte aligned objects with a 16-byte header
(type, flags, 6 reserved bytes, size), data objects whose payload follows 64 bytes of fields (72
in the compact format, incompatible flag 16), entry objects whose items follow 64 bytes (an
object offset of 4 bytes in the compact format, of 8 bytes and a hash of 8 bytes otherwise).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

OBJECT_DATA = 1
OBJECT_ENTRY = 3
COMPACT = 1 << 4


def objects(buf: bytes | bytearray) -> Iterator[tuple[int, int, int]]:
    """(offset, type, size) of every object of the file's arena, in file order."""
    header_size, arena_size = struct.unpack_from("<QQ", buf, 88)
    offset, end = header_size, min(len(buf), header_size + arena_size)
    while offset + 16 <= end:
        size = struct.unpack_from("<Q", buf, offset + 8)[0]
        if size == 0:
            return
        yield offset, buf[offset], size
        offset += (size + 7) & ~7


def entries_with(buf: bytes | bytearray, payload: bytes) -> list[int]:
    """The offsets of the entry objects that hold the data object `payload` (e.g. b"_TRANSPORT=kernel"), in file order."""
    compact = bool(struct.unpack_from("<I", buf, 12)[0] & COMPACT)
    data_start, item_size, item_format = (72, 4, "<I") if compact else (64, 16, "<Q")
    found: list[int] = []
    data: int | None = None
    for offset, kind, size in objects(buf):
        if kind == OBJECT_DATA and bytes(buf[offset + data_start : offset + size]) == payload:
            data = offset
        elif kind == OBJECT_ENTRY and data is not None:
            items = (struct.unpack_from(item_format, buf, at)[0] for at in range(offset + 64, offset + size, item_size))
            if data in items:
                found.append(offset)
    return found


def tear_entry(path: Path, payload: bytes, index: int) -> int:
    """Make the `index`-th entry holding `payload` unreadable; returns how many entries hold it."""
    buf = bytearray(path.read_bytes())
    holding = entries_with(buf, payload)
    buf[holding[index]] = 0  # OBJECT_UNUSED: not an entry any more
    path.write_bytes(bytes(buf))
    return len(holding)
