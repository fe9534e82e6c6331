"""Fixtures of the daemon tests: real dump folders written the way kdump writes them, real
kernel logs (tests/daemon/logs.py), the private journald, a NOTIFY_SOCKET reader."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.journald import enter_namespace, journald  # noqa: F401  (the session fixture)
from tests.lab.fixture import crash_lab  # noqa: F401  (the session fixture)

REPO = Path(__file__).resolve().parents[2]
# the checkout's venv, else the running interpreter's (a copy of the tree run with PYTHONPATH)
KCRASHD = REPO / ".venv" / "bin" / "kcrashd"
if not KCRASHD.exists():
    KCRASHD = Path(sys.executable).parent / "kcrashd"


def pytest_configure(config: pytest.Config) -> None:
    """Enter the private mount namespace at collection time, before any test of another folder
    can start a thread (unshare(CLONE_NEWNS) fails in a threaded process). Not root: the
    journald fixture skips with the reason."""
    enter_namespace()


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Leave nothing behind: a test that starts a thread stops it."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"threads left running: {[t.name for t in leaked]}")


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's $NOTIFY_SOCKET, read continuously by a
    thread like systemd does (sd_notify blocks once net.unix.max_dgram_qlen datagrams are unread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []
        self.arrivals: list[float] = []  # time.monotonic() of each message
        self.lock = threading.Lock()
        self.closed = False
        self.reader = threading.Thread(target=self.read, name="notify-socket", daemon=True)
        self.reader.start()

    def read(self) -> None:
        while not self.closed:
            try:
                data = self.sock.recv(65536).decode()
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append(data)
                self.arrivals.append(time.monotonic())

    def drain(self) -> list[str]:
        with self.lock:
            return list(self.messages)

    def times(self, line: str) -> list[float]:
        """When each message holding `line` arrived (time.monotonic())."""
        with self.lock:
            return [at for at, message in zip(self.arrivals, self.messages, strict=True) if line in message.splitlines()]

    def wait_for(self, line: str, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line in message.splitlines() for message in self.drain()):
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.closed = True
        self.reader.join()
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.close()


class DaemonProcess:
    """`kcrashd run` as a subprocess, as systemd would start it."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, command: list[str] | None = None) -> None:
        self.log = log
        self.stream = log.open("ab")
        command = command or [str(KCRASHD), "run"]
        self.proc = subprocess.Popen([*command, *args], env=env, stdout=self.stream, stderr=subprocess.STDOUT)

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: the log gets every thread's stack
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc.wait()
            code = -9
        self.stream.close()
        return code

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[object]:
    started: list[DaemonProcess] = []

    def start(*args: str, env: dict[str, str] | None = None, command: list[str] | None = None) -> DaemonProcess:
        """`kcrashd run ARGS`, or `COMMAND ARGS` (a launcher under tests/ that runs the daemon)."""
        environ = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        environ.update(env or {})
        environ.setdefault("PYTHONUNBUFFERED", "1")
        environ.setdefault("PYTHONFAULTHANDLER", "1")
        proc = DaemonProcess(list(args), environ, tmp_path / f"daemon-{len(started)}.log", command)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KCRASHD), *args], capture_output=True, text=True, check=check, timeout=120)


def python() -> str:
    return sys.executable
