"""`kcrashd scan` (one-shot) with `[kernel_journal] enabled`: after the dumps it reads the previous
boots (per `history_boots`) and this boot so far, and judges the previous boot's end once its
capture window is over, as the daemon does; a second scan journals nothing again. A real
`kcrashd scan` subprocess on the imported journal and the private journald, and the source's
one-shot pass on the real pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.sinks.journal import KERNEL_REPORT_MESSAGE_ID, UNEXPLAINED_REBOOT_MESSAGE_ID
from tests.fixtures.journald import Journald
from tests.kernel_journal.conftest import BOOT_A, BOOT_C, C_START, Rig
from tests.kernel_journal.make_exports import BOOTS
from tests.kernel_journal.test_kernel_source import append_warning


def scan(tmp_path: Path, journal_dir: Path) -> tuple[int, int, str]:
    """Run `kcrashd scan`: (its pid, exit code, output)."""
    config = tmp_path / "kcrashd.toml"
    config.write_text(f'[kernel_journal]\npath = "{journal_dir}"\nhistory_boots = 3\ncapture_window_minutes = 0\n')
    (tmp_path / "dumps").mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "kcrashd", "scan", "--config", str(config), "--dump-path", str(tmp_path / "dumps"),
            "--state-dir", str(tmp_path / "state"), "--pstore-path", str(tmp_path / "none")]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=120)
    return proc.pid, proc.returncode, out


@pytest.mark.journal
def test_scan_reads_the_kernel_journal_once(journald: Journald, journal_dir: Path, tmp_path: Path) -> None:
    pid, code, out = scan(tmp_path, journal_dir)
    assert code == 0 and "kcrashd scan: 3 from the journal" in out, out
    # this host's boot is not in the imported journal: boots A, B and C are previous boots; C, the
    # newest, ended without a shutdown record and, with no capture window, is judged at once
    reports = journald.wait_for(2, 30.0, MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID, _PID=str(pid))
    assert sorted((e["KCRASHD_BOOT_ID"], e["KCRASHD_KIND"]) for e in reports) == [
        (BOOT_A, "null-deref"), (BOOT_A, "warning")
    ]  # fmt: skip
    [reboot] = journald.wait_for(1, 30.0, MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID, _PID=str(pid))
    assert reboot["KCRASHD_BOOT_ID"] == BOOT_C
    pid, code, out = scan(tmp_path, journal_dir)
    assert code == 0 and "kcrashd scan: no dumps found" in out, out
    assert journald.entries(_PID=str(pid), SYSLOG_IDENTIFIER="kcrashd") == []


def test_one_shot_pass_reads_this_boot_so_far(rig: Rig, journal_dir: Path) -> None:
    """This boot (C) so far: a report whose last line is older than `settle_seconds` is journaled;
    the previous boot's end waits for the end of its capture window."""
    append_warning(journal_dir)
    rig.clock.now = C_START + 600.5
    src = rig.source()
    src.run_once(rig.clock.now)  # the kernel spoke less than settle_seconds ago: may still grow
    assert rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID) == []
    src.close()
    rig.sources.remove(src)
    rig.clock.now = C_START + 700
    again = rig.source()
    again.run_once(rig.clock.now)
    [entry] = rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    assert (entry["KCRASHD_BOOT_ID"], entry["KCRASHD_KIND"]) == (BOOT_C, "warning")
    assert rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID) == []  # boot B's window is still open
    rig.clock.now = C_START + 15 * 60
    again.run_once(rig.clock.now)
    [reboot] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert reboot["KCRASHD_BOOT_ID"] == BOOTS["boot-b"][0]
    assert len(rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)) == 1
