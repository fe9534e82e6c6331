"""Receivers that misbehave (issue 12, item 4): a byte every few seconds, a 1 GiB error body.

A request ends at its target's `timeout` in all, an answer is read up to its limit only, a slow
target never delays another, and SIGTERM stops the real daemon within 5 s while a request hangs.
The bounds asserted here are the behaviour, several times wider than what it takes; the delivery
times themselves are measured by bench/alerting_hostile.py.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from kcrashd.config.alerting import SmtpTarget, WebhookTarget
from kcrashd.sinks.alerting.http import BODY_LIMIT, Http, SendFailure, make_session
from tests.alerting.hostile import (
    GIB,
    context_switches,
    peak_rss_mib,
    queue_crash,
    receiver,
    smtp_drip,
    start_daemon,
    write_config,
)  # fmt: skip
from tests.daemon.conftest import KCRASHD, DaemonProcess

MIB = 1 << 20


def webhook(url: str, **settings: Any) -> WebhookTarget:
    return WebhookTarget.model_validate({"name": "wh", "type": "webhook", "url": url, **settings})


def post(target: WebhookTarget) -> tuple[float, SendFailure | None]:
    """One request through the real Http; its duration and its failure, if it failed."""
    session = make_session()
    http = Http(target, session, lambda: datetime.now(UTC))
    start = time.monotonic()
    try:
        http.call("POST", target.url or "", json={"ping": 1})
    except SendFailure as failure:
        return time.monotonic() - start, failure
    finally:
        session.close()
    return time.monotonic() - start, None


def test_a_dripping_receiver_is_cut_at_the_total_deadline() -> None:
    """A byte every 0.5 s never trips a 2 s per-read timeout; the 2 s total deadline ends it."""
    with receiver("drip", interval=0.5, give_up=30) as drip:
        took, failure = post(webhook(drip.url, timeout=2, connect_timeout=1))
        assert drip.closed.wait(10), "the receiver never saw the client hang up"
    assert failure is not None and failure.outcome.retry
    assert "no complete answer within 2 s" in (failure.outcome.error or "")
    assert took < 6.0, f"request took {took:.1f} s, its deadline is 2 s"
    assert drip.sent[0] < 10  # bytes dripped before the cut (the whole answer is 73)


def test_a_dripping_mail_server_is_cut_at_the_total_deadline() -> None:
    """The SMTP sender has the same total deadline: a greeting a byte at a time ends at 2 s."""
    from kcrashd.sinks.alerting.targets.smtp import SmtpSender

    with smtp_drip(interval=0.5) as (port, seen):
        target = SmtpTarget.model_validate(
            {"name": "mail", "type": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
             "sender": "kcrashd@example.org", "recipients": ["ops@example.org"], "timeout": 2}
        )  # fmt: skip
        session = make_session()
        sender = SmtpSender(
            target, Http(target, session, lambda: datetime.now(UTC)), lambda: datetime.now(UTC)
        )
        start = time.monotonic()
        with pytest.raises(SendFailure) as failure:
            sender._submit(EmailMessage())
        took = time.monotonic() - start
        session.close()
        assert seen.closed.wait(10)
    assert took < 6.0, f"the exchange took {took:.1f} s, its deadline is 2 s"
    assert "no complete exchange within 2 s" in (failure.value.outcome.error or "")


@pytest.mark.parametrize("mode", ["huge", "huge-redirect"])
def test_a_huge_answer_is_never_read_whole(mode: str) -> None:
    """A 1 GiB error page (or redirect page): 64 KiB are read, then the connection is dropped."""
    with receiver(mode) as huge:
        _, failure = post(webhook(huge.url, timeout=30))
        assert huge.closed.wait(30), "the receiver is still sending"
    assert failure is not None
    status = 500 if mode == "huge" else 302
    assert failure.outcome.status == status and f"HTTP {status}" in (failure.outcome.error or "")
    # what the receiver could push before the hang-up: our 64 KiB plus the kernel's socket buffers
    assert huge.sent[0] < 64 * MIB, f"{huge.sent[0] / MIB:.0f} MiB of {GIB / MIB:.0f} MiB sent"
    assert BODY_LIMIT == 64 * 1024


# --- the real daemon -------------------------------------------------------------------------


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[[Path], DaemonProcess]]:
    started: list[DaemonProcess] = []

    def launch(config: Path) -> DaemonProcess:
        proc = start_daemon(config, tmp_path / f"daemon-{len(started)}.log")
        started.append(proc)
        return proc

    yield launch
    for proc in started:
        proc.stop()


def test_slow_and_huge_targets_do_not_delay_a_healthy_one_and_sigterm_is_prompt(
    tmp_path: Path, daemon: Callable[[Path], DaemonProcess]
) -> None:
    with receiver("drip", interval=2.0, give_up=45) as slow, receiver("huge") as huge, receiver() as healthy:
        targets = [  # in this order in the outbox: the slow one first
            {"name": "slow", "type": "webhook", "url": slow.url, "timeout": 60.0},
            {"name": "huge", "type": "webhook", "url": huge.url},
            {"name": "healthy", "type": "webhook", "url": healthy.url},
        ]
        queue_crash(tmp_path, targets)
        proc: DaemonProcess = daemon(write_config(tmp_path, targets))
        ready = time.monotonic()
        assert healthy.wait_arrivals(1, 20), proc.output()
        assert healthy.arrivals[0] - ready < 5.0, "the healthy target waited for the others"
        assert slow.wait_arrivals(1, 10) and not slow.closed.is_set()  # the slow one is still hanging
        assert huge.closed.wait(30), "the daemon is still reading the 1 GiB body"
        assert huge.sent[0] < 64 * MIB
        assert peak_rss_mib(proc.proc.pid) < 150, "the daemon's RSS grew with the body"
        stopping = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        code = proc.proc.wait(timeout=30)
        took = time.monotonic() - stopping
        assert slow.closed.wait(5)  # its request was cut, not left to the drip
    assert code == 0, proc.output()
    assert took < 5.0, f"SIGTERM took {took:.1f} s with a request hanging"


def test_resend_wakes_the_running_daemon(tmp_path: Path, daemon: Callable[[Path], DaemonProcess]) -> None:
    """`kcrashd resend` against a real daemon idle in its sleep: sent at once, not minutes later."""
    with receiver() as healthy:
        targets = [{"name": "healthy", "type": "webhook", "url": healthy.url}]
        queue_crash(tmp_path, targets)
        conn = sqlite3.connect(tmp_path / "state" / "state.db")
        conn.execute("UPDATE outbox SET state = 'dead', attempts = 9")
        conn.commit()
        conn.close()
        config = write_config(tmp_path, targets)
        proc: DaemonProcess = daemon(config)
        time.sleep(0.5)
        before = context_switches(proc.proc.pid)
        time.sleep(2.0)
        assert context_switches(proc.proc.pid) == before  # idle: no thread woke up, the doorbell included
        assert healthy.arrivals == []  # a dead delivery is not sent by itself
        asked = time.monotonic()
        result = subprocess.run(
            [str(KCRASHD), "resend", "c1", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert healthy.wait_arrivals(1, 10), proc.output()
        assert healthy.arrivals[0] - asked < 5.0
        assert "the running daemon sends them now" in result.stdout
        time.sleep(0.5)
        before = context_switches(proc.proc.pid)
        time.sleep(2.0)
        assert context_switches(proc.proc.pid) == before  # idle again once the ringer has gone


# --- the lanes in-process: threads started and ended, and no busy loop ------------------------


def test_lanes_deliver_beside_a_dripping_target_and_stop_promptly(tmp_path: Path) -> None:
    from kcrashd.sinks.alerting.delivery import Deliverer
    from kcrashd.sinks.alerting.lanes import AlertLanes
    from tests.alerting.conftest import alerts_config

    before = set(threading.enumerate())
    with receiver("drip", interval=1.0, give_up=30) as slow, receiver() as healthy:
        targets = [
            {"name": "slow", "type": "webhook", "url": slow.url, "timeout": 60.0},
            {"name": "healthy", "type": "webhook", "url": healthy.url},
        ]
        queue_crash(tmp_path, targets)
        lanes = AlertLanes(Deliverer(tmp_path / "state/state.db", alerts_config(*targets)))
        started = time.monotonic()
        lanes.start()
        try:
            assert healthy.wait_arrivals(1, 10)
            assert healthy.arrivals[0] - started < 5.0
            assert slow.wait_arrivals(1, 10) and not slow.closed.is_set()
        finally:
            stopping = time.monotonic()
            lanes.stop()
            took = time.monotonic() - stopping
        assert slow.closed.wait(5)
    assert took < 5.0, f"stop() took {took:.1f} s"
    deadline = time.monotonic() + 5
    while [t for t in threading.enumerate() if t not in before and t.is_alive()] and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    frames = sys._current_frames()
    assert left == [], "".join(f"{t.name}:\n{''.join(traceback.format_stack(frames[t.ident]))}" for t in left if t.ident in frames)
    conn = sqlite3.connect(tmp_path / "state/state.db")
    rows = dict(conn.execute("SELECT target, state || ':' || attempts FROM outbox").fetchall())
    conn.close()
    assert rows == {"healthy": "done:1", "slow": "pending:0"}  # the cut attempt is handed back, uncounted


class FailingDeliverer:
    """A deliverer whose every pass fails (a test double: a bug or a broken database)."""

    def __init__(self) -> None:
        self.passes = 0

    def due_by_target(self, now: datetime | None = None) -> dict[str, float]:
        return {"wh": 0.0}

    def deliver_due(self, now: datetime | None = None, *, target: str | None = None) -> float | None:
        self.passes += 1
        raise RuntimeError("broken")

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_failing_lane_rests_instead_of_spinning(caplog: pytest.LogCaptureFixture) -> None:
    from kcrashd.sinks.alerting.lanes import AlertLanes

    failing = FailingDeliverer()
    lanes = AlertLanes(failing)  # type: ignore[arg-type]
    lanes.start()
    try:
        time.sleep(1.0)
    finally:
        lanes.stop()
    assert failing.passes == 1
    assert "trying it again in 60 s" in caplog.text


def cutoff_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kcrashd-cutoff" and t.is_alive()]


def test_a_cutoff_leaves_no_timer_behind() -> None:
    """Stopped while still connecting (no socket yet), a request re-arms a look-again timer; when
    it ends, the deadline's own timer must go too, not sleep out its 60 s."""
    from kcrashd.sinks.alerting.cutoff import Cutoff

    assert cutoff_threads() == []
    with Cutoff(60.0) as cutoff:
        cutoff.fire("stopping")
        assert cutoff.fired and len(cutoff_threads()) == 2
    deadline = time.monotonic() + 5
    while cutoff_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cutoff_threads() == []
