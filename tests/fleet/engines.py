"""The engines a fleet already runs, started for real on 127.0.0.1: Prometheus and Alertmanager
(Debian packages prometheus, prometheus-alertmanager)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.alerting.servers import free_port, stop, wait_ready

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "contrib" / "prometheus" / "kcrashd.rules.yml"
ROUTE = REPO / "contrib" / "prometheus" / "alertmanager-route.yml"


def binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"{names[0]} not installed (tests/fleet/apt-packages.txt)")


@contextmanager
def process(argv: list[str], log: Path, ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as stream:
        proc = subprocess.Popen(argv, stdout=stream, stderr=subprocess.STDOUT)
        try:
            wait_ready(ready_url, 30, proc)
            yield proc
        finally:
            stop(proc)


def alertmanager_config(receiver_url: str, group_wait: str = "1s", group_interval: str = "5s") -> str:
    """The shipped route example, with the receiver and the timers of a test."""
    route = ROUTE.read_text()
    route = route.replace("http://pager.example.net/kcrashd", receiver_url)
    route = route.replace("group_wait: 30s", f"group_wait: {group_wait}")
    return route.replace("group_interval: 5m", f"group_interval: {group_interval}")


@contextmanager
def alertmanager(
    work: Path, receiver_url: str, peers: tuple[str, ...] = (), gossip: str = "", **timers: str
) -> Iterator[str]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "am.yml").write_text(alertmanager_config(receiver_url, **timers))
    port = free_port()
    argv = [
        binary("prometheus-alertmanager", "alertmanager"),
        f"--config.file={work / 'am.yml'}",
        f"--storage.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--cluster.listen-address={gossip}",
    ]
    argv += [f"--cluster.peer={peer}" for peer in peers]
    if gossip:
        argv += [
            "--cluster.pushpull-interval=2s",
            "--cluster.gossip-interval=50ms",
            "--cluster.settle-timeout=2s",
            "--cluster.peer-timeout=2s",  # how long the second replica waits for the first one's notification
        ]
    with process(argv, work / "am.log", f"http://127.0.0.1:{port}/-/ready"):
        yield f"http://127.0.0.1:{port}"


def prometheus_config(targets: list[str], alertmanager_url: str, rules: Path) -> str:
    am = alertmanager_url.removeprefix("http://")
    listed = ", ".join(f"'{t}'" for t in targets)
    return (
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        f"rule_files: ['{rules}']\n"
        f"alerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['{am}']}}]\n"
        f"scrape_configs:\n  - job_name: kcrashd\n    static_configs: [{{targets: [{listed}]}}]\n"
    )


def fast_rules(work: Path) -> Path:
    """The shipped rules with `for: 5m` (target down) cut to 2 s: the expressions are the shipped
    ones; promtool's unit tests (kcrashd.rules.test.yml) cover the real durations."""
    text = RULES.read_text()
    assert "for: 5m" in text
    path = work / "kcrashd.rules.yml"
    path.write_text(text.replace("for: 5m", "for: 2s"))
    return path


class Prometheus:
    """A running Prometheus and its HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, promql: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def wait(
        self, promql: str, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 40.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        result = self.query(promql)
        while not done(result) and time.monotonic() < deadline:
            time.sleep(0.25)
            result = self.query(promql)
        return result


@contextmanager
def prometheus(work: Path, targets: list[str], alertmanager_url: str) -> Iterator[Prometheus]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "prometheus.yml").write_text(prometheus_config(targets, alertmanager_url, fast_rules(work)))
    port = free_port()
    argv = [
        binary("prometheus"),
        f"--config.file={work / 'prometheus.yml'}",
        f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with process(argv, work / "prometheus.log", f"http://127.0.0.1:{port}/-/ready"):
        yield Prometheus(f"http://127.0.0.1:{port}")


class Receiver:
    """What the Alertmanager webhook posted: one entry per notification."""

    def __init__(self, server: HTTPServer) -> None:
        self.notifications: list[dict[str, Any]] = []
        server.expect_request("/hook", method="POST").respond_with_handler(self.record)
        self.url = server.url_for("/hook")

    def record(self, request: Request) -> Response:
        self.notifications.append(json.loads(request.get_data()))
        return Response("", 200)

    def alerts(self) -> set[tuple[str, str]]:
        """(alertname, fingerprint or instance) of every firing alert notified."""
        return {
            (a["labels"]["alertname"], a["labels"].get("fingerprint") or a["labels"].get("instance", ""))
            for note in self.notifications
            for a in note["alerts"]
            if a["status"] == "firing"
        }

    def wait_for(self, alert: tuple[str, str], timeout: float = 40.0) -> set[tuple[str, str]]:
        deadline = time.monotonic() + timeout
        while alert not in self.alerts() and time.monotonic() < deadline:
            time.sleep(0.25)
        return self.alerts()
