"""Receivers on 127.0.0.1 that misbehave as issue 12 found: one that answers a byte every few
seconds, one whose error page is 1 GiB (generated on the fly, never held in memory), and a
healthy one that notes when each request arrived. Real sockets, real HTTP; no mocks.
Also the real daemon with alerts already queued, for tests/alerting/test_hostile.py and
bench/alerting_hostile.py."""

from __future__ import annotations

import contextlib
import os
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kcrashd.store.database import Store, connect
from tests.alerting.conftest import alerts_config, enqueue, make_record
from tests.daemon.conftest import DaemonProcess

GIB = 1 << 30
DRIP = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


@dataclass
class Receiver:
    """What a receiver saw: arrival times (time.monotonic) and body bytes sent by it."""

    url: str
    arrivals: list[float] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)

    def wait_arrivals(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.arrivals) >= count


class Handler(BaseHTTPRequestHandler):
    receiver: Receiver
    mode: str
    interval: float
    give_up: float

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.receiver.arrivals.append(time.monotonic())
        if self.mode == "drip":
            self.drip()
        elif self.mode in ("huge", "huge-redirect"):
            self.huge()
        else:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def drip(self) -> None:
        """The status line and headers a byte at a time: every read gets a byte before its timeout."""
        drip_bytes(self.wfile, DRIP, self.interval, self.give_up, self.receiver)
        self.close_connection = True

    def huge(self) -> None:
        """A 500 (or a redirect) whose body is 1 GiB of text, written until the client hangs up."""
        chunk = b"x" * (1 << 20)
        if self.mode == "huge-redirect":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
        else:
            self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(GIB))
        self.end_headers()
        sent = 0
        try:
            while sent < GIB:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.receiver.sent.append(sent)
        self.receiver.closed.set()
        self.close_connection = True


def drip_bytes(stream: Any, data: bytes, interval: float, give_up: float, seen: Receiver) -> None:
    end = time.monotonic() + give_up
    sent = 0
    try:
        for byte in data:
            if time.monotonic() > end:
                break
            stream.write(bytes([byte]))
            stream.flush()
            sent += 1
            time.sleep(interval)
    except OSError:
        pass
    seen.sent.append(sent)
    seen.closed.set()


@contextmanager
def smtp_drip(interval: float = 0.5, give_up: float = 30.0) -> Iterator[tuple[int, Receiver]]:
    """A mail server on 127.0.0.1 whose greeting comes a byte every `interval` s."""
    seen = Receiver(url="")

    class Greeter(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            seen.arrivals.append(time.monotonic())
            drip_bytes(self.wfile, b"220 mail.example ESMTP ready\r\n", interval, give_up, seen)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Greeter)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="smtp-drip", daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def receiver(mode: str = "ok", *, interval: float = 0.5, give_up: float = 40.0) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1: "ok", "drip" (a byte every `interval` s, for `give_up` s at most),
    "huge" (a 1 GiB error body) or "huge-redirect" (a 302 with a 1 GiB body)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    seen = Receiver(url=f"http://{host!s}:{port}/hook")
    server.RequestHandlerClass = type(
        "Bound", (Handler,), {"receiver": seen, "mode": mode, "interval": interval, "give_up": give_up}
    )
    thread = threading.Thread(target=server.serve_forever, name=f"receiver-{mode}", daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_config(tmp_path: Path, targets: list[dict[str, Any]]) -> Path:
    lines = [
        "[sources]", f'dump_paths = ["{tmp_path / "crash"}"]', "pstore = false",
        "[state]", f'state_dir = "{tmp_path / "state"}"', "[daemon]", "watchdog = false",
    ]  # fmt: skip
    for target in targets:
        lines.append("[[alerts.targets]]")
        lines.extend(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"'
                     for key, value in target.items())  # fmt: skip
    path = tmp_path / "kcrashd.toml"
    path.write_text("\n".join(lines) + "\n")
    (tmp_path / "crash").mkdir(exist_ok=True)
    return path


def queue_crash(tmp_path: Path, targets: list[dict[str, Any]], crash_id: str = "c1") -> None:
    """A crash's alerts in the outbox, as the daemon would have queued them before a restart."""
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    Store(state).close()
    conn = connect(state / "state.db")
    try:
        now = datetime.now(UTC)
        enqueue(conn, make_record(crash_id, at=now), alerts_config(*targets), now=now)
        conn.commit()
    finally:
        conn.close()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def start_daemon(config: Path, log: Path) -> DaemonProcess:
    """`kcrashd run --config FILE` (no systemd, no journald needed), once it says it is ready."""
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env.update(PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
    proc = DaemonProcess(["--config", str(config)], env, log)
    deadline = time.monotonic() + 30
    while "ready:" not in proc.output():
        if proc.proc.poll() is not None or time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"kcrashd run did not get ready: {proc.output()}")
        time.sleep(0.02)
    return proc


def context_switches(pid: int) -> dict[str, int]:
    """Voluntary and involuntary context switches of each thread of a process, by thread id."""
    counts: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            lines = (task / "status").read_text().splitlines()
            counts[task.name] = sum(int(line.split()[1]) for line in lines if "ctxt_switches" in line)
    return counts
