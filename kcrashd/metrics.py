"""Prometheus metrics served by the daemon itself (`[metrics] listen`, docs/fleet.md).

Imported only when metrics are on: with them off, nothing of prometheus-client is loaded. The
values are read from the state database at each scrape (a read-only connection, opened and
closed per scrape), so they survive restarts and an idle daemon keeps nothing in memory for
them. One thread serves the port; it blocks in accept() with no timeout, so an idle daemon is
woken only by a scrape. A dead daemon shows as a failed scrape (`up == 0`).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from kcrashd import __version__
from kcrashd.config import Config, listen_address
from kcrashd.state_counts import StateCounts, read_counts
from kcrashd.store import DB_NAME, connect_readonly

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT = 10.0  # seconds a scraper may take to send its request: a stuck client cannot hold the port


class StateCollector(Collector):
    """Turns the state database into metric families at each scrape."""

    def __init__(self, state_dir: Path, retention_days: int, targets: list[str]) -> None:
        self.path = state_dir / DB_NAME
        self.retention = retention_days * 86400.0
        self.targets = targets

    def read(self) -> StateCounts:
        if not self.path.exists():
            return StateCounts()
        conn = connect_readonly(self.path)
        try:
            return read_counts(conn, time.time() - self.retention)
        finally:
            conn.close()

    def collect(self) -> Iterator[Metric]:
        counts = self.read()
        crashes = CounterMetricFamily(
            "kcrashd_crashes", "Crashes recorded, by kind and severity.", labels=["kind", "severity"]
        )
        for kind, severity, number in counts.crashes:
            crashes.add_metric([kind, severity], number)
        yield crashes
        per_fp = CounterMetricFamily(
            "kcrashd_fingerprint_crashes",
            "Crashes of each fingerprint seen within the retention.",
            labels=["fingerprint", "kind", "function"],
        )
        last_seen = GaugeMetricFamily(
            "kcrashd_fingerprint_last_seen_timestamp_seconds",
            "Crash time of the latest crash of each fingerprint (Unix time).",
            labels=["fingerprint"],
        )
        for fingerprint, kind, function, number, seen in counts.fingerprints:
            per_fp.add_metric([fingerprint, kind, function], number)
            last_seen.add_metric([fingerprint], seen)
        yield per_fp
        yield last_seen
        yield GaugeMetricFamily(
            "kcrashd_last_crash_timestamp_seconds", "Crash time of the latest crash recorded (Unix time; 0: none).",
            value=counts.last_crash,
        )  # fmt: skip
        yield from self.journal(counts)
        yield from self.outbox(counts)
        yield InfoMetricFamily("kcrashd_build", "The running kcrashd.", value={"version": __version__})

    def journal(self, counts: StateCounts) -> Iterator[Metric]:
        """Kernel reports read from the journal and unexplained reboots, apart (docs/reboots.md)."""
        reports = CounterMetricFamily(
            "kcrashd_kernel_reports",
            "Kernel reports read from the journal, by kind and whether the kernel survived them (1) or not (0).",
            labels=["kind", "survived"],
        )
        for kind, survived, number in counts.kernel_reports:
            reports.add_metric([kind, survived], number)
        yield reports
        yield CounterMetricFamily(
            "kcrashd_unexplained_reboots",
            "Boots that ended without a clean shutdown and left no dump (unexplained reboots).",
            value=counts.unexplained_reboots,
        )

    def outbox(self, counts: StateCounts) -> Iterator[Metric]:
        """Every configured target has a series (0 until something is pending or dead)."""
        names = sorted(set(self.targets) | set(counts.pending) | set(counts.dead))
        pending = GaugeMetricFamily(
            "kcrashd_outbox_pending", "Alert deliveries waiting to be sent.", labels=["target"]
        )
        dead = CounterMetricFamily(
            "kcrashd_deliveries_dead", "Alert deliveries given up on.", labels=["target"]
        )
        for name in names:
            pending.add_metric([name], counts.pending.get(name, 0))
            dead.add_metric([name], counts.dead.get(name, 0))
        yield pending
        yield dead


class MetricsHandler(BaseHTTPRequestHandler):
    """GET /metrics (or /): the text exposition format."""

    timeout = SCRAPE_TIMEOUT
    registry: ClassVar[CollectorRegistry]

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/metrics", "/"):
            self.send_error(404, "only /metrics is served")
            return
        try:
            body = generate_latest(self.registry)
        except Exception:
            log.exception("metrics: reading the state database failed")
            self.send_error(500, "cannot read the state database")
            return
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("metrics: %s %s", self.address_string(), format % args)


class MetricsHTTPServer(socketserver.TCPServer):
    """A TCP server for one address family (HTTPServer would look the host name up in DNS)."""

    allow_reuse_address = True

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), handler)

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("metrics: request from %s failed", client_address, exc_info=True)


class MetricsServer:
    """The listening socket and the thread that serves it, one request at a time."""

    def __init__(self, config: Config) -> None:
        host, port = listen_address(config.metrics.listen)
        self.listen = config.metrics.listen
        registry = CollectorRegistry(auto_describe=False)
        targets = [target.name for target in config.alerts.targets]
        registry.register(StateCollector(config.state.state_dir, config.state.retention_days, targets))
        handler = type("BoundMetricsHandler", (MetricsHandler,), {"registry": registry})
        self.server = MetricsHTTPServer(host, port, handler)
        self.server.timeout = None  # handle_request() blocks until a connection arrives
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, name="kcrashd-metrics", daemon=True)

    def start(self) -> None:
        self.thread.start()
        log.info("serving metrics on http://%s/metrics", self.listen)

    def serve(self) -> None:
        while not self.stopping:
            self.server.handle_request()

    def stop(self) -> None:
        """shutdown() on the listening socket wakes the blocked accept (Linux), then the thread ends."""
        self.stopping = True
        with contextlib.suppress(OSError):
            self.server.socket.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=SCRAPE_TIMEOUT + 5)
        self.server.server_close()


def start_metrics(config: Config) -> MetricsServer:
    """Bind the port and start serving; OSError (port in use, no such address) is the caller's."""
    server = MetricsServer(config)
    server.start()
    return server
