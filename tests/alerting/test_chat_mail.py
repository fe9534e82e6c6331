"""Slack, Teams and Opsgenie against shape-checking loopback servers; SMTP against aiosmtpd."""

from __future__ import annotations

import email
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import delivery_state
from tests.alerting import shapes
from tests.alerting.conftest import T0, Clock, alerts_config, drain, enqueue
from tests.alerting.servers import free_port

DB = tuple[Path, sqlite3.Connection]
EVIL = "BUG: <!channel> @here <script>x</script> {{DATE(2026)}} ``` in evil_fn\r\nBcc: victim@example.com"


def url_file(tmp_path: Path, name: str, url: str) -> str:
    path = tmp_path / name
    path.write_text(url)
    path.chmod(0o600)
    return f"file:{path}"


def test_slack_blocks_escape_mentions_and_fall_back_to_text(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, tmp_path: Path
) -> None:
    path, conn = db
    problems: list[str] = []
    calls: list[dict[str, Any]] = []

    def hook(request: Request) -> Response:
        doc = request.get_json()
        calls.append(doc)
        problems.extend(shapes.slack_message(doc))
        if len(calls) == 1:
            return Response("invalid_blocks", 400)  # Slack: retry once as text only
        return Response("ok", 200)

    httpserver.expect_request("/services/T0/B0/XXXX", method="POST").respond_with_handler(hook)
    cfg = alerts_config(
        {
            "name": "slack",
            "type": "slack",
            "url_ref": url_file(tmp_path, "slack", httpserver.url_for("/services/T0/B0/XXXX")),
        }
    )
    enqueue(conn, record(title=EVIL), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    assert problems == []
    assert "blocks" in calls[0] and "blocks" not in calls[1]
    text = json.dumps(calls)
    assert "@here" not in text and "<script>" not in text and "&lt;!channel&gt;" in text
    assert delivery_state(conn, "c1")[0]["state"] == "done"


@pytest.mark.parametrize("status", [403, 404, 410])
def test_slack_revoked_webhook_is_a_permanent_error(
    status: int,
    db: DB,
    record: Callable[..., CrashRecord],
    clock: Clock,
    httpserver: HTTPServer,
    tmp_path: Path,
) -> None:
    path, conn = db
    httpserver.expect_request("/services/T/B/Z").respond_with_data("channel_is_archived", status)
    cfg = alerts_config(
        {
            "name": "slack",
            "type": "slack",
            "url_ref": url_file(tmp_path, "slack", httpserver.url_for("/services/T/B/Z")),
        }
    )
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    state = delivery_state(conn, "c1")[0]
    assert state["state"] == "dead" and "/services/T/B/Z" not in json.dumps(state)


def test_teams_adaptive_card(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, tmp_path: Path
) -> None:
    path, conn = db
    problems: list[str] = []

    def flow(request: Request) -> Response:
        problems.extend(shapes.teams_message(request.get_json()))
        return Response("", 202)

    httpserver.expect_request("/workflows/abc/triggers/manual/paths/invoke").respond_with_handler(flow)
    url = httpserver.url_for("/workflows/abc/triggers/manual/paths/invoke") + "?api-version=1&sig=SIGSECRET"
    cfg = alerts_config({"name": "teams", "type": "teams", "url_ref": url_file(tmp_path, "teams", url)})
    enqueue(conn, record(title=EVIL), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    assert problems == []
    body = httpserver.log[0][0].get_data(as_text=True)
    assert "{{DATE" not in body


def test_opsgenie_alias_is_the_fingerprint(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str
) -> None:
    path, conn = db
    problems: list[str] = []

    def alerts(request: Request) -> Response:
        problems.extend(shapes.opsgenie_alert(dict(request.headers), request.get_json()))
        return Response(
            json.dumps({"result": "Request will be processed", "took": 0.1, "requestId": "r-1"}), 202
        )

    httpserver.expect_request("/v2/alerts", method="POST").respond_with_handler(alerts)
    cfg = alerts_config(
        {
            "name": "og",
            "type": "opsgenie",
            "api_key_ref": "env:KC_TOKEN",
            "base_url": httpserver.url_for("/").rstrip("/"),
        }
    )
    enqueue(conn, record(title=EVIL * 5), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    assert problems == []
    assert httpserver.log[0][0].get_json()["alias"] == "kcrash-0123456789abcdef"
    assert delivery_state(conn, "c1")[0]["remote_url"] == "requestId:r-1"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.fail_next: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_next is not None:
            code, self.fail_next = self.fail_next, None
            return f"{code} try later" if code < 500 else f"{code} rejected"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()  # aiosmtpd cannot use port 0 (alerting.md 2.10)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
        assert not [t for t in threading.enumerate() if "aiosmtpd" in t.name.lower() and t.is_alive()]


def test_smtp_threads_per_fingerprint_and_blocks_header_injection(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, smtp: tuple[Inbox, int]
) -> None:
    path, conn = db
    inbox, port = smtp
    cfg = alerts_config(
        {"name": "mail", "type": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
         "sender": "kcrashd@example.com", "recipients": ["oncall@example.com"]},
        cooldown_hours=0,
    )  # fmt: skip
    inbox.fail_next = 451
    enqueue(conn, record("c1", title=EVIL), cfg, now=T0)
    enqueue(conn, record("c2", host="web-02"), cfg, now=T0.replace(minute=1))
    conn.commit()
    drain(path, cfg, clock)
    assert len(inbox.messages) == 2
    first, second = inbox.messages
    for msg in inbox.messages:
        assert shapes.smtp_message(msg) == []
        assert msg["Bcc"] is None
    assert second["In-Reply-To"] == first["Message-ID"] == second["References"]
    assert "&lt;script&gt;" in first.get_payload()[1].get_payload(decode=True).decode()
    assert delivery_state(conn, "c1")[0]["attempts"] == 2  # 451 retried


def test_smtp_5xx_is_permanent(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, smtp: tuple[Inbox, int]
) -> None:
    path, conn = db
    inbox, port = smtp
    cfg = alerts_config({"name": "mail", "type": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
                         "sender": "k@example.com", "recipients": ["o@example.com"]})  # fmt: skip
    inbox.fail_next = 554
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    state = delivery_state(conn, "c1")[0]
    assert state["state"] == "dead" and state["last_status"] == 554
