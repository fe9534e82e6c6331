"""Prometheus metrics served by the daemon itself (`[metrics] listen`, docs/fleet.md).

Imported only when metrics are on: with them off, nothing of prometheus-client is loaded. The
values are read from the state database at each scrape (a read-only connection, opened and
closed per scrape), so they survive restarts and an idle daemon keeps nothing in memory for
them. One thread serves the port; it blocks in accept() with no timeout, so an idle daemon is
woken only by a scrape. A dead daemon shows as a failed scrape (`up == 0`).

Only the parts of prometheus-client a scrape by Prometheus needs are loaded: the registry, the
metric families and the OpenMetrics exposition, without the package's `__init__` (the daemon
defers it, kcrashd.daemon.deferred_module), which would bring `ssl` and OpenSSL, `urllib.request`,
`wsgiref`, `http.server` and `gzip`. The HTTP side is a few lines over `socketserver` for the same
reason (`http.server` imports `http.client`, which imports `ssl`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OPENMETRICS_CONTENT_TYPE
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.registry import Collector, CollectorRegistry

from kcrashd import __version__
from kcrashd.config.settings import Config, listen_address
from kcrashd.daemon.text_format import CONTENT_TYPE, classic_text
from kcrashd.store.database import DB_NAME, connect_readonly
from kcrashd.store.state_counts import StateCounts, read_counts

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT = 10.0  # seconds a scraper may take to send its request: a stuck client cannot hold the port
OPENMETRICS = "application/openmetrics-text"
REQUEST_LIMIT = 8192  # bytes of the request line and of each header line
MAX_HEADERS = 100
REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


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


class MetricsHandler(socketserver.StreamRequestHandler):
    """GET /metrics (or /), one request per connection: OpenMetrics when the scraper accepts it
    (Prometheus does), else the classic text format."""

    timeout = SCRAPE_TIMEOUT
    registry: ClassVar[CollectorRegistry]

    def handle(self) -> None:
        request = read_request(self.rfile)
        if request is None:
            return
        method, path, accept = request
        if method not in ("GET", "HEAD"):
            self.reply(405, "text/plain; charset=utf-8", b"only GET\n")
            return
        if path.split("?", 1)[0] not in ("/metrics", "/"):
            self.reply(404, "text/plain; charset=utf-8", b"only /metrics is served\n")
            return
        try:
            content_type, body = exposition(self.registry, accept)
        except Exception:
            log.exception("metrics: reading the state database failed")
            self.reply(500, "text/plain; charset=utf-8", b"cannot read the state database\n")
            return
        self.reply(200, content_type, b"" if method == "HEAD" else body, len(body))

    def reply(self, status: int, content_type: str, body: bytes, length: int | None = None) -> None:
        head = (
            f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\nConnection: close\r\n\r\n"
        )
        self.wfile.write(head.encode("ascii") + body)


def read_request(stream: io.BufferedIOBase) -> tuple[str, str, str] | None:
    """The method, path and Accept header of one HTTP request (None: not HTTP, or too long)."""
    line = stream.readline(REQUEST_LIMIT).decode("latin-1")
    parts = line.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return None
    accept = ""
    for _ in range(MAX_HEADERS):
        header = stream.readline(REQUEST_LIMIT).decode("latin-1")
        if header in ("\r\n", "\n", ""):
            return parts[0], parts[1], accept
        name, _, value = header.partition(":")
        if name.strip().lower() == "accept":
            accept = value.strip()
    return None


def exposition(registry: CollectorRegistry, accept: str) -> tuple[str, bytes]:
    """The content type and the text of a scrape: OpenMetrics by prometheus-client when the scraper
    accepts it, else the classic text format (kcrashd.daemon.text_format: prometheus-client's own
    encoder of that format would load `ssl` and the HTTP stack)."""
    if any(part.split(";", 1)[0].strip() == OPENMETRICS for part in accept.split(",")):
        text: bytes = generate_openmetrics(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return OPENMETRICS_CONTENT_TYPE, text
    return CONTENT_TYPE, classic_text(registry.collect())


class MetricsHTTPServer(socketserver.TCPServer):
    """A TCP server for one address family (HTTPServer would look the host name up in DNS)."""

    allow_reuse_address = True

    def __init__(self, host: str, port: int, handler: type[MetricsHandler]) -> None:
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
