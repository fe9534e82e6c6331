"""Idle memory: what an idle `kcrashd run` (no alert target, metrics off) must not have loaded.

Every module is resident for the daemon's lifetime (code objects, shared libraries), so one that an
idle daemon never needs costs RSS in every unit (budget: 40 MiB for the whole unit). The numbers are
measured by bench/daemon.py; this test only names what must stay out, so a regression shows in CI."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import requests

from tests.alerting.servers import free_port
from tests.daemon.conftest import NotifySocket

LAUNCHER = Path(__file__).with_name("modules_launcher.py")

# Module -> why an idle daemon does without it.
NOT_WHILE_IDLE = {
    "_hashlib": "OpenSSL's libcrypto (~3.5 MiB RSS): the resident daemon hashes with the built-in SHA-2",
    "ssl": "TLS: only an alert target over HTTPS needs it, when a delivery is due",
    "_ssl": "TLS, as above",
    "http.client": "the HTTP stack: only alert deliveries and metrics",
    "urllib.request": "no HTTP client while idle",
    "requests": "alert deliveries only",
    "urllib3": "alert deliveries only",
    "smtplib": "the smtp target only",
    "prometheus_client": "`[metrics] listen` only",
    "wsgiref": "never (prometheus-client's own server is not used)",
    "kcrashd.daemon.metrics": "`[metrics] listen` only",
    "kcrashd.sinks.alerting.delivery": "an alert target only",
    "kcrashd.sinks.alerting.lanes": "an alert target only",
    "kcrashd.core.frames": "analysis runs in the triage workers; the daemon needs it for a new bug's similarity hint",
    "kcrashd.core.triage": "log analysis runs in the triage workers",
    "kcrashd.sources.flatten": "makedumpfile's flattened format: only when such a vmcore is read",
}


# Module -> why a daemon serving metrics to Prometheus does without it.
NOT_FOR_METRICS = {
    "_ssl": "TLS: prometheus-client's package __init__ (its exposition module) would bring OpenSSL",
    "ssl": "TLS, as above",
    "_hashlib": "OpenSSL's libcrypto",
    "http.client": "imported by http.server, and it imports ssl",
    "http.server": "the endpoint is a few lines over socketserver",
    "urllib.request": "prometheus-client's push gateway client only",
    "wsgiref": "prometheus-client's own WSGI server is not used",
    "gzip": "scrapes are not compressed",
    "prometheus_client.exposition": "the classic text format: only for a scraper without OpenMetrics",
}
# What Prometheus 2.42 (Debian 12) sends.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def loaded_modules(daemon, out: Path) -> set[str]:  # type: ignore[no-untyped-def]
    """The modules of the running daemon (modules_launcher.py writes them on SIGUSR1)."""
    os.kill(daemon.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 20
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    loaded = set(json.loads(out.read_text()))
    assert "kcrashd.daemon.service" in loaded  # the probe saw the running daemon
    return loaded


def test_idle_daemon_without_target_or_metrics_leaves_heavy_modules_unloaded(
    tmp_path: Path, start_daemon, notify_socket: NotifySocket  # type: ignore[no-untyped-def]
) -> None:
    (tmp_path / "crash").mkdir()
    out = tmp_path / "modules.json"
    args = ["--dump-path", str(tmp_path / "crash"), "--state-dir", str(tmp_path / "state"),
            "--pstore-path", str(tmp_path / "pstore")]  # fmt: skip
    daemon = start_daemon(*args, command=[sys.executable, str(LAUNCHER), str(out)],
                          env={"NOTIFY_SOCKET": str(notify_socket.path)})  # fmt: skip
    assert notify_socket.wait_for("READY=1"), daemon.output()
    loaded = loaded_modules(daemon, out)
    unwanted = {name: why for name, why in NOT_WHILE_IDLE.items() if name in loaded}
    assert not unwanted, unwanted


def test_daemon_scraped_by_prometheus_or_curl_leaves_tls_and_the_http_stack_unloaded(
    tmp_path: Path, start_daemon, notify_socket: NotifySocket  # type: ignore[no-untyped-def]
) -> None:
    """Metrics on and scraped as Prometheus scrapes (OpenMetrics by prometheus-client's registry and
    OpenMetrics exposition, without its package __init__: OpenSSL, ~3.5 MiB) and as curl or
    promtool scrape (the classic text format, kcrashd.daemon.text_format)."""
    (tmp_path / "crash").mkdir()
    port = free_port()
    config = tmp_path / "kcrashd.toml"
    config.write_text(f'[metrics]\nlisten = "127.0.0.1:{port}"\n')
    out = tmp_path / "modules.json"
    args = ["--config", str(config), "--dump-path", str(tmp_path / "crash"), "--state-dir",
            str(tmp_path / "state"), "--pstore-path", str(tmp_path / "pstore")]  # fmt: skip
    daemon = start_daemon(*args, command=[sys.executable, str(LAUNCHER), str(out)],
                          env={"NOTIFY_SOCKET": str(notify_socket.path)})  # fmt: skip
    assert notify_socket.wait_for("READY=1"), daemon.output()
    answer = requests.get(f"http://127.0.0.1:{port}/metrics", headers={"Accept": PROMETHEUS_ACCEPT}, timeout=10)
    assert answer.headers["Content-Type"].startswith("application/openmetrics-text")
    assert "kcrashd_build_info{" in answer.text and answer.text.endswith("# EOF\n")
    plain = requests.get(f"http://127.0.0.1:{port}/metrics", headers={"Accept": "*/*"}, timeout=10)  # curl, promtool
    assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE kcrashd_build_info gauge" in plain.text
    loaded = loaded_modules(daemon, out)
    assert "prometheus_client.registry" in loaded and "kcrashd.daemon.metrics" in loaded
    unwanted = {name: why for name, why in NOT_FOR_METRICS.items() if name in loaded}
    assert not unwanted, unwanted
