"""Dump folders written the way the producers write them (docs/dump-layouts.md §2-§5), real
kernel logs from tests/corpus, and minimal vmcore headers built field by field (§7)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"

# real logs of distinct crashes (distinct fingerprints)
LOG_NAMES = (
    "seed/rhel8-sysrq",
    "edge/oom-panic",
    "edge/hard-lockup",
    "edge/invalid-opcode",
    "edge/warn-kobject",
    "edge/bug-generic",
    "edge/unregister-netdevice",
    "edge/init-exit",
    "edge/mce",
    "edge/stack-end",
)


def log_bytes(name: str = "seed/rhel8-sysrq") -> bytes:
    return (CORPUS / f"{name}.log").read_bytes()


def write_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_rhel(
    root: Path,
    name: str,
    log: bytes | None,
    *,
    vmcore: bytes | None = None,
    finish_log: bool = True,
    finish_vmcore: bool = True,
    kexec_log: bool = True,
    flat: bool = False,
) -> Path:
    """kdump.sh dump_fs: mkdir, vmcore-dmesg-incomplete.txt -> vmcore-dmesg.txt, vmcore-incomplete
    -> vmcore (or vmcore.flat over ssh), then kexec-dmesg.log (the capture kernel's own log)."""
    folder = root / name
    folder.mkdir()
    if log is not None:
        write_file(folder / "vmcore-dmesg-incomplete.txt", log)
        if finish_log:
            os.rename(folder / "vmcore-dmesg-incomplete.txt", folder / "vmcore-dmesg.txt")
    if vmcore is not None:
        write_file(folder / "vmcore-incomplete", vmcore)
        if finish_vmcore:
            os.rename(folder / "vmcore-incomplete", folder / ("vmcore.flat" if flat else "vmcore"))
    if kexec_log:
        write_file(folder / "kexec-dmesg.log", b"[Tue Oct 27 17:04:25 2020] kdump: saving vmcore complete\n")
    return folder


def write_debian(root: Path, stamp: str, log: bytes, *, dump: bytes | None = None, finish: bool = True) -> Path:
    """kdump-config savecore (>= 1.8): dmesg.<STAMP> in place, then dump-incomplete -> dump.<STAMP>."""
    folder = root / stamp  # <STAMP> or <HOSTTAG>-<STAMP>
    folder.mkdir()
    stamp = stamp[-12:]
    write_file(folder / f"dmesg.{stamp}", log)
    if dump is not None:
        write_file(folder / "dump-incomplete", dump, 0o644)
        if finish:
            os.rename(folder / "dump-incomplete", folder / f"dump.{stamp}")
    return folder


SUSE_PROVISIONAL = (
    b"This file will be overwritten when the dump is finished. If you see this text the crash dump is likely "
    b"incomplete.\nDump time: 2024-05-01 10:00\n"
)


def write_suse(root: Path, name: str, log: bytes, *, vmcore: bytes | None, finish: bool = True) -> Path:
    """kdump-save (2.x): provisional README.txt, dmesg, vmcore under its final name, final README."""
    folder = root / name
    folder.mkdir()
    write_file(folder / "README.txt", SUSE_PROVISIONAL)
    write_file(folder / "dmesg", log)
    if vmcore is not None:
        write_file(folder / "vmcore", vmcore)
    if finish:
        final = (
            b"Kernel crashdump\n----------------\ndmesg status: saved successfully\n"
            b"vmcore status: saved successfully\nKernel version: 5.14.21\n"
        )
        tmp = folder / "README.txt.new"
        write_file(tmp, final)
        os.rename(tmp, folder / "README.txt")
    return folder


# --- vmcore headers (docs/dump-layouts.md §7) --------------------------------------------------------------------


def vmcoreinfo(release: str = "5.14.0-427.el9.x86_64", crashtime: int = 1750663386) -> bytes:
    return f"OSRELEASE={release}\nPAGESIZE=4096\nCRASHTIME={crashtime}\n".encode()


def kdump_header(
    *,
    nodename: str = "web1.example.com",
    release: str = "5.14.0-427.el9.x86_64",
    crashtime: int = 1750663386,
    status: int = 0x2,
    block_size: int = 4096,
    sub_hdr_size: int = 1,
    bitmap_blocks: int = 2,
    big_endian: bool = False,
    info: bytes | None = None,
) -> bytes:
    """disk_dump_header (64-bit layout) + kdump_sub_header with VMCOREINFO after it."""
    end = ">" if big_endian else "<"
    head = bytearray(block_size)
    head[0:8] = b"KDUMP   "
    struct.pack_into(end + "i", head, 8, 6)
    for offset, text in ((12, "Linux"), (77, nodename), (142, release), (207, "#1 SMP"), (272, "x86_64")):
        raw = text.encode()[:64]
        head[offset : offset + len(raw)] = raw
    struct.pack_into(end + "qq", head, 408, crashtime, 0)
    struct.pack_into(end + "Iiii", head, 424, status, block_size, sub_hdr_size, bitmap_blocks)
    sub = bytearray(block_size * sub_hdr_size)
    info = vmcoreinfo(release, crashtime) if info is None else info
    info_offset = block_size + 256
    struct.pack_into(end + "qQ", sub, 32, info_offset, len(info))
    sub[256 : 256 + len(info)] = info
    return bytes(head) + bytes(sub)


def kdump_file(size_blocks: int | None = None, **kwargs: object) -> bytes:
    """A whole small kdump-compressed file: header, sub-header, bitmaps (zeros), some pages."""
    header = kdump_header(**kwargs)  # type: ignore[arg-type]
    blocks = 1 + 1 + 2 + 4 if size_blocks is None else size_blocks
    data = header + bytes(max(0, blocks * 4096 - len(header)))
    return data[: blocks * 4096]


def flattened(inner: bytes, *, end_marker: bool = True, chunk: int = 4096) -> bytes:
    """makedumpfile -F: 4 KiB signature header, (BE offset, BE size, payload) records, end record."""
    header = bytearray(4096)
    header[0:16] = b"makedumpfile\0\0\0\0"
    struct.pack_into(">qq", header, 16, 1, 1)
    out = bytearray(header)
    for offset in range(0, len(inner), chunk):
        piece = inner[offset : offset + chunk]
        out += struct.pack(">qq", offset, len(piece)) + piece
    if end_marker:
        out += b"\xff" * 16
    return bytes(out)


def elf_core(*, info: bytes | None = None, loads: tuple[tuple[int, int], ...] = (), e_flags: int = 0) -> bytes:
    """ELF64 LE ET_CORE with a PT_NOTE holding VMCOREINFO and the given PT_LOAD (offset, size)."""
    info = vmcoreinfo() if info is None else info
    name = b"VMCOREINFO\0"
    note = struct.pack("<III", len(name), len(info), 0) + name.ljust((len(name) + 3) & ~3, b"\0")
    note += info.ljust((len(info) + 3) & ~3, b"\0")
    phnum = 1 + len(loads)
    phoff = 64
    note_off = phoff + 56 * phnum
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, phoff, 0, e_flags, 64, 56, phnum, 0, 0, 0)
    phdrs = struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(note), 0, 0)
    for offset, size in loads:
        phdrs += struct.pack("<IIQQQQQQ", 1, 7, offset, 0, 0, size, size, 4096)
    body = ehdr + phdrs + note
    return body
