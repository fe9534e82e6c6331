"""Paging dedup across hosts through Alertmanager's own cluster: 50 hosts crash on the same bug,
each daemon posts its alert with the real alertmanager target code to both replicas of a
two-Alertmanager gossip cluster routed as contrib/prometheus/alertmanager-route.yml says; the
receiver gets one notification, with all 50 hosts in it (group_wait is long enough here for
50 deliveries one after the other)."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer

from kcrashd.sinks.alerting import ensure_schema
from tests.alerting.conftest import Clock, alerts_config, drain, enqueue, make_record
from tests.alerting.servers import free_port
from tests.fleet.engines import Receiver, alertmanager

pytestmark = pytest.mark.alertmanager

HOSTS = 50
BUG = "kc2-00c0ffee00c0ffee"


def wait_cluster(url: str, members: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster = requests.get(f"{url}/api/v2/status", timeout=5).json()["cluster"]
        if cluster.get("status") == "ready" and len(cluster.get("peers", [])) == members:
            return
        time.sleep(0.2)
    raise AssertionError(f"{url}: cluster not formed: {cluster}")


def post_from_hosts(tmp_path: Path, urls: list[str]) -> None:
    """Each host: its own state database, one crash of the bug, one delivery round to both replicas."""
    config = alerts_config({"name": "am", "type": "alertmanager", "urls": urls})
    now = datetime.now(UTC)  # Alertmanager compares startsAt/endsAt with its own clock
    for number in range(HOSTS):
        path = tmp_path / f"node-{number:02d}.db"
        conn = sqlite3.connect(path)
        ensure_schema(conn)
        enqueue(
            conn,
            make_record(f"c{number}", host=f"node-{number:02d}", fingerprint=BUG, at=now),
            config,
            now=now,
        )
        conn.commit()
        conn.close()
        drain(path, config, Clock(now), rounds=1)


def test_fifty_hosts_one_bug_two_replicas_one_notification(tmp_path: Path, httpserver: HTTPServer) -> None:
    receiver = Receiver(httpserver)
    gossip = [free_port(), free_port()]
    with (
        alertmanager(tmp_path / "am1", receiver.url, peers=(f"127.0.0.1:{gossip[1]}",),
                     gossip=f"127.0.0.1:{gossip[0]}", group_wait="15s", group_interval="1m") as first,
        alertmanager(tmp_path / "am2", receiver.url, peers=(f"127.0.0.1:{gossip[0]}",),
                     gossip=f"127.0.0.1:{gossip[1]}", group_wait="15s", group_interval="1m") as second,
    ):  # fmt: skip
        wait_cluster(first, 2)
        wait_cluster(second, 2)
        started = time.monotonic()
        post_from_hosts(tmp_path, [first, second])
        assert time.monotonic() - started < 15, "posting took longer than group_wait"
        for url in (first, second):
            alerts = requests.get(f"{url}/api/v2/alerts", timeout=5).json()
            assert (
                len({a["labels"]["host"] for a in alerts if a["labels"].get("fingerprint") == BUG}) == HOSTS
            )
        deadline = time.monotonic() + 30
        while not receiver.notifications and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(5)  # the second replica waits 2 s (peer timeout) for the first one's notification
        about_bug = [n for n in receiver.notifications if n["groupLabels"].get("fingerprint") == BUG]
        assert len(about_bug) == 1, [n["groupLabels"] for n in receiver.notifications]
        assert len(about_bug[0]["alerts"]) == HOSTS
