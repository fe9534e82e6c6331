"""The doorbell `kcrashd resend` rings: a FIFO the running daemon's delivery thread waits on."""

from __future__ import annotations

import os
import select
from pathlib import Path

from kcrashd.sinks.alerting.doorbell import WAKE_NAME, Doorbell, ring


def readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def test_ring_wakes_a_listening_daemon_and_nothing_else(tmp_path: Path) -> None:
    assert ring(tmp_path) is False  # no daemon ever started here
    bell = Doorbell(tmp_path)
    try:
        assert not readable(bell.fileno())
        assert ring(tmp_path) is True
        assert readable(bell.fileno())
        bell.drain()
        assert not readable(bell.fileno())  # quiet again: no end-of-file spin once a ringer left
    finally:
        bell.close()
    assert ring(tmp_path) is False  # the FIFO stays, with nobody listening (ENXIO)


def test_a_doorbell_replaces_what_is_not_its_fifo(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("")
    os.symlink(tmp_path / "elsewhere", tmp_path / WAKE_NAME)
    assert ring(tmp_path) is False  # a symlink is never followed
    bell = Doorbell(tmp_path)
    try:
        assert (tmp_path / WAKE_NAME).is_fifo() and ring(tmp_path) is True
    finally:
        bell.close()
