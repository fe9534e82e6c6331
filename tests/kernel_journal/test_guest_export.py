"""Journals of real guest boots (tests/system/test_reboot_guest.py), kept as export files and
imported with systemd-journal-remote, read as a previous boot:
- guest-reset.export (boot 1): the lab module's WARNING and NULL-pointer oops, survived with
  panic_on_oops=0, then QEMU's system_reset with kdump not armed (kdump-tools.service skipped for
  its unmet ConditionKernelCommandLine=crashkernel: its start job is `done` all the same): the two
  reports with the dump corpus's fingerprints and one unexplained reboot saying kdump not armed;
- guest-watchdog.export (boot 2): kdump armed (crashkernel=256M, kdump-tools.service), a corrected
  machine check injected by QEMU's `mce` and logged by the kernel, then a reset by the i6300esb
  hardware watchdog: no report, one unexplained reboot whose facts are the hardware watchdog, the
  MCE, the crashkernel reservation and kdump armed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kcrashd.sinks.journal import KERNEL_REPORT_MESSAGE_ID, UNEXPLAINED_REBOOT_MESSAGE_ID
from tests.kernel_journal.conftest import Rig, import_export
from tests.kernel_journal.make_exports import LAB

EXPORT = Path(__file__).parent / "data" / "guest-reset.export"
WATCHDOG_EXPORT = Path(__file__).parent / "data" / "guest-watchdog.export"
EXPECTED = {
    kind: json.loads((LAB / run / "vmcore-dmesg.txt.expected.json").read_text())["fingerprint"]
    for kind, run in (("warning", "deb12-6.1_warning_run1"), ("null-deref", "deb12-6.1_null-deref_run1"))
}


def boot_of(export: bytes) -> tuple[str, int]:
    """The boot id and the last realtime stamp (µs) of an export stream."""
    boot = export.split(b"\n_BOOT_ID=", 1)[1].split(b"\n", 1)[0].decode()
    last = max(int(v.split(b"\n", 1)[0]) for v in export.split(b"__REALTIME_TIMESTAMP=")[1:])
    return boot, last


def test_real_guest_reset_boot(tmp_path: Path, rig_factory: Callable[..., Rig]) -> None:
    if not EXPORT.exists():
        pytest.skip("no guest export kept (tests/system/test_reboot_guest.py makes one)")
    data = EXPORT.read_bytes()
    boot, last = boot_of(data)
    folder = tmp_path / "guest-journal"
    folder.mkdir()
    import_export(data, folder, "guest")
    rig = rig_factory(path=str(folder))
    rig.clock.now = last / 1e6 + 60
    src = rig.source(boot_id="f" * 32)  # this boot: one the guest's journal does not hold
    src.service(rig.clock.now)
    reports = {e["KCRASHD_KIND"]: e for e in rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)}
    assert sorted(reports) == ["null-deref", "warning"]
    for kind, fingerprint in EXPECTED.items():
        assert reports[kind]["KCRASHD_FINGERPRINT"] == fingerprint
        assert reports[kind]["KCRASHD_BOOT_ID"] == boot
        assert reports[kind]["KCRASHD_SURVIVED"] == "1"  # user space wrote after them
    rig.clock.now += 15 * 60
    src.service(rig.clock.now)
    [reboot] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert reboot["KCRASHD_BOOT_ID"] == boot
    assert "kdump not armed" in reboot["KCRASHD_HINTS"]
    assert "lab_trigger_null_deref" in reboot["KCRASHD_LAST_LINES"] or "end trace" in reboot["KCRASHD_LAST_LINES"]
    assert 60 < float(reboot["KCRASHD_UPTIME"]) < 600


def test_real_guest_watchdog_reset_of_an_armed_boot(tmp_path: Path, rig_factory: Callable[..., Rig]) -> None:
    if not WATCHDOG_EXPORT.exists():
        pytest.skip("no guest export kept (tests/system/test_reboot_guest.py makes one)")
    data = WATCHDOG_EXPORT.read_bytes()
    boot, last = boot_of(data)
    folder = tmp_path / "guest-journal"
    folder.mkdir()
    import_export(data, folder, "guest")
    rig = rig_factory(path=str(folder))
    # a record left in pstore (its content is not read: the fact counts records), written by this test
    pstore = Path(rig.config.sources.pstore_path)
    pstore.mkdir()
    (pstore / "console-ramoops-0").write_text("kcrashd test: a record left in pstore\n")
    rig.clock.now = last / 1e6 + 60
    src = rig.source(boot_id="f" * 32)
    src.service(rig.clock.now)
    assert rig.entries(MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID) == []  # a corrected MCE is not a report
    rig.clock.now += 15 * 60
    src.service(rig.clock.now)
    [reboot] = rig.entries(MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert reboot["KCRASHD_BOOT_ID"] == boot
    hints = reboot["KCRASHD_HINTS"].split("; ")
    kernel_facts = ["crashkernel memory reserved", "hardware watchdog messages", "machine check (MCE) records"]
    # in the order the boot printed them: the reservation at 0 s, the i6300esb driver at 39 s (not
    # the command line's `i6300esb.heartbeat=10` at 0 s), the machine check at 58 s
    assert hints[:3] == kernel_facts, hints
    assert hints[3:] == ["kdump armed: kdump-tools.service started", f"pstore: 1 record(s) in {pstore}"], hints
