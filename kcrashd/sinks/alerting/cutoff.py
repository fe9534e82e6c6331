"""The total deadline of one request: when it passes, the request's socket is shut down.

The timeouts of requests, urllib3 and smtplib bound each socket operation, so a receiver that
answers one byte every few seconds never trips them and holds its caller for as long as it likes.
A Cutoff bounds the whole request instead: a timer shuts the socket down at the deadline (or at
once when the daemon stops), which ends a blocked connect, send or read in the sending thread with
an error. The timer exists only while a request runs: an idle daemon holds no thread for it.

The sending side registers the sockets it opens with `attach` (kcrashd.sinks.alerting.transport does so
for every HTTP connection, the SMTP sender for its client) while the Cutoff is `current()`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Protocol

RECHECK = 0.1  # seconds: after the deadline, how often to look for a socket still being connected

_local = threading.local()


class SocketHolder(Protocol):
    """A connection object whose socket appears once it is connected (urllib3, smtplib)."""

    @property
    def sock(self) -> socket.socket | None: ...


def current() -> Cutoff | None:
    """The Cutoff of the request this thread is making, if any."""
    cutoff: Cutoff | None = getattr(_local, "cutoff", None)
    return cutoff


class Cutoff:
    """`with Cutoff(seconds):` around one request; `fired` tells why it ended early, if it did."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.holders: list[SocketHolder] = []
        self.reason: str | None = None  # "deadline" or "stopping" once fired
        self.finished = False
        self.timers: list[threading.Timer] = []  # the deadline's, then any look-again ones

    @property
    def fired(self) -> bool:
        return self.reason is not None

    def __enter__(self) -> Cutoff:
        _local.cutoff = self
        self._arm(self.seconds, "deadline")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self.lock:
            self.finished = True
            timers, self.timers = self.timers, []
        for timer in timers:  # each, not only the last: none may sleep on after the request
            timer.cancel()
        _local.cutoff = None

    def _arm(self, seconds: float, reason: str) -> None:
        timer = threading.Timer(seconds, self.fire, args=(reason,))
        timer.name = "kcrashd-cutoff"
        timer.daemon = True
        with self.lock:
            if self.finished:
                return
            self.timers = [t for t in self.timers if t.is_alive()] + [timer]
            timer.start()

    def attach(self, holder: SocketHolder) -> None:
        """Register a connection of this request; one attached after the deadline is cut at once."""
        with self.lock:
            self.holders.append(holder)
            late = self.fired
        if late:
            shut(holder)

    def fire(self, reason: str = "stopping") -> None:
        """Shut down every socket of the request; look again shortly for one still connecting."""
        with self.lock:
            if self.finished:
                return
            if self.reason is None:
                self.reason = reason
            holders = list(self.holders)
        pending = [holder for holder in holders if not shut(holder)]
        if pending or not holders:
            self._arm(RECHECK, self.reason or reason)


def shut(holder: SocketHolder) -> bool:
    """Shut the holder's socket down in both directions; False while it has none yet.

    The base class method is called on purpose: ssl.SSLSocket.shutdown would drop its TLS state
    under the thread that is still reading, while a plain shutdown(2) makes that read return.
    """
    sock = holder.sock
    if sock is None:
        return False
    with contextlib.suppress(OSError, ValueError):  # already closed: nothing left to cut
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    return True
