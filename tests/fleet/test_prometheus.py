"""Three daemons scraped by a real Prometheus evaluating the shipped rules into a real
Alertmanager routed as contrib/prometheus/alertmanager-route.yml says, with a real webhook
receiver (pytest-httpserver). Scrape and evaluation every second keep it to about 30 s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.fixtures.journald import Journald
from tests.fleet.conftest import Host
from tests.fleet.engines import Receiver, alertmanager, prometheus

pytestmark = [pytest.mark.journal, pytest.mark.alertmanager]


def values(result: list[dict[str, Any]], label: str) -> dict[str, float]:
    return {item["metric"].get(label, ""): float(item["value"][1]) for item in result}


def test_fleet_metrics_rules_and_down_target(
    journald: Journald, fleet: Callable[..., Host], tmp_path: Path, httpserver: HTTPServer
) -> None:
    receiver = Receiver(httpserver)
    hosts = [fleet(name) for name in ("alpha", "bravo", "charlie")]
    alpha, bravo, charlie = hosts
    instances = {h.name: f"127.0.0.1:{h.port}" for h in hosts}
    with (
        alertmanager(tmp_path / "am", receiver.url) as am_url,
        prometheus(tmp_path / "prom", list(instances.values()), am_url) as prom,
    ):
        up = prom.wait('up{job="kcrashd"} == 1', lambda r: len(r) == 3)
        assert len(up) == 3
        # crashes on 2 of 3 hosts: alpha loops on one bug (3 crashes), bravo hits it once and another once
        for _ in range(3):
            alpha.crash("seed/rhel8-sysrq")
        bravo.crash("seed/rhel8-sysrq")
        bravo.crash("edge/oom-panic")
        alpha.wait_crashes(3)
        bravo.wait_crashes(2)
        counts = values(
            prom.wait("sum by (fingerprint) (kcrashd_fingerprint_crashes_total)", has_total(5)), "fingerprint"
        )
        assert sorted(counts.values()) == [1, 4]
        loop_bug = next(fp for fp, n in counts.items() if n == 4)
        host_count = values(
            prom.query("count by (fingerprint) (kcrashd_fingerprint_crashes_total)"), "fingerprint"
        )
        assert host_count == {loop_bug: 2, next(fp for fp in counts if fp != loop_bug): 1}
        by_kind = prom.query("sum by (instance) (kcrashd_crashes_total)")
        assert values(by_kind, "instance") == {instances["alpha"]: 3, instances["bravo"]: 2}

        seen = receiver.wait_for(("KcrashdHostCrashLoop", instances["alpha"]))
        assert ("KcrashdHostCrashLoop", instances["alpha"]) in seen
        assert ("KcrashdHostCrashLoop", instances["bravo"]) not in seen
        assert not [a for a in seen if a[0] == "KcrashdBugSpreading"]  # 2 hosts are not 3

        charlie.crash("seed/rhel8-sysrq")  # the third host: the bug is spreading
        seen = receiver.wait_for(("KcrashdBugSpreading", loop_bug))
        assert ("KcrashdBugSpreading", loop_bug) in seen
        spread = [
            n for n in receiver.notifications if n["groupLabels"].get("alertname") == "KcrashdBugSpreading"
        ]
        assert len(spread) == 1 and spread[0]["groupLabels"] == {
            "alertname": "KcrashdBugSpreading",
            "fingerprint": loop_bug,
        }

        bravo.stop()  # a daemon that stops answering
        seen = receiver.wait_for(("KcrashdDown", instances["bravo"]))
        assert ("KcrashdDown", instances["bravo"]) in seen
        assert {a for a in seen if a[0] == "KcrashdDown"} == {("KcrashdDown", instances["bravo"])}


def has_total(total: float) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda result: sum(float(item["value"][1]) for item in result) >= total
