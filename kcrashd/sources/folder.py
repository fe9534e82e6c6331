"""A dump folder read only through its own descriptor.

Dump folders are written by other hosts (docs/dump-layouts.md §11). A folder is opened once,
walking from its trusted dump path one `O_NOFOLLOW|O_DIRECTORY` component at a time, and its
(st_dev, st_ino) is checked against what the scan listed. It is then listed, and each of its
files opened, relative to that descriptor with `O_NOFOLLOW|O_NONBLOCK`, and only a regular file
is read: a name swapped for a symlink while the folder is read changes nothing, since the
descriptor is still the folder that was opened.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
KINDS = (
    (stat.S_ISLNK, "symbolic link"),
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


class FolderChanged(OSError):
    """The name held another folder when it was opened than when it was listed (twice)."""


def stat_kind(mode: int) -> str:
    """What a directory entry that is not a regular file is, for a refusal's reason."""
    return next((name for test, name in KINDS if test(mode)), "special file")


class DumpFolder:
    """An open dump folder. For a single file directly in a dump path (a flat pstore record),
    the descriptor is that dump path's and the identity is the file's own (`only`)."""

    def __init__(self, fd: int, st: os.stat_result, only: str | None = None) -> None:
        self.fd = fd
        self.dev = st.st_dev
        self.ino = st.st_ino
        self.mtime = st.st_mtime
        self.only = only

    def entries(self) -> Iterator[tuple[str, os.stat_result]]:
        """(name, lstat) of each entry, listed through the descriptor; vanished ones left out."""
        if self.only is not None:
            yield self.only, os.stat(self.only, dir_fd=self.fd, follow_symlinks=False)
            return
        with os.scandir(self.fd) as listing:
            for entry in listing:
                try:
                    yield entry.name, entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # vanished while listing

    def open_file(self, name: str) -> int:
        """A regular file of the folder, opened for reading (never through a symlink, never
        blocking on a FIFO). Raises OSError, EINVAL for anything not a regular file."""
        fd = os.open(name, FILE_FLAGS, dir_fd=self.fd)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise OSError(errno.EINVAL, f"{stat_kind(mode)}, not a regular file", name)
        return fd

    def read_small(self, name: str, limit: int = 8192) -> bytes:
        """The first `limit` bytes of a small regular file of the folder; b"" when unreadable."""
        try:
            fd = self.open_file(name)
        except OSError:
            return b""
        try:
            return os.pread(fd, limit, 0)
        except OSError:
            return b""
        finally:
            os.close(fd)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> DumpFolder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def open_below(root: Path, path: Path, *, single_file: bool = False, seen: tuple[int, int] | None = None) -> DumpFolder:
    """Open the folder `path` below the trusted dump path `root` (or, `single_file`, the folder
    holding that file) and check that it is the one listed as `seen` (or, with nothing listed,
    the one its name held just before): a second look settles a folder replaced since.

    Raises FileNotFoundError (gone), NotADirectoryError or ELOOP (a symlink, or a file where a
    folder was), FolderChanged (replaced while being opened, twice), or another OSError."""
    for attempt in range(2):
        expected = seen if attempt == 0 else None
        if expected is None:
            st = os.lstat(path)
            expected = (st.st_dev, st.st_ino)
        folder = open_once(root, path, single_file)
        if (folder.dev, folder.ino) == expected:
            return folder
        folder.close()
    raise FolderChanged(errno.EAGAIN, "replaced by another folder while being opened", str(path))


def open_once(root: Path, path: Path, single_file: bool) -> DumpFolder:
    """Walk from `root` (configured: followed if it is a link) to `path`, one O_NOFOLLOW
    component at a time."""
    parts = path.relative_to(root).parts
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1] if single_file else parts:
            inner = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
        st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False) if single_file else os.fstat(fd)
        if stat.S_ISLNK(st.st_mode):  # a single file that is a symlink: never followed
            raise OSError(errno.ELOOP, "symbolic link", str(path))
    except BaseException:
        os.close(fd)
        raise
    return DumpFolder(fd, st, parts[-1] if single_file else None)
