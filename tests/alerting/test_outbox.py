"""The outbox and the policy against a real SQLite DB and a loopback HTTP server."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import Deliverer, delivery_state, ensure_schema, requeue
from kcrashd.sinks.alerting.http import parse_retry_after
from tests.alerting.conftest import T0, Clock, alerts_config, enqueue
from tests.alerting.servers import closed_port

DB = tuple[Path, sqlite3.Connection]


def hook(url: str, name: str = "wh", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "webhook", "url": url, **extra}


class Journal:
    def __init__(self) -> None:
        self.entries: list[tuple[str, int, dict[str, str]]] = []

    def __call__(self, message: str, priority: int = 2, **fields: str) -> None:
        self.entries.append((message, priority, fields))


def states(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return conn.execute("SELECT target, event, state FROM outbox ORDER BY id").fetchall()


def test_schema_is_idempotent_and_versioned(db: DB) -> None:
    _, conn = db
    ensure_schema(conn)
    ensure_schema(conn)
    assert conn.execute("SELECT version FROM schema_versions WHERE component = 'outbox'").fetchone() == (2,)
    assert not conn.in_transaction


def test_enqueue_stays_in_callers_transaction(db: DB, record: Callable[..., CrashRecord]) -> None:
    _, conn = db
    cfg = alerts_config(hook("http://127.0.0.1:9/h"))
    assert enqueue(conn, record(), cfg, now=T0) == 1
    assert conn.in_transaction
    conn.rollback()  # the crash record failed: its alerts go with it
    assert states(conn) == []
    assert enqueue(conn, record(), cfg, now=T0) == 1
    conn.commit()
    assert enqueue(conn, record(), cfg, now=T0) == 0  # same crash again: nothing new


def test_policy_cooldown_counts_recurrences_and_comments_tickets(
    db: DB, record: Callable[..., CrashRecord]
) -> None:
    _, conn = db
    cfg = alerts_config(
        hook("http://127.0.0.1:9/h"),
        {"name": "rm", "type": "redmine", "url": "http://127.0.0.1:9", "project": "p",
         "fingerprint_field_id": 1, "api_key_ref": "env:X"},
    )  # fmt: skip
    enqueue(conn, record("c1"), cfg, now=T0)
    enqueue(conn, record("c2", host="web-02"), cfg, now=T0.replace(hour=5))
    enqueue(conn, record("c3", host="web-02"), cfg, now=T0.replace(hour=9))  # same host again: no comment
    assert states(conn) == [
        ("wh", "new", "pending"),
        ("rm", "new", "pending"),
        ("rm", "recurrence", "pending"),
    ]
    enqueue(
        conn, record("c4", host="web-03", at=T0.replace(day=27, hour=4)), cfg, now=T0.replace(day=27, hour=4)
    )
    assert states(conn)[-2:] == [("wh", "new", "pending"), ("rm", "new", "pending")]  # cooldown over


def test_test_records_and_old_backlog_never_page(db: DB, record: Callable[..., CrashRecord]) -> None:
    _, conn = db
    cfg = alerts_config(hook("http://127.0.0.1:9/h"))
    assert enqueue(conn, record("t", test=True), cfg, now=T0) == 0
    assert enqueue(conn, record("old", fingerprint="kcrash-1"), cfg, now=T0, page=False) == 0
    assert enqueue(conn, record("old2", fingerprint="kcrash-2", at=T0.replace(day=20)), cfg, now=T0) == 0
    assert enqueue(conn, record("old3", fingerprint="kcrash-3", too_old_to_page=True), cfg, now=T0) == 0
    assert delivery_state(conn, "old2") == [{"target": None, "event": None, "state": "not sent: no target took it (policy: quiet)"}]


def test_crash_loop_sends_one_digest(db: DB, record: Callable[..., CrashRecord]) -> None:
    _, conn = db
    cfg = alerts_config(hook("http://127.0.0.1:9/h"), loop_crashes=3, loop_hours=1.0)
    for i in range(10):
        at = T0.replace(minute=i * 5)
        enqueue(conn, record(f"c{i}", fingerprint=f"kcrash-{i % 2}", at=at), cfg, now=at)
    assert states(conn) == [("wh", "new", "pending"), ("wh", "new", "pending"), ("wh", "loop", "pending")]


def test_storm_pages_each_bug_once_and_digests_the_rest(
    db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(
        hook(httpserver.url_for("/h")), storm_hosts=5, storm_max_pages=2, digest_delay_minutes=10
    )
    for i in range(60):
        at = T0.replace(second=i)
        enqueue(conn, record(f"c{i}", host=f"h{i % 20}", fingerprint=f"kcrash-{i % 4}", at=at), cfg, now=at)
    conn.commit()
    rows = states(conn)
    assert rows.count(("wh", "new", "pending")) == 4  # 2 before the storm threshold, 2 allowed during it
    assert rows.count(("wh", "storm", "pending")) == 1
    bodies: list[dict[str, Any]] = []

    def receive(request: Request) -> Response:
        bodies.append(request.get_json())
        return Response("", 204)

    httpserver.expect_request("/h", method="POST").respond_with_handler(receive)
    clock.now = T0.replace(minute=2)
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        assert deliverer.deliver_due() == pytest.approx(
            4 + 600 - 120
        )  # storm began at :04, digest 10 min later
        clock.advance(20 * 60)
        assert deliverer.deliver_due() is None
    finally:
        deliverer.close()
    storm = [b for b in bodies if b["type"] == "kcrashd.crash.storm"]
    assert len(bodies) == 5 and len(storm) == 1
    assert storm[0]["data"]["count"] == 60 and storm[0]["data"]["hosts"] == 20
    assert sorted(storm[0]["data"]["digest"].values()) == [15, 15, 15, 15]


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120", T0) == 120
    assert parse_retry_after("Thu, 26 Nov 2026 03:01:00 GMT", T0) == 60
    assert parse_retry_after("soon", T0) is None


def test_backoff_honours_retry_after_then_delivers_once(
    db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(hook(httpserver.url_for("/h")))
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    httpserver.expect_ordered_request("/h").respond_with_data(
        "slow down", 429, headers={"Retry-After": "600"}
    )
    httpserver.expect_ordered_request("/h").respond_with_data(
        "busy", 503, headers={"Retry-After": "Thu, 26 Nov 2026 04:00:00 GMT"}
    )
    httpserver.expect_ordered_request("/h").respond_with_data("", 204)
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        wait = deliverer.deliver_due()
        assert wait is not None and wait >= 600
        clock.advance(599)
        assert deliverer.deliver_due() == pytest.approx(1, abs=0.01)  # not before Retry-After
        clock.advance(1)
        wait = deliverer.deliver_due()
        assert wait is not None and wait >= 3600 - 600 - 1  # HTTP-date: until 04:00
        clock.now = T0.replace(hour=4)
        assert deliverer.deliver_due() is None
    finally:
        deliverer.close()
    httpserver.check_assertions()
    state = delivery_state(conn, "c1")[0]
    assert state["state"] == "done" and state["attempts"] == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_permanent_errors_stop_and_are_journaled(
    status: int, db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(hook(httpserver.url_for("/h")))
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    httpserver.expect_oneshot_request("/h").respond_with_data("nope", status)
    journal = Journal()
    deliverer = Deliverer(path, cfg, clock=clock, journal=journal)
    try:
        assert deliverer.deliver_due() is None
    finally:
        deliverer.close()
    state = delivery_state(conn, "c1")[0]
    assert state["state"] == "dead" and state["last_status"] == status
    assert len(journal.entries) == 1 and journal.entries[0][1] == 2
    assert "NOT delivered (permanent error" in journal.entries[0][0]


def test_refused_connection_retries_until_max_age_then_gives_up_loudly(
    db: DB, record: Callable[..., CrashRecord], clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(hook(f"http://127.0.0.1:{closed_port()}/h"))
    cfg = cfg.model_copy(update={"retry": cfg.retry.model_copy(update={"max_age_hours": 2.0})})
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    journal = Journal()
    deliverer = Deliverer(path, cfg, clock=clock, journal=journal)
    rounds = 0
    try:
        while (wait := deliverer.deliver_due()) is not None:
            rounds += 1
            clock.advance(wait)
    finally:
        deliverer.close()
    state = delivery_state(conn, "c1")[0]
    assert rounds >= 3 and state["state"] == "dead"
    assert "cannot connect" in state["last_error"]
    assert "gave up after the maximum age" in journal.entries[0][0]


def test_down_target_costs_one_attempt_per_round(
    db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(hook(httpserver.url_for("/h")))
    for i in range(20):
        enqueue(conn, record(f"c{i}", fingerprint=f"kcrash-{i}", host=f"h{i}"), cfg, now=T0)
    conn.commit()
    httpserver.expect_request("/h").respond_with_data("down", 502)
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        deliverer.deliver_due()
        assert len(httpserver.log) == 1
    finally:
        deliverer.close()


def test_resend_requeues(
    db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(hook(httpserver.url_for("/h")))
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    httpserver.expect_request("/h").respond_with_data("", 204)
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        deliverer.deliver_due()
        assert requeue(conn, "c1", now=clock.advance(60)) == 1
        conn.commit()
        deliverer.deliver_due()
    finally:
        deliverer.close()
    assert len(httpserver.log) == 2
    ids = {req.headers["webhook-id"] for req, _ in httpserver.log}
    assert len(ids) == 1  # the receiver sees the same event id and can drop the repeat


def test_due_times_match_what_can_be_claimed(db: DB, record: Callable[..., CrashRecord], clock: Clock) -> None:
    """A row whose lease ran out while its target is paused is due when the pause ends, not now:
    a lane started for it would find nothing to claim and be started again, without end."""
    path, conn = db
    cfg = alerts_config(hook(f"http://127.0.0.1:{closed_port()}/h"), hook("http://127.0.0.1:9/x", name="other"))
    enqueue(conn, record(), cfg, now=T0)
    ts = T0.timestamp()
    conn.execute("UPDATE outbox SET state = 'sending', lease_until = ? WHERE target = 'wh'", (ts - 10,))
    conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE target = 'other'", (ts + 30,))
    conn.execute("INSERT INTO outbox_targets (target, open_until, failures) VALUES ('wh', ?, 1)", (ts + 300,))
    conn.commit()
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        assert deliverer.deliver_due() == pytest.approx(30)  # the old due time said 0: a busy loop
        assert deliverer.due_by_target() == {"wh": pytest.approx(300), "other": pytest.approx(30)}
        assert deliverer.deliver_due(target="wh") == pytest.approx(300)  # nothing claimed, nothing sent
        assert states(conn)[0] == ("wh", "new", "sending")
    finally:
        deliverer.close()
