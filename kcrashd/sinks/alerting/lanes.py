"""The daemon's alert delivery: one dispatcher thread, and one lane thread per target with work.

The dispatcher sleeps in select() until the next due row of an idle target, an enqueue (`poke`)
or the doorbell (kcrashd.sinks.alerting.doorbell); with nothing queued it sleeps without a timeout.
When a target has a row due it starts a lane for it, which delivers that target's due rows
and ends. A slow or dead target thus holds only its own lane (for at most `timeout` seconds per
request) while the others deliver; an idle daemon keeps one sleeping thread and no lane.

`stop` interrupts every request in flight (the Cutoff shuts its socket), waits for the threads
a bounded time and never longer: SIGTERM is honoured within seconds whatever a receiver does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kcrashd.sinks.alerting.delivery import Deliverer
    from kcrashd.sinks.alerting.doorbell import Doorbell

log = logging.getLogger("kcrashd.sinks.alerting")

ERROR_PAUSE = 60.0  # seconds before looking at the outbox again after an unexpected error
STOP_GRACE = 3.0  # seconds stop() waits for the threads after interrupting their requests


class AlertLanes:
    """Runs a Deliverer: a dispatcher thread and a lane thread per target that has a row due."""

    def __init__(self, deliverer: Deliverer, doorbell: Doorbell | None = None) -> None:
        self.deliverer = deliverer
        self.doorbell = doorbell
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.lock = threading.Lock()
        self.busy: dict[str, threading.Thread] = {}
        self.resting: dict[str, float] = {}  # target -> time.monotonic() its lane may start again
        self.stopping = False
        self.thread = threading.Thread(target=self.run, name="kcrashd-alerts", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def poke(self) -> None:
        """Look at the outbox now (something was enqueued, or a lane finished)."""
        with contextlib.suppress(BlockingIOError, OSError):  # full: a wake-up is pending anyway
            os.write(self.wake_w, b"!")

    def run(self) -> None:
        while not self.stopping:
            self.sleep(self.dispatch())

    def dispatch(self) -> float | None:
        """Start a lane for each idle target with a row due; seconds until the next one is due."""
        try:
            dues = self.deliverer.due_by_target(datetime.now(UTC))
        except Exception:
            log.exception("alert delivery failed; looking again in %.0f s", ERROR_PAUSE)
            return ERROR_PAUSE
        waits: list[float] = []
        now = time.monotonic()
        for name, due in dues.items():
            with self.lock:
                if self.stopping or name in self.busy:
                    continue  # a busy lane pokes when it ends
                wait = max(due, self.resting.get(name, now) - now)
                if wait <= 0:
                    lane = threading.Thread(
                        target=self.lane, args=(name,), name=f"kcrashd-alert-{name}", daemon=True
                    )
                    self.busy[name] = lane
                    lane.start()
                    continue
            waits.append(wait)
        return min(waits, default=None)

    def lane(self, name: str) -> None:
        """Deliver the due rows of one target until none is due now."""
        try:
            while not self.stopping:
                delay = self.deliverer.deliver_due(datetime.now(UTC), target=name)
                if delay is None or delay > 0:
                    break
        except Exception:
            log.exception("alert delivery to %s failed; trying it again in %.0f s", name, ERROR_PAUSE)
            with self.lock:
                self.resting[name] = time.monotonic() + ERROR_PAUSE
        finally:
            with self.lock:
                self.busy.pop(name, None)
            self.poke()

    def sleep(self, timeout: float | None) -> None:
        sources: list[int] = [self.wake_r]
        if self.doorbell is not None:
            sources.append(self.doorbell.fileno())
        ready, _, _ = select.select(sources, [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            while os.read(self.wake_r, 4096):
                pass
        if self.doorbell is not None and self.doorbell.fileno() in ready:
            self.doorbell.drain()

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Interrupt the requests in flight and wait at most `grace` seconds for the threads."""
        with self.lock:
            self.stopping = True
            lanes = list(self.busy.values())
        self.deliverer.abort()
        self.poke()
        deadline = time.monotonic() + grace
        for thread in [self.thread, *lanes]:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in [self.thread, *lanes] if t.is_alive()]
        if stuck:  # daemon threads: the process exit ends them; their rows' leases expire
            log.warning(
                "alert delivery still busy after %.0f s (%s); not waiting for it", grace, ", ".join(stuck)
            )
        if self.doorbell is not None and not self.thread.is_alive():
            self.doorbell.close()  # only the dispatcher reads it: a new daemon's bell is the only one
        if stuck:
            return  # the pipe and the database stay open for the threads still running
        os.close(self.wake_r)
        os.close(self.wake_w)
        try:
            self.deliverer.close()
        except Exception:
            log.exception("closing the alert deliverer failed")
