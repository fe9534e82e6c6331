"""The journal as the wire: five senders upload kcrashd's crash entries with
systemd-journal-upload to one systemd-journal-remote on 127.0.0.1; `journalctl -D` on the
collector and `kcrashd list --journal-dir` show every crash once with its host.

The crash entries are real: `kcrashd scan` of each sender's dump folders, written into the
private journald. The five senders share that one journald here (one machine), so each uploads
its own entries as journalctl's export stream (`journalctl -o export KCRASHD_HOST=... > FILE;
systemd-journal-upload -u URL FILE`), the documented input of systemd-journal-upload.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kcrashd.sinks.journal import MESSAGE_ID
from tests.alerting.servers import free_port, stop
from tests.daemon.conftest import run_cli
from tests.daemon.dumps import log_bytes, write_rhel
from tests.fixtures.journald import Journald

pytestmark = pytest.mark.journal

REMOTE = Path("/lib/systemd/systemd-journal-remote")
UPLOAD = Path("/lib/systemd/systemd-journal-upload")
SENDERS = [f"sender{n}" for n in range(1, 6)]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    if not REMOTE.exists() or not UPLOAD.exists():
        pytest.skip("systemd-journal-remote not installed (tests/fleet/apt-packages.txt)")
    out = tmp_path / "collector"
    out.mkdir()
    port = free_port()
    log = (tmp_path / "remote.log").open("wb")
    proc = subprocess.Popen(
        [str(REMOTE), f"--listen-http=127.0.0.1:{port}", f"--output={out / 'all.journal'}", "--split-mode=none"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}", out
    finally:
        stop(proc)
        log.close()


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("systemd-journal-remote did not listen")


def crash_senders(tmp_path: Path) -> dict[str, int]:
    """Every sender crashes on one bug; the first two also on a second bug. `kcrashd scan`
    journals them. Returns the number of crashes per sender."""
    per_host = {}
    for number, host in enumerate(SENDERS):
        dumps = tmp_path / host / "crash"
        dumps.mkdir(parents=True)
        write_rhel(dumps, f"{host}-2026-11-0{number + 1}-10:00:00", log_bytes("seed/rhel8-sysrq"))
        if number < 2:
            write_rhel(dumps, f"{host}-2026-11-0{number + 1}-11:00:00", log_bytes("edge/oom-panic"))
        result = run_cli("scan", "--dump-path", str(dumps), "--state-dir", str(tmp_path / host / "state"),
                         "--pstore-path", str(tmp_path / "none"))  # fmt: skip
        assert result.returncode == 0, result.stderr
        per_host[host] = 2 if number < 2 else 1
    return per_host


def upload(url: str, host: str, work: Path) -> None:
    """One sender's entries as an export file (systemd-journal-upload 252 stops at the first
    HUP of a pipe on stdin, before reading it), uploaded to the collector."""
    export = work / f"{host}.export"
    with export.open("wb") as stream:
        subprocess.run(
            ["journalctl", "-o", "export", f"MESSAGE_ID={MESSAGE_ID}", f"KCRASHD_HOST={host}"],
            stdout=stream, check=True, timeout=60,
        )  # fmt: skip
    sent = subprocess.run([str(UPLOAD), "-u", url, str(export)], capture_output=True, timeout=60)
    assert sent.returncode == 0, sent.stderr.decode()


def collected(out: Path, expected: int) -> list[dict[str, str]]:
    deadline = time.monotonic() + 20
    while True:
        lines = subprocess.run(
            ["journalctl", "-D", str(out), "-o", "json", f"MESSAGE_ID={MESSAGE_ID}"],
            capture_output=True,
            timeout=60,
        ).stdout.splitlines()
        if len(lines) >= expected or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.1)


def test_five_senders_one_collector(journald: Journald, tmp_path: Path, collector: tuple[str, Path]) -> None:
    url, out = collector
    per_host = crash_senders(tmp_path)
    journald.sync()
    for host in SENDERS:
        upload(url, host, tmp_path)
    entries = collected(out, sum(per_host.values()))
    assert Counter(e["KCRASHD_HOST"] for e in entries) == per_host
    assert len({e["KCRASHD_CRASH_ID"] for e in entries}) == len(entries) == 7  # every crash once

    listed = run_cli("list", "--journal-dir", str(out), "--json")
    assert listed.returncode == 0, listed.stderr
    bugs = {bug["kind"]: bug for bug in json.loads(listed.stdout)}
    spread = max(bugs.values(), key=lambda bug: bug["hosts"])
    assert (spread["hosts"], spread["count"], spread["host_names"]) == (5, 5, SENDERS)
    other = min(bugs.values(), key=lambda bug: bug["hosts"])
    assert (other["hosts"], other["count"], other["host_names"]) == (2, 2, SENDERS[:2])
    assert spread["first"] < spread["last"] and spread["kernels"]
    assert set(spread) >= {"title", "kind", "hosts", "count", "first", "last", "kernels"}

    rows = run_cli("list", "--journal-dir", str(out), "--all", "--json")
    crashes = json.loads(rows.stdout)
    assert Counter(c["host"] for c in crashes) == per_host

    table = run_cli("list", "--journal-dir", str(out)).stdout.splitlines()
    assert table[0].split()[:7] == ["TITLE", "KIND", "HOSTS", "COUNT", "FIRST", "LAST", "KERNELS"]
    assert len(table) == 3

    info = run_cli("info", "--journal-dir", str(out), spread["fingerprint"][:12])
    assert info.returncode == 0 and "Crashes: 5 on 5 host(s)" in info.stdout
    assert all(f"{host}: 1" in info.stdout for host in SENDERS)
    as_json = json.loads(run_cli("info", "--journal-dir", str(out), "--json", spread["fingerprint"]).stdout)
    assert as_json["per_host"] == dict.fromkeys(SENDERS, 1) and as_json["count"] == 5
    quiet = run_cli(
        "list", "--journal-dir", str(out), "--no-legend", "KIND=" + other["kind"]
    ).stdout.splitlines()
    assert len(quiet) == 1 and other["fingerprint"] in quiet[0]


def test_journal_dir_refusals(tmp_path: Path) -> None:
    """Refusals: a missing directory, a bad match, nothing found; each with its exit code."""
    missing = run_cli("list", "--journal-dir", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "not a directory" in missing.stderr
    bad = run_cli("list", "--journal-dir", str(tmp_path), "DUMP_DIR=/x")
    assert bad.returncode == 2 and "bad match" in bad.stderr
    if shutil.which("journalctl"):
        empty = run_cli("list", "--journal-dir", str(tmp_path))
        assert empty.returncode == 3 and "No crashes found." in empty.stderr
