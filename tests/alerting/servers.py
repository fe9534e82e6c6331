"""Real servers the alerting tests start on 127.0.0.1: Alertmanager, Redmine, SMTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused."""
    return free_port()


def wait_ready(url: str, deadline: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before {url} was ready")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready within {deadline}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


AM_CONFIG = """route:
  receiver: "null"
  group_by: ['alertname', 'fingerprint']
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: "null"
"""


def alertmanager(tmp: Path) -> Iterator[str]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        pytest.skip("prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)")
    port = free_port()
    (tmp / "am.yml").write_text(AM_CONFIG)
    log = (tmp / "am.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp / 'am.yml'}",
            f"--storage.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no gossip port on 0.0.0.0:9094
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/-/ready", 20, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        log.close()


def running_as_root() -> bool:
    return os.geteuid() == 0


REDMINE_APP = Path("/usr/share/redmine")
REDMINE_SEED = Path("/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default")
REDMINE_SETUP = """
Setting.rest_api_enabled = '1'
Setting.text_formatting = 'textile'
admin = User.find_by(login: 'admin')
tracker = Tracker.first
project = Project.find_by(identifier: 'kcrash') ||
  Project.create!(name: 'kcrash', identifier: 'kcrash', is_public: true, tracker_ids: [tracker.id])
cf = IssueCustomField.find_by(name: 'kcrash_fingerprint') ||
  IssueCustomField.create!(name: 'kcrash_fingerprint', field_format: 'string', is_filter: true,
                           is_for_all: true, searchable: true, tracker_ids: [tracker.id])
File.write(ARGV[0], "#{admin.api_key} #{cf.id} #{tracker.id}")
"""


def redmine_version() -> str | None:
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "redmine"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except FileNotFoundError:
        return None
    return out or None


def _rails_env(db: Path) -> dict[str, str]:
    # DATABASE_URL overrides the Debian instance's database.yml: the system instance is untouched.
    return {**os.environ, "RAILS_ENV": "production", "REDMINE_LANG": "en", "DATABASE_URL": f"sqlite3:{db}"}


def prepared_redmine(version: str) -> Path:
    """A migrated DB with REST on, project `kcrash` and custom field, cached per package version."""
    cache = (
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "kcrashd-tests"
        / f"redmine-{version}"
    )
    ready = cache / "ready"
    if ready.exists():
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    db = cache / "redmine.sqlite3"
    shutil.copyfile(REDMINE_SEED, db)
    env = _rails_env(db)
    for argv in (
        ["bundle", "exec", "rake", "db:migrate"],
        ["bundle", "exec", "rake", "redmine:load_default_data"],
    ):
        subprocess.run(argv, cwd=REDMINE_APP, env=env, check=True, capture_output=True, timeout=300)
    (cache / "setup.rb").write_text(REDMINE_SETUP)
    subprocess.run(
        ["bundle", "exec", "rails", "runner", str(cache / "setup.rb"), str(cache / "facts")],
        cwd=REDMINE_APP, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    ready.write_text("ok\n")
    return cache


def redmine(tmp: Path) -> Iterator[dict[str, str]]:
    """A real Redmine (puma) on 127.0.0.1 using a private copy of the prepared DB."""
    if not running_as_root():
        pytest.skip("redmine: needs root (Debian instance files are root-only)")
    version = redmine_version()
    if version is None or not REDMINE_SEED.exists() or shutil.which("puma") is None:
        pytest.skip(
            "redmine: apt-get install redmine redmine-sqlite puma (see tests/alerting/apt-packages.txt)"
        )
    cache = prepared_redmine(version)
    db = tmp / "redmine.sqlite3"
    shutil.copyfile(cache / "redmine.sqlite3", db)
    key, cf, tracker = (cache / "facts").read_text().split()
    port = free_port()
    log = (tmp / "puma.log").open("wb")
    proc = subprocess.Popen(
        ["puma", "-b", f"tcp://127.0.0.1:{port}", "-e", "production", "config.ru"],
        cwd=REDMINE_APP, env=_rails_env(db), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}/issues.json", 90, proc)
        yield {"url": f"http://127.0.0.1:{port}", "api_key": key, "cf": cf, "tracker": tracker}
    finally:
        stop(proc)
        log.close()
