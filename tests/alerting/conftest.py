"""Fixtures of the alerting tests: a state DB, a pinned clock, crash records, a planted secret."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kcrashd.config.alerting import AlertsConfig
from kcrashd.core.model import Report, Severity
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import ensure_schema
from kcrashd.sinks.alerting.outbox import enqueue as outbox_enqueue
from kcrashd.store.database import CrashFile, CrashStatus, FingerprintStats, Store, insert_crash

T0 = datetime(2026, 11, 26, 3, 0, 0, tzinfo=UTC)
PLANTED = "PLANTEDs3cr3tT0KEN4f9e2c7a1b"  # grep every output for this


class Clock:
    """The one time seam: tests move it, nothing sleeps."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    ensure_schema(conn)
    yield path, conn
    conn.close()


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The planted token as env var, credential and 0600 file."""
    monkeypatch.setenv("KC_TOKEN", PLANTED)
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "token").write_text(PLANTED + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    return PLANTED


def make_record(
    crash_id: str = "c1",
    *,
    fingerprint: str = "kcrash-0123456789abcdef",
    host: str = "web-01",
    title: str = "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash",
    at: datetime = T0,
    kind: str = "bug",
    severity: Severity = Severity.CRITICAL,
    excerpt: list[str] | None = None,
    **extra: Any,
) -> CrashRecord:
    report = Report(
        title=title,
        kind=kind,
        severity=severity,
        function="sysrq_handle_crash",
        fingerprint=fingerprint,
        kernel_release="6.1.0-28-amd64",
        excerpt=excerpt
        if excerpt is not None
        else [
            "BUG: kernel NULL pointer dereference, address: 0000",
            "RIP: 0010:sysrq_handle_crash+0x16/0x20",
        ],
    )
    return CrashRecord(
        crash_id=crash_id,
        report=report,
        host=host,
        dump_dir=f"/var/crash/127.0.0.1-{crash_id}",
        layout="kdump",
        crash_time=at,
        detected_at=at,
        first_seen=at,
        **extra,
    )


@pytest.fixture
def record() -> Callable[..., CrashRecord]:
    return make_record


def alerts_config(*targets: dict[str, Any], **policy: Any) -> AlertsConfig:
    return AlertsConfig.model_validate(
        {"targets": list(targets), "policy": policy, "machine_id_path": "/nonexistent/machine-id"}
    )


def pagerduty_target(url: str) -> dict[str, Any]:
    """A PagerDuty target whose routing key comes from $PD_KEY."""
    return {"name": "pd", "type": "pagerduty", "routing_key_ref": "env:PD_KEY", "url": url}


def drain(path: Path, cfg: Any, clock: Clock, rounds: int = 5) -> None:
    """Deliver what is due, moving the pinned clock to each next attempt, a few rounds at most."""
    from kcrashd.sinks.alerting.delivery import Deliverer

    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        for _ in range(rounds):
            wait = deliverer.deliver_due()
            if wait is None:
                return
            clock.advance(wait)
    finally:
        deliverer.close()


def enqueue(conn: sqlite3.Connection, record: CrashRecord, alerts: AlertsConfig, *, now: datetime, page: bool = True) -> int:
    """The outbox's enqueue for a crash recorded first in the same transaction, as the pipeline
    does it (the policy keeps its decision on the crash's row)."""
    if conn.execute("SELECT 1 FROM crashes WHERE crash_id = ?", (record.crash_id,)).fetchone() is None:
        insert_crash(conn, record, CrashFile(dev=0, ino=0), "absent", CrashStatus.JOURNALED)
    return outbox_enqueue(conn, record, alerts, now=now, page=page)


def file_crash(store: Store, crash: CrashRecord, cfg: AlertsConfig, ino: int, *, alerts: bool = True) -> CrashRecord:
    """Record a crash as the pipeline does: in the store's transaction, with its fingerprint's
    history (the count and hosts before it, merges honoured) and, with `alerts`, the outbox's enqueue."""

    def also(conn: sqlite3.Connection, record: CrashRecord) -> None:
        outbox_enqueue(conn, record, cfg, now=record.crash_time)

    def build(stats: FingerprintStats) -> CrashRecord:
        return crash.model_copy(update={"count": stats.count + 1, "hosts": stats.hosts + (0 if stats.host_known else 1)})

    return store.record(
        build, dev=1, ino=ino, log_mtime_ns=None, log_size=None, vmcore_state="absent", status=CrashStatus.JOURNALED,
        also=also if alerts else None,
    )  # fmt: skip
