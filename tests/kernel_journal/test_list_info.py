"""`kcrashd list` and `kcrashd info` (real subprocesses) on the state a kernel journal source left:
kernel reports and the unexplained reboot, with their boot, survival, links and facts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from kcrashd.sinks.journal import UNEXPLAINED_REBOOT_MESSAGE_ID
from tests.kernel_journal.conftest import BOOT_A, BOOT_B, C_START, Rig


def kcrashd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kcrashd", *args], capture_output=True, text=True, timeout=120, check=False)


def test_list_and_info_show_reports_and_the_unexplained_reboot(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(history_boots=2)
    src = rig.source()
    src.service(rig.clock.now)
    rig.clock.now = C_START + 15 * 60
    src.service(rig.clock.now)
    state = str(rig.config.state.state_dir)
    listed = kcrashd("list", "--state-dir", state, "--no-pager", "--no-legend")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 3
    assert sum("[journal] WARNING in lab_trigger_warning" in line for line in lines) == 1
    assert sum("unexplained-reboot" in line for line in lines) == 1
    [reboot] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    info = kcrashd("info", "--state-dir", state, "--no-pager", reboot["KCRASHD_CRASH_ID"])
    assert info.returncode == 0, info.stderr
    assert f"Boot: {BOOT_B}" in info.stdout
    assert "Fact: kdump not armed: no kdump service started" in info.stdout
    assert "Last kernel lines:" in info.stdout and "i6300esb" in info.stdout
    assert "Vmcore:" not in info.stdout
    as_json = kcrashd("info", "--state-dir", state, "--json", reboot["KCRASHD_CRASH_ID"])
    record = json.loads(as_json.stdout)["record"]
    assert record["boot"]["boot_id"] == BOOT_B and record["boot"]["uptime_seconds"] > 0
    warning = kcrashd("info", "--state-dir", state, "--no-pager", "KIND=warning")
    assert f"Boot: {BOOT_A}" in warning.stdout
    assert "Survived: yes" in warning.stdout
