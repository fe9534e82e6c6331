"""The shell around the pure core: read a kernel log with bounded memory, find the log in a crash dir.

A kdump log can be huge (a serial console captured for weeks), and its crash anywhere in it.  A
big file is searched whole, in chunks, for report headers (kcrashd.core.headers: a literal
pre-filter, floods kept apart from panics and oopses), and only its head and the windows around
the kept headers are returned, joined with marks that say where each window starts and what was
not analysed (kcrashd.core.windows); triage puts the latter in the report's `unread`.
"""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

from kcrashd.core.headers import HeaderScan
from kcrashd.core.report_parts import Unread
from kcrashd.core.windows import at_mark, spans, unread_mark, whole_lines

# Files up to this size are returned whole; bigger ones as windows.
WHOLE_LIMIT = 4 * 1024 * 1024 + 256 * 1024
CHUNK = 1024 * 1024
# A whole log is read in pieces of its size and a byte (the second read finds its end), at least this: os.pread
# allocates the buffer it is asked for, and two 1 MiB buffers a file (fresh pages each, in a process whose
# heap the analysis churns) cost more than reading and analysing a small log's lines.
_SMALL_READ = 64 * 1024
# A newline count is kept every STEP bytes, so a window's first line number costs one short read.
STEP = 64 * 1024
# A "line" longer than this is cut for the search (the core cuts lines at 2 KiB anyway).
MAX_CARRY = 4 * CHUNK
_ZEROS = bytes(CHUNK)

# docs/dump-layouts.md §9: the crashed kernel's own log, best first.  Never kexec-dmesg.log
# (that is the capture kernel's log).
_EXACT_NAMES = ("vmcore-dmesg.txt",)
_DMESG_NAMES = ("dmesg", "dmesg.txt")
_DEGRADED_NAMES = ("vmcore-dmesg-incomplete.txt",)
_NEVER = ("kexec-dmesg.log",)


class LogFileError(Exception):
    """A log path that cannot be read as a kernel log (missing, not regular, a symlink, no log)."""


def read_log(
    path: str | os.PathLike[str], *, follow_symlinks: bool = True, dir_fd: int | None = None
) -> bytes:
    """The log's bytes; for files over ~4 MiB the first 256 KiB and the last 4 MiB only.

    With `follow_symlinks=False` (the daemon's mode) a symlink is refused, so a crash directory
    writable by others cannot point kcrashd at another file.  With `dir_fd`, `path` is a name
    opened relative to that (already checked) folder descriptor.  Non-regular files (FIFOs,
    devices, directories) are always refused: reading them could block or never end.
    """
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        if not follow_symlinks and _is_symlink(path, dir_fd):
            raise LogFileError(f"{path}: is a symbolic link (refused)") from exc
        raise LogFileError(f"{path}: {exc.strerror or exc}") from exc
    try:
        return read_log_fd(fd, os.fspath(path))
    finally:
        os.close(fd)


def _is_symlink(path: str | os.PathLike[str], dir_fd: int | None) -> bool:
    try:
        return stat.S_ISLNK(os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def read_log_fd(fd: int, label: str) -> bytes:
    """The log of the open `fd` (not closed here); `label` names it in errors.

    Up to WHOLE_LIMIT bytes, the file itself; a bigger one as its head and the windows around its
    report headers, with marks (kcrashd.core.windows).  NUL bytes are dropped (triage ignores them,
    and only the marks may hold one).
    """
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise LogFileError(f"{label}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise LogFileError(f"{label}: not a regular file")
    try:
        if st.st_size <= WHOLE_LIMIT:
            data = _read_exact(fd, 0, WHOLE_LIMIT + 1, min(max(st.st_size + 1, _SMALL_READ), CHUNK))
            if len(data) <= WHOLE_LIMIT:
                return data.replace(b"\0", b"") if b"\0" in data else data
        return _read_windows(fd)
    except OSError as exc:
        raise LogFileError(f"{label}: {exc.strerror or exc}") from exc


def _read_windows(fd: int) -> bytes:
    """Search the whole file for headers in chunks, then read the windows around the kept ones."""
    scan = HeaderScan()
    counts: list[int] = []  # newlines in each STEP-byte block
    offset, carry = 0, b""
    while True:
        data_at = _next_data(fd, offset)
        if data_at > offset:  # a hole of a sparse file: no line, nothing to search
            _count_newlines(b"", offset, data_at - offset, counts)
            scan.feed(carry, offset - len(carry))
            offset, carry = data_at, b""
        chunk = os.pread(fd, CHUNK, offset)
        if not chunk:
            break
        hole = chunk == _ZEROS if len(chunk) == CHUNK else not chunk.strip(b"\0")
        _count_newlines(b"" if hole else chunk, offset, len(chunk), counts)
        if not hole:
            buf = carry + chunk
            cut = buf.rfind(b"\n") + 1 or (len(buf) if len(buf) > MAX_CARRY else 0)
            scan.feed(buf[:cut], offset - len(carry))
            carry = buf[cut:]
        else:  # a hole of a sparse file: nothing to search
            scan.feed(carry, offset - len(carry))
            carry = b""
        offset += len(chunk)
    scan.feed(carry, offset - len(carry))
    before = list(itertools.accumulate(counts, initial=0))
    parts = [unread_mark(Unread(start=f.first, end=f.last, reason=f.reason)) for f in scan.floods()]
    for start, end in spans(scan.candidates(), offset):
        base = start - start % STEP
        buf = _read_exact(fd, base, end - base)
        lo, hi = whole_lines(buf, start - base, len(buf), base + len(buf) >= offset)
        body = buf[lo:hi].replace(b"\0", b"")
        parts += [at_mark(base + lo, 1 + before[base // STEP] + buf.count(b"\n", 0, lo)),
                  body if body.endswith(b"\n") else body + b"\n"]
    return b"".join(parts)


def _next_data(fd: int, offset: int) -> int:
    """The next offset at or after `offset` that holds data (skips a sparse file's holes); the
    descriptor's own position is left as it was."""
    seek_data = getattr(os, "SEEK_DATA", None)
    if seek_data is None:
        return offset
    here = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        return os.lseek(fd, offset, seek_data)
    except OSError:  # ENXIO: only a hole is left; EINVAL: the file system cannot tell
        return offset
    finally:
        os.lseek(fd, here, os.SEEK_SET)


def _count_newlines(chunk: bytes, offset: int, size: int, counts: list[int]) -> None:
    """Add the newlines of `chunk` (`size` bytes at `offset` of the file; empty for a hole) to the
    per-block counts."""
    pos, stop_all = offset, offset + size
    while pos < stop_all:
        blk = pos // STEP
        stop = min((blk + 1) * STEP, stop_all)
        if blk == len(counts):
            counts.append(0)
        counts[blk] += chunk.count(b"\n", pos - offset, stop - offset)
        pos = stop


def _read_exact(fd: int, offset: int, count: int, size: int = CHUNK) -> bytes:
    """Up to `count` bytes from `offset`, fewer where the file ends, read `size` bytes at a time."""
    chunks: list[bytes] = []
    got = 0
    while got < count:
        chunk = os.pread(fd, min(count - got, size), offset + got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def find_log_file(crash_dir: str | os.PathLike[str]) -> Path | None:
    """The crashed kernel's log in a crash directory, or None if it has none.

    Priority: vmcore-dmesg.txt (RHEL), dmesg.<STAMP> / dmesg / dmesg.txt (Debian, SUSE,
    kdumpst, systemd-pstore), vmcore-dmesg-incomplete.txt (degraded).  Empty files are skipped.
    Raises LogFileError if `crash_dir` is not a readable directory.
    """
    base = Path(crash_dir)
    try:
        entries = {e.name: e for e in os.scandir(base)}
    except NotADirectoryError as exc:
        raise LogFileError(f"{crash_dir}: not a directory") from exc
    except OSError as exc:
        raise LogFileError(f"{crash_dir}: {exc.strerror or exc}") from exc

    def usable(name: str) -> bool:
        e = entries.get(name)
        try:
            return e is not None and e.is_file(follow_symlinks=False) and e.stat(follow_symlinks=False).st_size > 0
        except OSError:
            return False

    for name in _EXACT_NAMES:
        if usable(name):
            return base / name
    stamped = sorted(n for n in entries if n.startswith("dmesg.") and n[6:].isdigit())
    for name in (*reversed(stamped), *_DMESG_NAMES):
        if usable(name) and name not in _NEVER:
            return base / name
    for name in _DEGRADED_NAMES:
        if usable(name):
            return base / name
    return None
