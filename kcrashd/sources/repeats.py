"""Warnings about one folder given once, not on every rescan or retry.

A dump path rescanned after a reload or an inotify overflow, or a folder looked at again every few
seconds, would repeat the same "skipping ..." line each time. Each distinct (folder, reason) is
logged once; the memory of what was said is bounded (the oldest is forgotten first).
"""

from __future__ import annotations

import logging
from collections import OrderedDict

REMEMBERED = 4096


class Repeats:
    """Which (folder, reason) warnings were already logged."""

    def __init__(self, limit: int = REMEMBERED) -> None:
        self.limit = limit
        self.said: OrderedDict[tuple[str, str], None] = OrderedDict()

    def first(self, folder: str, reason: str) -> bool:
        """True the first time this folder gives this reason (then remembered)."""
        key = (folder, reason)
        if key in self.said:
            self.said.move_to_end(key)
            return False
        self.said[key] = None
        if len(self.said) > self.limit:
            self.said.popitem(last=False)
        return True

    def warn(self, logger: logging.Logger, folder: str, reason: str, message: str, *args: object,
             level: int = logging.WARNING) -> None:  # fmt: skip
        """`logger.log(level, message, *args)` once per (folder, reason)."""
        if self.first(folder, reason):
            logger.log(level, message, *args)


# The scanners are free functions called by the daemon and `kcrashd scan`: one memory per process.
REPEATS = Repeats()
