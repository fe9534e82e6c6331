"""`[metrics] listen`: the daemon serves Prometheus metrics read from its state database."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from kcrashd import __version__
from kcrashd.config.settings import Config, ConfigError, load_config
from tests.alerting.servers import closed_port, free_port
from tests.fixtures.journald import Journald
from tests.fleet.conftest import Host, samples

if TYPE_CHECKING:
    from kcrashd.daemon.metrics import MetricsServer

PROMTOOL = shutil.which("promtool")


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


@pytest.mark.journal
def test_scrape_counts_crashes_by_kind_fingerprint_and_target(
    journald: Journald, fleet: Callable[..., Host]
) -> None:
    hook = f'[[alerts.targets]]\nname = "hook"\ntype = "webhook"\nurl = "http://127.0.0.1:{closed_port()}/"\n'
    host = fleet("web1", hook)
    before = samples(host.scrape())
    assert before[("kcrashd_last_crash_timestamp_seconds", labels())] == 0
    assert before[("kcrashd_outbox_pending", labels(target="hook"))] == 0
    first = host.crash("seed/rhel8-sysrq")
    host.crash("edge/oom-panic")
    last = host.crash("seed/rhel8-sysrq")
    found = host.wait_crashes(3)
    crashes = {dict(key[1])["kind"]: v for key, v in found.items() if key[0] == "kcrashd_crashes_total"}
    assert sum(crashes.values()) == 3 and len(crashes) == 2
    per_fp = {
        dict(k[1])["fingerprint"]: (dict(k[1]), v)
        for k, v in found.items()
        if k[0] == "kcrashd_fingerprint_crashes_total"
    }
    assert sorted(v for _, v in per_fp.values()) == [1, 2]
    twice = next(fp for fp, (_, v) in per_fp.items() if v == 2)
    assert per_fp[twice][0]["function"] == "sysrq_handle_crash"
    seen = found[("kcrashd_fingerprint_last_seen_timestamp_seconds", labels(fingerprint=twice))]
    assert seen == last.timestamp() and seen > first.timestamp()
    assert found[("kcrashd_last_crash_timestamp_seconds", labels())] == last.timestamp()
    assert found[("kcrashd_build_info", labels(version=__version__))] == 1
    assert found[("kcrashd_deliveries_dead_total", labels(target="hook"))] == 0
    deadline = time.monotonic() + 20  # the refused webhook keeps its deliveries pending
    while found[("kcrashd_outbox_pending", labels(target="hook"))] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        found = samples(host.scrape())
    assert found[("kcrashd_outbox_pending", labels(target="hook"))] >= 2


@pytest.mark.journal
@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")
def test_exposition_passes_promtool_check_metrics(journald: Journald, fleet: Callable[..., Host]) -> None:
    host = fleet("web2")
    host.crash("edge/warn-kobject")
    host.wait_crashes(1)
    text = host.scrape()
    assert "kcrashd_fingerprint_crashes_total{" in text
    result = subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


DAEMON_PROBE = """
import sys
from pathlib import Path
from kcrashd.daemon.service import Daemon
daemon = Daemon(Path(sys.argv[1]), {})
daemon.open()
loaded = "prometheus_client" in sys.modules
serving = daemon.metrics is not None
daemon.close()
print(loaded, serving)
"""


@pytest.mark.parametrize("listen", ["", "127.0.0.1:{port}"])
def test_prometheus_client_is_loaded_only_when_metrics_are_on(tmp_path: Path, listen: str) -> None:
    config = tmp_path / "kcrashd.toml"
    config.write_text(
        f'[metrics]\nlisten = "{listen.format(port=free_port())}"\n[state]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[sources]\ndump_paths = ["{tmp_path}"]\npstore = false\n'
    )
    result = subprocess.run(
        [sys.executable, "-c", DAEMON_PROBE, str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    expected = "True True" if listen else "False False"
    assert result.stdout.strip() == expected, result.stderr


def serve(tmp_path: Path, listen: str) -> MetricsServer:
    from kcrashd.daemon.metrics import start_metrics

    config = Config.model_validate({"metrics": {"listen": listen}, "state": {"state_dir": str(tmp_path)}})
    return start_metrics(config)


def voluntary_switches(native_id: int) -> int:
    status = Path(f"/proc/self/task/{native_id}/status").read_text()
    return int(
        next(line for line in status.splitlines() if line.startswith("voluntary_ctxt_switches")).split()[1]
    )


def test_metrics_thread_sleeps_until_a_scrape_and_stops(tmp_path: Path) -> None:
    """0 wake-ups when idle: the serving thread blocks in accept() until a scrape comes."""
    port = free_port()
    server = serve(tmp_path, f"127.0.0.1:{port}")
    thread = next(t for t in threading.enumerate() if t.name == "kcrashd-metrics")
    assert thread.native_id is not None
    requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).raise_for_status()  # no database yet: zeros
    time.sleep(0.2)
    idle = voluntary_switches(thread.native_id)
    time.sleep(1.5)
    assert voluntary_switches(thread.native_id) == idle
    assert requests.get(f"http://127.0.0.1:{port}/other", timeout=5).status_code == 404
    # The reply reaches the client before the thread blocks in accept() again (the switch counted): wait for it.
    deadline = time.monotonic() + 5
    while voluntary_switches(thread.native_id) == idle and time.monotonic() < deadline:
        time.sleep(0.01)
    assert voluntary_switches(thread.native_id) > idle
    server.stop()
    assert not thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here")
def test_bracketed_ipv6_wildcard_serves_both_families(tmp_path: Path) -> None:
    port = free_port()
    server = serve(tmp_path, f"[::]:{port}")
    try:
        for host in ("127.0.0.1", "[::1]"):
            text = requests.get(f"http://{host}:{port}/metrics", timeout=5).text
            assert "kcrashd_build_info{" in text
    finally:
        server.stop()


@pytest.mark.parametrize("listen", ["9866", "::1:9866", "127.0.0.1:", "127.0.0.1:99999", ":9866", "[::1]"])
def test_bad_listen_addresses_are_refused_with_the_file_and_line(tmp_path: Path, listen: str) -> None:
    path = tmp_path / "kcrashd.toml"
    path.write_text(f'[metrics]\nlisten = "{listen}"\n')
    with pytest.raises(ConfigError, match=r"kcrashd.toml:2: metrics.listen: .*HOST:PORT|in brackets"):
        load_config(path)


def test_label_values_from_a_log_are_escaped(tmp_path: Path) -> None:
    """A function name from a crash log may hold quotes, backslashes and newlines: the exposition
    escapes them (promtool accepts it) and a parser reads back the same value."""
    from datetime import UTC, datetime

    from prometheus_client import CollectorRegistry, generate_latest

    from kcrashd.core.model import Report, Severity
    from kcrashd.daemon.metrics import StateCollector
    from kcrashd.model.crash import CrashRecord
    from kcrashd.store.database import Store

    odd = 'f"un\\c\nx'
    at = datetime.now(UTC)
    report = Report(
        title="t", kind="oops", severity=Severity.CRITICAL, fingerprint="kc2-odd", function=odd, excerpt=["t"]
    )
    record = CrashRecord(crash_id="0" * 32, report=report, host="h", dump_dir="/d", layout="rhel-kdump",
                         crash_time=at, detected_at=at, first_seen=at)  # fmt: skip
    store = Store(tmp_path)
    store.record(lambda _stats: record, dev=1, ino=1, log_mtime_ns=None, log_size=None, vmcore_state="absent")
    store.close()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(tmp_path, 365, []))
    text = generate_latest(registry).decode()
    found = samples(text)
    key = ("kcrashd_fingerprint_crashes_total", labels(fingerprint="kc2-odd", kind="oops", function=odd))
    assert found[key] == 1
    if PROMTOOL is not None:
        result = subprocess.run(
            [PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.journal
def test_reload_moves_the_port(journald: Journald, fleet: Callable[..., Host]) -> None:
    import signal

    host = fleet("web3")
    old = host.url
    host.port = free_port()
    host.write_config()
    assert host.proc is not None
    host.proc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(host.url, timeout=2).raise_for_status()
            break
        except requests.RequestException:
            time.sleep(0.1)
    assert "kcrashd_build_info" in host.scrape()
    with pytest.raises(requests.ConnectionError):
        requests.get(old, timeout=2)


PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


@pytest.mark.journal
def test_prometheus_gets_openmetrics_with_the_same_samples_as_the_classic_format(
    journald: Journald, fleet: Callable[..., Host]
) -> None:
    """Prometheus asks for OpenMetrics (the encoder the daemon loads); a scraper that does not
    gets the classic text format; both carry the same samples."""
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as read_openmetrics

    host = fleet("web4")
    host.crash("seed/rhel8-sysrq")
    classic = host.wait_crashes(1)
    answer = requests.get(host.url, headers={"Accept": PROMETHEUS_ACCEPT}, timeout=10)
    assert answer.headers["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8"
    openmetrics = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in read_openmetrics(answer.text)
        for sample in family.samples
    }
    assert openmetrics == classic
    assert requests.get(host.url, timeout=10).headers["Content-Type"].startswith("text/plain")
    assert requests.post(host.url, timeout=10).status_code == 405
