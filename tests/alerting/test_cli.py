"""`kcrashd notify-test` and `kcrashd resend`, run through the real CLI entry point."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from kcrashd.cli import main
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import ensure_schema
from tests.alerting.conftest import PLANTED, T0, alerts_config, enqueue


def write_config(tmp_path: Path, targets: str) -> Path:
    path = tmp_path / "kcrashd.toml"
    path.write_text(f'[state]\nstate_dir = "{tmp_path}"\n\n{targets}')
    return path


def test_notify_test_sends_a_marked_alert(
    tmp_path: Path, httpserver: HTTPServer, secret_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("", 204)
    cfg = write_config(
        tmp_path,
        f'[[alerts.targets]]\nname = "wh"\ntype = "webhook"\nurl = "{httpserver.url_for("/hook")}"\n',
    )
    assert main(["notify-test", "wh", "--config", str(cfg), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["delivered"] is True
    body = httpserver.log[0][0].get_json()
    assert body["type"] == "kcrashd.crash.test" and body["data"]["test"] is True
    assert "not a real crash" in body["data"]["title"]


def test_notify_test_failure_is_redacted_and_exit_1(
    tmp_path: Path, secret_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "url"
    secret.write_text(f"http://127.0.0.1:9/services/{PLANTED}")
    secret.chmod(0o600)
    cfg = write_config(
        tmp_path, f'[[alerts.targets]]\nname = "s"\ntype = "slack"\nurl_ref = "file:{secret}"\n'
    )
    assert main(["notify-test", "s", "--config", str(cfg)]) == 1
    captured = capsys.readouterr()
    assert "NOT delivered" in captured.out and PLANTED not in captured.out + captured.err


def test_notify_test_unknown_target_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, "")
    assert main(["notify-test", "nope", "--config", str(cfg)]) == 3
    assert "no alert target named 'nope'" in capsys.readouterr().err


def test_resend_requeues_and_unknown_id_exit_3(
    tmp_path: Path, record: Callable[..., CrashRecord], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg_path = write_config(
        tmp_path, '[[alerts.targets]]\nname = "wh"\ntype = "webhook"\nurl = "http://127.0.0.1:9/h"\n'
    )
    conn = sqlite3.connect(tmp_path / "state.db")
    ensure_schema(conn)
    enqueue(
        conn,
        record("c1"),
        alerts_config({"name": "wh", "type": "webhook", "url": "http://127.0.0.1:9/h"}),
        now=T0,
    )
    conn.execute("UPDATE outbox SET state = 'dead', attempts = 9")
    conn.commit()
    assert main(["resend", "c1", "--config", str(cfg_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["requeued"] == 1 and out["deliveries"][0]["state"] == "pending"
    assert out["daemon_woken"] is False
    assert main(["resend", "c1", "--config", str(cfg_path)]) == 0
    assert "no daemon is running: they are sent when it starts" in capsys.readouterr().out
    assert main(["resend", "zzz", "--config", str(cfg_path)]) == 3
    conn.close()
