"""Talking to systemd (Type=notify): READY=1, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1.

Outside systemd ($NOTIFY_SOCKET unset) every call is a cheap no-op.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable

log = logging.getLogger(__name__)

Notify = Callable[[str], bool]


def systemd_notify() -> Notify:
    """systemd-python's sd_notify, or a no-op when the binding is missing."""
    try:
        notify: Notify = importlib.import_module("systemd.daemon").notify
    except ImportError:
        log.warning("systemd-python is not installed: no readiness or watchdog notifications")
        return lambda _message: False
    return notify


class Notifier:
    """The service manager's view of the daemon."""

    def __init__(self, notify: Notify | None = None, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.enabled = bool(env.get("NOTIFY_SOCKET"))
        self.notify = notify or (systemd_notify() if self.enabled else (lambda _message: False))
        self.watchdog_interval: float | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            # ping at half the timeout, as sd_watchdog_enabled(3) recommends
            self.watchdog_interval = int(usec) / 2 / 1_000_000

    def send(self, *lines: str) -> None:
        if self.enabled:
            self.notify("\n".join(lines))

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def reloading(self) -> None:
        self.send("RELOADING=1", "STATUS=reloading the configuration")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")
