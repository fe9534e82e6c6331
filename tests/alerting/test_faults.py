"""Faults: a target down for many rounds, a delivering process killed mid-request, and a
planted secret that must not surface anywhere (logs, journal, errors, state, CLI output)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import Deliverer, delivery_state
from kcrashd.sinks.alerting.secrets import SecretError, resolve
from tests.alerting.conftest import PLANTED, T0, Clock, alerts_config, enqueue, pagerduty_target
from tests.alerting.servers import closed_port

DB = tuple[Path, sqlite3.Connection]


def test_target_down_for_many_rounds_then_back_delivers_exactly_once(
    db: DB,
    record: Callable[..., CrashRecord],
    clock: Clock,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, conn = db
    monkeypatch.setenv("PD_KEY", "R" * 32)
    cfg = alerts_config(
        {"name": "wh", "type": "webhook", "url": httpserver.url_for("/h")},
        pagerduty_target(httpserver.url_for("/pd")),
    )
    for i in range(3):
        enqueue(conn, record(f"c{i}", fingerprint=f"kcrash-{i}", host=f"h{i}"), cfg, now=T0)
    conn.commit()
    up = {"value": False}
    accepted: list[tuple[str, str]] = []

    def handler(request: Request) -> Response:
        if not up["value"]:
            return Response("down", 503)
        key = request.headers.get("webhook-id") or request.get_json()["dedup_key"]
        accepted.append((request.path, key))
        return Response("", 202)

    httpserver.expect_request("/h").respond_with_handler(handler)
    httpserver.expect_request("/pd").respond_with_handler(handler)
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        for _ in range(12):  # hours of outage, no sleeping: the clock jumps to each due time
            wait = deliverer.deliver_due()
            assert wait is not None
            clock.advance(wait)
        up["value"] = True
        while (wait := deliverer.deliver_due()) is not None:
            clock.advance(wait)
    finally:
        deliverer.close()
    assert sorted(accepted) == sorted(set(accepted)) and len(accepted) == 6
    assert all(s["state"] == "done" for i in range(3) for s in delivery_state(conn, f"c{i}"))


CHILD = """
import sys
from pathlib import Path
from kcrashd.sinks.alerting import Deliverer
from kcrashd.config.alerting import AlertsConfig
cfg = AlertsConfig.model_validate_json(Path(sys.argv[2]).read_text())
Deliverer(Path(sys.argv[1]), cfg).deliver_due()
"""


def test_killed_mid_delivery_is_resent_after_the_lease_with_the_same_keys(
    db: DB,
    record: Callable[..., CrashRecord],
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, conn = db
    monkeypatch.setenv("PD_KEY", "R" * 32)
    cfg = alerts_config(
        {"name": "wh", "type": "webhook", "url": httpserver.url_for("/h")},
        pagerduty_target(httpserver.url_for("/pd")),
    )
    now = datetime.now(UTC)
    enqueue(conn, record("c1", at=now), cfg, now=now)
    conn.commit()
    arrived, release = threading.Event(), threading.Event()
    keys: list[tuple[str, str]] = []

    def handler(request: Request) -> Response:
        keys.append((request.path, request.headers.get("webhook-id") or request.get_json()["dedup_key"]))
        if len(keys) == 1:
            arrived.set()
            release.wait(10)  # the sender is killed while we hold its request
        return Response("", 202)

    httpserver.expect_request("/h").respond_with_handler(handler)
    httpserver.expect_request("/pd").respond_with_handler(handler)
    (tmp_path / "cfg.json").write_text(cfg.model_dump_json())
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(tmp_path / "cfg.json")],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    try:
        assert arrived.wait(30), "the child never sent"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert conn.execute("SELECT state FROM outbox WHERE target = 'wh'").fetchone() == ("sending",)
    clock = Clock(datetime.now(UTC) + timedelta(seconds=cfg.retry.lease_seconds + 1))
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        while (wait := deliverer.deliver_due()) is not None:
            clock.advance(wait)
    finally:
        deliverer.close()
    states = {s["target"]: s["state"] for s in delivery_state(conn, "c1")}
    assert states == {"wh": "done", "pd": "done"}  # nothing lost
    hooks = [k for p, k in keys if p == "/h"]
    assert len(hooks) == 2 and len(set(hooks)) == 1  # a duplicate, but with the same webhook-id
    assert [k for p, k in keys if p == "/pd"] == ["kcrash-0123456789abcdef"]


def test_secret_files_must_be_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(PLANTED)
    path.chmod(0o644)
    with pytest.raises(SecretError) as info:
        resolve(f"file:{path}")
    assert PLANTED not in str(info.value) and "0644" in str(info.value)
    path.chmod(0o600)
    assert resolve(f"file:{path}") == PLANTED


def test_config_refuses_literal_secrets() -> None:
    with pytest.raises(ValueError, match="secret reference"):
        alerts_config({"name": "pd", "type": "pagerduty", "routing_key_ref": PLANTED})


def test_planted_token_never_leaks(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str,
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path, conn = db
    caplog.set_level(logging.DEBUG)
    slack_url = tmp_path / "slack-url"
    slack_url.write_text(f"http://127.0.0.1:{closed_port()}/services/T0/B0/{PLANTED}?sig={PLANTED}")
    slack_url.chmod(0o600)

    def echo(request: Request) -> Response:  # a server that echoes credentials in its error
        return Response(
            f"bad token {request.headers.get('Authorization')} {request.get_data(as_text=True)}", 500
        )

    httpserver.expect_request("/echo").respond_with_handler(echo)
    httpserver.expect_request("/v2/enqueue").respond_with_data("no", 401)
    cfg = alerts_config(
        {"name": "slack", "type": "slack", "url_ref": f"file:{slack_url}"},
        {"name": "pd", "type": "pagerduty", "routing_key_ref": "credential:token", "url": httpserver.url_for("/v2/enqueue")},
        {"name": "gh", "type": "github", "api_url": httpserver.url_for("/echo").rsplit("/", 1)[0] + "/echo",
         "repository": "o/r", "token_ref": "env:KC_TOKEN", "min_write_interval": 0},
        {"name": "wh", "type": "webhook", "url_ref": f"file:{slack_url}"},
    )  # fmt: skip
    journal: list[str] = []
    enqueue(conn, record(), cfg, now=T0)
    conn.commit()
    deliverer = Deliverer(
        path, cfg, clock=clock, journal=lambda m, p=2, **f: journal.append(json.dumps([m, f]))
    )
    try:
        for _ in range(4):
            wait = deliverer.deliver_due()
            if wait is None:
                break
            clock.advance(wait)
    finally:
        deliverer.close()
    conn.commit()
    outputs: list[Any] = [
        caplog.text,
        [r.getMessage() for r in caplog.records],
        journal,
        json.dumps(delivery_state(conn, "c1")),
        capsys.readouterr(),
    ]
    for item in outputs:
        assert PLANTED not in str(item)
    for file in tmp_path.parent.glob(f"{tmp_path.name}/state.db*"):
        assert PLANTED.encode() not in file.read_bytes()
    errors = " ".join(str(s["last_error"]) for s in delivery_state(conn, "c1"))
    assert "cannot connect" in errors and "HTTP 500" in errors and "HTTP 401" in errors
