"""Dumps whose logs hold no crash have no fingerprint: each is its own bug, never one shared key
(it was `kcrash-` + sha256(""), so every such dump after the first was swallowed by the cooldown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.model.bugkey import NO_FINGERPRINT, alert_key, journal_key
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import delivery_state
from kcrashd.sinks.journal import journal_fields
from tests.alerting.conftest import T0, Clock, alerts_config, drain, enqueue
from tests.alerting.test_outbox import DB, hook


def no_crash(record: Callable[..., CrashRecord], crash_id: str, host: str) -> CrashRecord:
    """A dump whose log triage found no crash in: no title, no fingerprint."""
    return record(crash_id, fingerprint="", title="", host=host, kind="unknown", excerpt=[])


def test_two_dumps_without_a_crash_page_as_two_bugs(
    db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(hook(httpserver.url_for("/h")))
    bodies: list[dict[str, Any]] = []

    def receive(request: Request) -> Response:
        bodies.append(request.get_json())
        return Response("", 204)

    httpserver.expect_request("/h", method="POST").respond_with_handler(receive)
    first, second = no_crash(record, "a" * 32, "web-01"), no_crash(record, "b" * 32, "web-02")
    enqueue(conn, first, cfg, now=T0)
    enqueue(conn, second, cfg, now=T0.replace(minute=5))
    conn.commit()
    drain(path, cfg, clock)
    assert [s["state"] for s in delivery_state(conn, second.crash_id)] == ["done"]
    assert len(bodies) == 2
    keys = {body["data"]["fingerprint"] for body in bodies}
    assert keys == {alert_key(first), alert_key(second)} and len(keys) == 2
    assert all("KCRASHD_CRASH_ID=" in body["data"]["journal_command"] for body in bodies)


def test_the_journal_still_says_none(record: Callable[..., CrashRecord]) -> None:
    crash = no_crash(record, "c" * 32, "web-01")
    assert journal_key(crash.report) == NO_FINGERPRINT
    assert journal_fields(crash)["KCRASHD_FINGERPRINT"] == "none"
    assert alert_key(crash) != NO_FINGERPRINT
