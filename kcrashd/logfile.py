"""The shell around the pure core: read a kernel log with bounded memory, find the log in a crash dir.

A kdump log can be huge (a serial console captured for weeks).  The crash is at the end and the
kernel release at the start, so big files are read as head + tail only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

HEAD_BYTES = 256 * 1024
TAIL_BYTES = 4 * 1024 * 1024
WHOLE_LIMIT = HEAD_BYTES + TAIL_BYTES
GAP_MARKER = b"\n[kcrashd: log truncated, middle skipped]\n"

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
    """The bytes of the open log `fd` (not closed here); `label` names it in errors."""
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        raise LogFileError(f"{label}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise LogFileError(f"{label}: not a regular file")
    size = st.st_size
    try:
        if size <= WHOLE_LIMIT:
            return _read_exact(fd, 0, WHOLE_LIMIT + 1)[: WHOLE_LIMIT + 1]
        head = _read_exact(fd, 0, HEAD_BYTES)
        tail = _read_exact(fd, size - TAIL_BYTES, TAIL_BYTES)
    except OSError as exc:
        raise LogFileError(f"{label}: {exc.strerror or exc}") from exc
    # Cut at line boundaries so no half line is glued to the marker.
    head = head[: head.rfind(b"\n") + 1] if b"\n" in head else head
    nl = tail.find(b"\n")
    tail = tail[nl + 1 :] if nl >= 0 else tail
    return head + GAP_MARKER + tail


def _read_exact(fd: int, offset: int, count: int) -> bytes:
    chunks: list[bytes] = []
    got = 0
    while got < count:
        chunk = os.pread(fd, min(count - got, 1024 * 1024), offset + got)
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
