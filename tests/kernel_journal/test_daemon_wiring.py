"""`kcrashd run` (a real subprocess) with the kernel journal source on an imported journal and the
private journald: the daemon's loop starts the source, judges the previous boot, journals it,
and stops cleanly on SIGTERM."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcrashd.sinks.journal import UNEXPLAINED_REBOOT_MESSAGE_ID
from kcrashd.triage.pool import IDLE_EXIT
from tests.fixtures.journald import Journald
from tests.kernel_journal.conftest import BOOT_C

pytestmark = pytest.mark.journal


def run_daemon(journal_dir: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    """`kcrashd run` reading the imported journal, the previous boot judged at once (no capture window)."""
    config = tmp_path / "kcrashd.toml"
    config.write_text(f'[kernel_journal]\npath = "{journal_dir}"\ncapture_window_minutes = 0\n')
    (tmp_path / "dumps").mkdir()
    argv = [sys.executable, "-m", "kcrashd", "run", "--config", str(config), "--dump-path", str(tmp_path / "dumps"),
            "--state-dir", str(tmp_path / "state"), "--pstore-path", str(tmp_path / "none")]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_daemon_journals_the_previous_boots_end(journald: Journald, journal_dir: Path, tmp_path: Path) -> None:
    proc = run_daemon(journal_dir, tmp_path)
    try:
        # this host's boot is not in the imported journal: its newest boot (C, no shutdown record)
        # is the previous one, and with no capture window it is judged at once
        entries = journald.wait_for(1, 30.0, MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID, _PID=str(proc.pid))
        found = [e for e in entries if e["KCRASHD_BOOT_ID"] == BOOT_C]
        assert found, "no unexplained-reboot entry for the imported journal's last boot"
        assert found[-1]["SYSLOG_IDENTIFIER"] == "kcrashd"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err, err.decode()


def switches(pid: int) -> dict[int, int]:
    """Voluntary context switches of each thread of `pid` (a thread that sleeps in select/accept has none)."""
    counts = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        counts[int(task.name)] = int(status.split("voluntary_ctxt_switches:")[1].split()[0])
    return counts


def children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def test_daemon_waits_on_the_journal_with_no_wake_up_while_nothing_is_written(
    journald: Journald, journal_dir: Path, tmp_path: Path
) -> None:
    """A journal reader waits on its file descriptor (docs/reboots.md): once the previous boot is
    judged and the triage workers have stopped, no thread of the daemon wakes while the journal it
    reads is not written (no watchdog configured: nothing else is due)."""
    proc = run_daemon(journal_dir, tmp_path)
    try:
        journald.wait_for(1, 30.0, MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID, _PID=str(proc.pid))
        deadline = time.monotonic() + IDLE_EXIT + 10
        while children(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not children(proc.pid), "the triage workers did not stop"
        time.sleep(1)
        before = switches(proc.pid)
        time.sleep(3)
        after = switches(proc.pid)
        woken = {tid: after[tid] - before[tid] for tid in after if after[tid] != before.get(tid)}
        assert not woken, f"threads woken while idle: {woken}"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
