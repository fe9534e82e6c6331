"""Facts about a vmcore read from its headers only: the cost never depends on the dump's size.

Formats (docs/dump-layouts.md §7): ELF core (`\\x7fELF`), kdump-compressed (`KDUMP   `),
makedumpfile flattened streams (`makedumpfile` + records) and compression wrappers. At most
`READ_LIMIT` bytes are read, plus the last 16 bytes of a flattened stream; reading a whole
stream (a compressed one's end, rearranging for makedumpfile) is kcrashd.sources.flatten's.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kcrashd.model.crash import VmcoreFacts

READ_LIMIT = 512 * 1024
NOTE_LIMIT = 64 * 1024
KDUMP_SIGNATURE = b"KDUMP   "
FLAT_SIGNATURE = b"makedumpfile\0\0\0\0"
FLAT_HEADER_SIZE = 4096
END_RECORD = b"\xff" * 16  # offset = size = -1, big-endian
DUMP_INCOMPLETE = 0x8
DUMP_COMPRESSION = {0x1: "zlib", 0x2: "lzo", 0x4: "snappy", 0x20: "zstd"}
WRAPPERS = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x04\x22\x4d\x18": "lz4",
}
# Flags of a stream that kcrashd.sources.flatten read through, or could not (size cap, time, a tool).
STREAM_CHECKED = "stream-checked"
STREAM_UNCHECKED = "stream-unchecked"
PT_LOAD = 1
PT_NOTE = 4

Reader = Callable[[int, int], bytes]


class VmcoreError(Exception):
    """A header that cannot be understood; the message says what was expected."""


def open_nofollow(path: Path) -> int:
    """Open a regular file for reading without following a symlink at its last component (tools
    and tests; the daemon opens a dump's files relative to its folder, kcrashd.sources.units)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return fd


def read_vmcore_facts(path: Path, *, opener: Callable[[], int] | None = None) -> VmcoreFacts:
    """Read what the header of `path` says; problems become `error`, never an exception. With
    `opener`, the file is opened by it (the daemon: relative to its folder), never by `path`."""
    try:
        fd = opener() if opener is not None else open_nofollow(path)
    except OSError as exc:
        return unreadable(str(path), exc)
    try:
        return vmcore_facts_of(fd, str(path))
    finally:
        os.close(fd)


def unreadable(label: str, exc: OSError) -> VmcoreFacts:
    """The facts of a vmcore that could not be opened."""
    return VmcoreFacts(path=label, format="unreadable", size=0, error=exc.strerror or str(exc))


def vmcore_facts_of(fd: int, label: str) -> VmcoreFacts:
    """What the header of the open vmcore `fd` says (`label` is its path for people); problems
    become `error`, never an exception. The descriptor is read with pread only, not closed."""
    path = Path(label)
    size = os.fstat(fd).st_size

    def read_at(offset: int, length: int) -> bytes:
        if offset < 0 or length <= 0 or offset >= size:
            return b""
        return os.pread(fd, min(length, READ_LIMIT), offset)

    try:
        return facts_from(path, size, read_at)
    except (VmcoreError, struct.error, ValueError) as exc:
        head = read_at(0, 16)
        return VmcoreFacts(path=label, format=guess_format(head), size=size, complete=False, error=str(exc))
    except OSError as exc:
        return VmcoreFacts(path=label, format="unreadable", size=size, error=exc.strerror or str(exc))


def is_read_through(facts: VmcoreFacts) -> bool:
    """Whether the whole stream was read to check its end (or it was said why it could not be)."""
    return STREAM_CHECKED in facts.flags or STREAM_UNCHECKED in facts.flags


def guess_format(head: bytes) -> str:
    """The format name of a dump from its first bytes."""
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head.startswith(KDUMP_SIGNATURE):
        return "kdump-compressed"
    if head.startswith(FLAT_SIGNATURE):
        return "flattened"
    for magic, name in WRAPPERS.items():
        if head.startswith(magic):
            return f"{name}-wrapped"
    if not head:
        return "empty"
    return "unknown"


def facts_from(path: Path, size: int, read_at: Reader) -> VmcoreFacts:
    """Dispatch on the magic number."""
    head = read_at(0, 64)
    kind = guess_format(head)
    if kind == "elf":
        return elf_facts(path, size, read_at, "elf", check_size=True)
    if kind == "kdump-compressed":
        return kdump_facts(path, size, read_at, "kdump-compressed", check_size=True)
    if kind == "flattened":
        return flattened_facts(path, size, read_at)
    if kind == "empty":
        return VmcoreFacts(path=str(path), format=kind, size=0, complete=False, truncated=True, error="empty file")
    if kind.endswith("-wrapped"):
        # The stream inside is compressed: its end record needs a full decompression
        # (docs/dump-layouts.md §8),
        # which kcrashd.sources.flatten does once the crash is journaled.
        return VmcoreFacts(path=str(path), format=kind, size=size, flags=["wrapped"])
    return VmcoreFacts(path=str(path), format=kind, size=size, complete=False, error="unknown dump format")


def parse_vmcoreinfo(text: bytes) -> dict[str, str]:
    """`KEY=value` lines of VMCOREINFO (OSRELEASE, CRASHTIME, PAGESIZE, ...)."""
    info: dict[str, str] = {}
    for raw in text.split(b"\n"):
        key, sep, value = raw.partition(b"=")
        if sep and key and len(key) < 128 and b"\0" not in key:
            info.setdefault(
                key.decode("ascii", "replace"), value.rstrip(b"\0").decode("utf-8", "replace").strip()
            )
    return info


def crash_time_of(info: dict[str, str]) -> datetime | None:
    value = info.get("CRASHTIME", "")
    if value.isdigit() and 0 < int(value) < 2**40:
        return datetime.fromtimestamp(int(value), UTC)
    return None


def cstring(raw: bytes) -> str | None:
    text = raw.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
    return text or None


# --- ELF -----------------------------------------------------------------------------------


def elf_facts(path: Path, size: int, read_at: Reader, fmt: str, *, check_size: bool) -> VmcoreFacts:
    """ELF core: VMCOREINFO from the PT_NOTE segments, completeness from e_flags and PT_LOADs."""
    ident = read_at(0, 64)
    if len(ident) < 52:
        raise VmcoreError("ELF header truncated")
    klass, data = ident[4], ident[5]
    if klass not in (1, 2) or data not in (1, 2):
        raise VmcoreError("bad ELF class or byte order")
    end = "<" if data == 1 else ">"
    flags: list[str] = []
    if klass == 2:
        if len(ident) < 64:
            raise VmcoreError("ELF header truncated")
        e_type, e_machine = struct.unpack_from(end + "HH", ident, 16)
        e_phoff = struct.unpack_from(end + "Q", ident, 32)[0]
        e_flags = struct.unpack_from(end + "I", ident, 48)[0]
        e_phentsize, e_phnum = struct.unpack_from(end + "HH", ident, 54)
        phfmt = end + "IIQQQQQQ"  # type, flags, offset, vaddr, paddr, filesz, memsz, align
    else:
        e_type, e_machine = struct.unpack_from(end + "HH", ident, 16)
        e_phoff = struct.unpack_from(end + "I", ident, 28)[0]
        e_flags = struct.unpack_from(end + "I", ident, 36)[0]
        e_phentsize, e_phnum = struct.unpack_from(end + "HH", ident, 42)
        phfmt = end + "IIIIIIII"  # type, offset, vaddr, paddr, filesz, memsz, flags, align
    if e_type != 4:
        flags.append("not-a-core")
    if e_flags & 0x1:
        flags.append("incomplete-flag")
    info, load_end, loads_complete = elf_segments(read_at, phfmt, e_phoff, e_phentsize, e_phnum)
    truncated = check_size and loads_complete and load_end > size
    expected = load_end if check_size and loads_complete else None
    if truncated:
        flags.append("truncated")
    return VmcoreFacts(
        path=str(path),
        format=fmt,
        size=size,
        kernel_release=info.get("OSRELEASE"),
        crash_time=crash_time_of(info),
        complete=not (e_flags & 0x1) and not truncated,
        truncated=truncated,
        expected_size=expected,
        flags=flags,
        machine=ELF_MACHINES.get(e_machine),
    )


def elf_segments(read_at: Reader, phfmt: str, e_phoff: int, e_phentsize: int, e_phnum: int) -> tuple[dict[str, str], int, bool]:
    """(VMCOREINFO, end of the PT_LOAD data, whether every program header could be read) from the
    program header table; `phfmt` is the 32-bit or 64-bit entry layout, byte order first."""
    entry = struct.calcsize(phfmt)
    if e_phentsize and e_phentsize < entry:
        raise VmcoreError("ELF program header size too small")
    stride = e_phentsize or entry
    table = read_at(e_phoff, stride * e_phnum) if e_phnum else b""
    count = len(table) // stride
    wide = phfmt[1:] == "IIQQQQQQ"
    info: dict[str, str] = {}
    load_end = 0
    for index in range(count):
        fields = struct.unpack_from(phfmt, table, index * stride)
        p_type, p_offset, p_filesz = (fields[0], fields[2], fields[5]) if wide else (fields[0], fields[1], fields[4])
        if p_type == PT_LOAD:
            load_end = max(load_end, p_offset + p_filesz)
        elif p_type == PT_NOTE and not info:
            info = vmcoreinfo_from_notes(read_at(p_offset, min(p_filesz, NOTE_LIMIT)), phfmt[0])
    return info, load_end, count == e_phnum and e_phnum > 0


ELF_MACHINES = {3: "i386", 62: "x86_64", 183: "aarch64", 21: "ppc64", 22: "s390x", 40: "arm", 243: "riscv64"}


def vmcoreinfo_from_notes(notes: bytes, end: str) -> dict[str, str]:
    """Walk ELF notes (4-byte aligned name and descriptor) and parse the one named VMCOREINFO."""
    pos = 0
    while pos + 12 <= len(notes):
        namesz, descsz, _ = struct.unpack_from(end + "III", notes, pos)
        name_start = pos + 12
        desc_start = name_start + ((namesz + 3) & ~3)
        name = notes[name_start : name_start + namesz].rstrip(b"\0")
        if name == b"VMCOREINFO":
            return parse_vmcoreinfo(notes[desc_start : desc_start + descsz])
        nxt = desc_start + ((descsz + 3) & ~3)
        if nxt <= pos:
            break
        pos = nxt
    return {}


# --- kdump-compressed ------------------------------------------------------------------------


PAGE_DESC = struct.Struct("qIIQ")  # struct page_desc: offset, size, flags, page_flags


def kdump_data_end(read_at: Reader, table: int, page_size: int, end: str) -> int | None:
    """Where the last page's data ends, from two page descriptors: O(1) whatever the dump's size.

    Descriptors are written in a block before the page data, so the first descriptor's data offset
    says how many there are (the data may start with the one shared zero page, hence two guesses);
    the last descriptor then gives the end of the data. None when neither guess is consistent.
    """
    desc = struct.Struct(end + PAGE_DESC.format)
    first = read_at(table, desc.size)
    if len(first) < desc.size:
        return None
    offset = desc.unpack(first)[0]
    for data_start in (offset, offset - page_size):
        count, rest = divmod(data_start - table, desc.size)
        if rest or count <= 0:
            continue
        raw = read_at(table + desc.size * (count - 1), desc.size)
        if len(raw) < desc.size:
            return None
        last_offset, last_size = desc.unpack(raw)[:2]
        if last_offset >= data_start and 0 < last_size <= page_size:
            return int(last_offset + last_size)
    return None


def kdump_facts(path: Path, size: int, read_at: Reader, fmt: str, *, check_size: bool) -> VmcoreFacts:
    """`struct disk_dump_header` (docs/dump-layouts.md §7) in the crashed machine's byte order, 64-bit
    layout first."""
    header = read_at(0, 512)
    if len(header) < 448:
        raise VmcoreError("kdump header truncated")
    end = "<"
    version = struct.unpack_from("<i", header, 8)[0]
    if not 0 < version < 1000:
        end = ">"
        version = struct.unpack_from(">i", header, 8)[0]
        if not 0 < version < 1000:
            raise VmcoreError(f"implausible kdump header version {version}")
    nodename = cstring(header[77:142])
    release = cstring(header[142:207])
    machine = cstring(header[272:337])
    layouts = ((408, 8), (404, 4))  # (timestamp offset, long size): 64-bit, then 32-bit kernels
    for ts_off, long_size in layouts:
        status_off = ts_off + 2 * long_size
        status, block_size, sub_hdr_size, bitmap_blocks = struct.unpack_from(end + "Iiii", header, status_off)
        if block_size > 0 and block_size & (block_size - 1) == 0 and 512 <= block_size <= 1 << 20:
            break
    else:
        raise VmcoreError("kdump header has no plausible block size")
    tv_sec = struct.unpack_from(end + ("q" if long_size == 8 else "i"), header, ts_off)[0]
    flags = [name for bit, name in DUMP_COMPRESSION.items() if status & bit]
    incomplete = bool(status & DUMP_INCOMPLETE)
    if incomplete:
        flags.append("incomplete-flag")
    crash_time = datetime.fromtimestamp(tv_sec, UTC) if 0 < tv_sec < 2**40 else None
    info: dict[str, str] = {}
    if version >= 3 and long_size == 8:
        sub = read_at(block_size, 64)
        if len(sub) >= 48:
            off_info, size_info = struct.unpack_from(end + "qQ", sub, 32)
            if off_info > 0 and 0 < size_info <= NOTE_LIMIT:
                info = parse_vmcoreinfo(read_at(off_info, size_info))
    descriptors = (1 + max(sub_hdr_size, 0) + max(bitmap_blocks, 0)) * block_size
    expected = kdump_data_end(read_at, descriptors, block_size, end) or descriptors
    truncated = check_size and size < expected
    if truncated:
        flags.append("truncated")
    return VmcoreFacts(
        path=str(path),
        format=fmt,
        size=size,
        kernel_release=release or info.get("OSRELEASE"),
        hostname=nodename,
        crash_time=crash_time or crash_time_of(info),
        complete=not incomplete and not truncated,
        truncated=truncated,
        expected_size=expected if check_size else None,
        flags=flags,
        machine=machine,
    )


# --- flattened -------------------------------------------------------------------------------


def flattened_facts(path: Path, size: int, read_at: Reader) -> VmcoreFacts:
    """A makedumpfile flattened stream: finished when its last 16 bytes are the end record."""
    tail = read_at(size - 16, 16) if size >= FLAT_HEADER_SIZE + 16 else b""
    return stream_facts(path, size, read_at, finished=tail == END_RECORD)


def stream_facts(
    path: Path, size: int, read_at: Reader, *, finished: bool, wrapper: str | None = None
) -> VmcoreFacts:
    """Facts of a flattened stream from its records (BE offset, BE size, payload) after the 4 KiB
    header. `read_at` reads the stream itself: the file, or the first bytes of a `wrapper`
    (gzip, ...) decompressed by kcrashd.sources.flatten, which alone can tell whether such a stream is
    `finished`. The dump's own header is rebuilt from the records in the first `READ_LIMIT` bytes.
    """
    head = read_at(0, 32)
    if len(head) < 32:
        raise VmcoreError("flattened header truncated")
    ftype, fversion = struct.unpack_from(">qq", head, 16)
    records = read_at(FLAT_HEADER_SIZE, READ_LIMIT)
    pieces: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 16 <= len(records):
        offset, length = struct.unpack_from(">qq", records, pos)
        if offset == -1 and length == -1:
            break
        if offset < 0 or length < 0:
            raise VmcoreError(f"corrupt flattened record at stream offset {FLAT_HEADER_SIZE + pos}")
        pieces.append((offset, records[pos + 16 : pos + 16 + length]))
        pos += 16 + length

    def logical_read(offset: int, length: int) -> bytes:
        for start, payload in pieces:
            if start <= offset < start + len(payload):
                return payload[offset - start : offset - start + length]
        return b""

    inner = logical_read(0, 16)
    fmt = f"{wrapper}-wrapped" if wrapper else "flattened"
    flags = ["wrapped", "flattened"] if wrapper else ["flattened"]
    if ftype != 1 or fversion != 1:
        flags.append(f"flat-type-{ftype}-version-{fversion}")
    if inner.startswith(KDUMP_SIGNATURE):
        facts = kdump_facts(path, size, logical_read, fmt, check_size=False)
    elif inner.startswith(b"\x7fELF"):
        facts = elf_facts(path, size, logical_read, fmt if wrapper else "flattened-elf", check_size=False)
    else:
        facts = VmcoreFacts(path=str(path), format=fmt, size=size)
    flags = [*flags, *facts.flags]
    if not finished:
        flags.append("no-end-marker")
    return facts.model_copy(
        update={"complete": facts.complete and finished, "truncated": not finished, "flags": flags}
    )
