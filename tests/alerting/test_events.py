"""Generic webhook and PagerDuty against loopback servers that check the documented shapes;
Alertmanager against the real Debian binary."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import delivery_state
from tests.alerting import shapes
from tests.alerting.conftest import PLANTED, T0, Clock, alerts_config, drain, enqueue, pagerduty_target
from tests.alerting.servers import alertmanager

DB = tuple[Path, sqlite3.Connection]
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the example secret of the Standard Webhooks spec


def test_webhook_is_signed_per_standard_webhooks_and_id_is_stable(
    db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    path, conn = db
    secret = tmp_path / "whsec"
    secret.write_text(WHSEC)
    secret.chmod(0o600)
    cfg = alerts_config(
        {"name": "wh", "type": "webhook", "url": httpserver.url_for("/hook"), "secret_ref": f"file:{secret}"}
    )
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    seen: list[tuple[dict[str, str], bytes]] = []

    def receive(request: Request) -> Response:
        seen.append((dict(request.headers), request.get_data()))
        return Response("", 503 if len(seen) == 1 else 204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)
    drain(path, cfg, clock, rounds=3)
    assert len(seen) == 2
    for (headers, body), at in zip(seen, [T0.timestamp(), clock.now.timestamp()], strict=True):
        assert shapes.standard_webhook(headers, body, WHSEC, at) == []
    assert seen[0][0]["Webhook-Id"] == seen[1][0]["Webhook-Id"]  # stable across retries
    assert seen[0][0]["Webhook-Timestamp"] != seen[1][0]["Webhook-Timestamp"]  # signed per attempt
    data = json.loads(seen[1][1])["data"]
    assert data["fingerprint"] == "kcrash-0123456789abcdef" and data["host"] == "web-01"
    assert data["journal_command"].startswith("journalctl MESSAGE_ID=")


def test_webhook_leaves_out_trace_and_host_when_told(
    db: DB, record: Callable[..., CrashRecord], httpserver: HTTPServer, clock: Clock
) -> None:
    path, conn = db
    cfg = alerts_config(
        {
            "name": "wh",
            "type": "webhook",
            "url": httpserver.url_for("/h"),
            "include_trace": False,
            "include_host": False,
        }
    )
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    httpserver.expect_request("/h").respond_with_data("", 200)
    drain(path, cfg, clock, rounds=1)
    body = httpserver.log[0][0].get_data(as_text=True)
    assert "web-01" not in body and "sysrq_handle_crash+0x16" not in body and "/var/crash" not in body


def test_pagerduty_event_matches_the_openapi_spec_and_dedups_by_fingerprint(
    db: DB,
    record: Callable[..., CrashRecord],
    httpserver: HTTPServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, conn = db
    monkeypatch.setenv("PD_KEY", "R0123456789abcdef0123456789abcde")
    cfg = alerts_config(
        pagerduty_target(httpserver.url_for("/v2/enqueue")),
        cooldown_hours=1,
    )
    for i, host in enumerate(["web-01", "web-02"]):  # a day apart, same bug: PagerDuty folds them
        enqueue(conn, record(f"c{i}", host=host), cfg, now=T0.replace(day=26 + i))
    conn.commit()
    problems: list[str] = []

    def receive(request: Request) -> Response:
        doc = request.get_json()
        problems.extend(shapes.pagerduty_event(doc))
        if request.headers.get("Content-Type") != "application/json":
            problems.append("Content-Type must be application/json")
        return Response(
            json.dumps({"status": "success", "message": "Event processed", "dedup_key": doc["dedup_key"]}),
            202,
        )

    httpserver.expect_request("/v2/enqueue", method="POST").respond_with_handler(receive)
    clock.now = T0.replace(day=28)
    drain(path, cfg, clock, rounds=1)
    assert problems == []
    keys = {r.get_json()["dedup_key"] for r, _ in httpserver.log}
    assert keys == {"kcrash-0123456789abcdef"} and len(httpserver.log) == 2
    assert delivery_state(conn, "c0")[0]["remote_id"] == "kcrash-0123456789abcdef"


def test_pagerduty_400_is_permanent_429_retries(
    db: DB,
    record: Callable[..., CrashRecord],
    httpserver: HTTPServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, conn = db
    monkeypatch.setenv("PD_KEY", "short")
    cfg = alerts_config(
        pagerduty_target(httpserver.url_for("/v2/enqueue"))
    )
    enqueue(conn, record("a", fingerprint="kcrash-a"), cfg, now=T0)
    enqueue(conn, record("b", fingerprint="kcrash-b", host="h2"), cfg, now=T0)
    conn.commit()
    httpserver.expect_ordered_request("/v2/enqueue").respond_with_json(
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["Length of 'routing_key' is incorrect"],
        },
        400,
    )
    httpserver.expect_ordered_request("/v2/enqueue").respond_with_json({"status": "throttled"}, 429)
    httpserver.expect_ordered_request("/v2/enqueue").respond_with_json(
        {"status": "success", "dedup_key": "kcrash-b"}, 202
    )
    drain(path, cfg, clock, rounds=3)
    assert delivery_state(conn, "a")[0]["state"] == "dead"
    assert delivery_state(conn, "b")[0]["state"] == "done"


@pytest.fixture(scope="module")
def am_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from alertmanager(tmp_path_factory.mktemp("am"))


@pytest.mark.alertmanager
def test_real_alertmanager_receives_one_alert_group_per_fingerprint_and_reposts(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, am_url: str, httpserver: HTTPServer
) -> None:
    path, conn = db
    # The real AM checks the request; the loopback copy lets the shape check read what was sent.
    problems: list[str] = []

    def copy(request: Request) -> Response:
        problems.extend(shapes.alertmanager_alerts(request.get_json()))
        return Response("", 200)

    httpserver.expect_request("/api/v2/alerts", method="POST").respond_with_handler(copy)
    cfg = alerts_config(
        {
            "name": "am",
            "type": "alertmanager",
            "urls": [am_url, httpserver.url_for("/")],
            "repost_minutes": 30,
        }
    )
    import datetime as dt

    clock.now = dt.datetime.now(dt.UTC)  # AM compares endsAt with its own clock
    now = clock.now
    enqueue(conn, record("c1", host="web-01", at=now), cfg, now=now)
    enqueue(conn, record("c2", host="web-02", at=now, fingerprint="kcrash-fedcba9876543210"), cfg, now=now)
    conn.commit()
    drain(path, cfg, clock, rounds=1)
    alerts = requests.get(
        f"{am_url}/api/v2/alerts", params={"filter": 'alertname="KernelCrash"'}, timeout=5
    ).json()
    assert {(a["labels"]["fingerprint"], a["labels"]["host"]) for a in alerts} == {
        ("kcrash-0123456789abcdef", "web-01"),
        ("kcrash-fedcba9876543210", "web-02"),
    }
    assert all(a["status"]["state"] == "active" for a in alerts)
    assert problems == []
    assert delivery_state(conn, "c1")[0]["state"] == "active"  # re-posted while active
    clock.advance(30 * 60 + 1)
    drain(path, cfg, clock, rounds=1)
    assert len(httpserver.log) == 4  # two alerts, posted twice
    again = requests.get(
        f"{am_url}/api/v2/alerts", params={"filter": 'alertname="KernelCrash"'}, timeout=5
    ).json()
    assert len(again) == 2  # same label sets: no new alerts
    assert PLANTED not in json.dumps(again)
