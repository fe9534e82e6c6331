"""`kcrashd run` (a real subprocess) with the kernel journal source on an imported journal and the
private journald: the daemon's loop starts the source, judges the previous boot, journals it,
and stops cleanly on SIGTERM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.sinks.journal import UNEXPLAINED_REBOOT_MESSAGE_ID
from tests.fixtures.journald import Journald
from tests.kernel_journal.conftest import BOOT_C

pytestmark = pytest.mark.journal


def test_daemon_journals_the_previous_boots_end(journald: Journald, journal_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "kcrashd.toml"
    config.write_text(f'[kernel_journal]\npath = "{journal_dir}"\ncapture_window_minutes = 0\n')
    (tmp_path / "dumps").mkdir()
    argv = [sys.executable, "-m", "kcrashd", "run", "--config", str(config), "--dump-path", str(tmp_path / "dumps"),
            "--state-dir", str(tmp_path / "state"), "--pstore-path", str(tmp_path / "none")]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
