"""Fleet fixtures: several kcrashd daemons on 127.0.0.1, each a "host" with its own state
directory, dump path, metrics port and host name (the dump folders carry it, as kdump over SSH
names them), logging into the private journald (tests/fixtures/journald.py)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.alerting.servers import free_port
from tests.daemon.conftest import DaemonProcess
from tests.daemon.dumps import log_bytes, write_rhel
from tests.fixtures.journald import enter_namespace, journald  # noqa: F401  (the session fixture)


def pytest_configure(config: pytest.Config) -> None:
    """Enter the private mount namespace before any thread starts (see tests/daemon/conftest.py)."""
    enter_namespace()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The exposition text as {(sample name, labels): value}, read by prometheus-client's parser."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


@dataclass
class Host:
    """One kcrashd daemon standing for one machine of the fleet."""

    name: str
    home: Path
    port: int
    extra_config: str = ""
    crashes: int = 0
    proc: DaemonProcess | None = field(default=None, repr=False)

    @property
    def dumps(self) -> Path:
        return self.home / "crash"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def write_config(self) -> Path:
        path = self.home / "kcrashd.toml"
        machine_id = self.home / "machine-id"
        machine_id.write_text(hashlib.md5(self.name.encode()).hexdigest() + "\n")  # its own, like a host
        path.write_text(
            f'[metrics]\nlisten = "127.0.0.1:{self.port}"\n'
            f'[state]\nstate_dir = "{self.home / "state"}"\n'
            f'[sources]\ndump_paths = ["{self.dumps}"]\npstore = false\n'
            f'[alerts]\nmachine_id_path = "{machine_id}"\n' + self.extra_config
        )
        return path

    def start(self) -> None:
        self.dumps.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = DaemonProcess(["--config", str(self.write_config())], env, self.home / "daemon.log")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError(f"{self.name}: no metrics within 30 s:\n{self.proc.output()}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def crash(self, log_name: str = "seed/rhel8-sysrq", when: datetime | None = None) -> datetime:
        """A dump folder the way kdump over SSH writes it (`HOST-YYYY-MM-DD-HH:MM:SS`); returns
        the crash time the folder's name gives."""
        self.crashes += 1
        moment = (when or datetime.now()).replace(microsecond=0) - timedelta(seconds=60 - self.crashes)
        write_rhel(self.dumps, f"{self.name}-{moment:%Y-%m-%d-%H:%M:%S}", log_bytes(log_name))
        return moment.astimezone()

    def scrape(self) -> str:
        response = requests.get(self.url, timeout=10)
        response.raise_for_status()
        return response.text

    def wait_crashes(
        self, count: int, timeout: float = 30.0
    ) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Scrape until the daemon reports `count` crashes in all."""
        deadline = time.monotonic() + timeout
        while True:
            found = samples(self.scrape())
            total = sum(v for (name, _), v in found.items() if name == "kcrashd_crashes_total")
            if total >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Callable[..., Host]]:
    """Start hosts with `fleet("web1")`; every one is stopped at the end."""
    hosts: list[Host] = []

    def start(name: str, extra_config: str = "") -> Host:
        host = Host(name, tmp_path / name, free_port(), extra_config)
        host.home.mkdir()
        host.start()
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        host.stop()
