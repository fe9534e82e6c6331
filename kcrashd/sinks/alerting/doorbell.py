"""The doorbell of the running daemon's alert delivery: a FIFO in the state directory.

`kcrashd resend` and `kcrashd scan` change the outbox from another process, while the daemon's
delivery thread sleeps until the next due row (without a timeout when none is). Writing a byte
to `<state_dir>/alerts.wake` wakes it at once. Nothing polls: an idle daemon wakes 0 times.
With no daemon listening the write fails (ENXIO), and the caller can say so.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

WAKE_NAME = "alerts.wake"


class Doorbell:
    """The daemon's end: a descriptor that turns readable when someone rings."""

    def __init__(self, state_dir: Path) -> None:
        path = state_dir / WAKE_NAME
        try:
            info = os.lstat(path)
            if not stat.S_ISFIFO(info.st_mode) or info.st_uid != os.geteuid():
                os.unlink(path)
                raise FileNotFoundError(path)
        except FileNotFoundError:
            os.mkfifo(path, 0o600)
        flags = os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW
        self.read_fd = os.open(path, os.O_RDONLY | flags)
        # our own writer: without one, the FIFO reads as end-of-file (always readable) once a
        # ringer has come and gone
        self.keep_fd = os.open(path, os.O_WRONLY | flags)

    def fileno(self) -> int:
        return self.read_fd

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self.read_fd, 4096):
                pass

    def close(self) -> None:
        os.close(self.keep_fd)
        os.close(self.read_fd)


def ring(state_dir: Path) -> bool:
    """Wake the daemon delivering alerts from `state_dir`; False when none is running."""
    flags = os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        fd = os.open(state_dir / WAKE_NAME, flags)
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.ENOENT, errno.ELOOP):
            return False  # no reader, never started, or not our FIFO
        raise
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        with contextlib.suppress(BlockingIOError):  # full: a wake-up is pending anyway
            os.write(fd, b"!")
    finally:
        os.close(fd)
    return True
