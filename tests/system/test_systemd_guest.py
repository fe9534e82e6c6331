"""Capstone: the literal mission in a real systemd guest, three boots of one Debian 12 disk.

Boot 1: systemd starts kcrashd.service (as packaged: wheelhouse venv, shipped unit, catalog) and
kdump-load.service arms kdump (crashkernel=256M, `kexec -p`); a oneshot unit crashes the kernel
with sysrq-c. The capture kernel boots the same disk with kdump-save as PID 1, writes
/var/crash/127.0.0.1-<date>/ (vmcore-dmesg.txt, vmcore; -incomplete names first) and reboots,
which ends the QEMU run (-no-reboot).
Boot 2: kcrashd finds the dump; a collector unit waits for its journal entry and the alert
delivery, copies systemd's, the journal's and kcrashd's view onto a 9p share, powers off. The
alert goes to a receiver on the host through QEMU user networking (restrict=on, guestfwd).
Boot 3: the same collector; nothing new may be journaled or alerted.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lab.build import cache_root as lab_cache
from lab.vm import QEMU, select_accel
from tests.alerting.servers import free_port
from tests.packaging.nspawn import Root, build_wheelhouse, missing_tools
from tests.system import guest
from tests.system.chain import MESSAGE_ID, Receiver
from tests.system.timings import TIMINGS

pytestmark = [pytest.mark.system, pytest.mark.timeout(1800)]

HOST = "kcrashd-guest"
APPEND = "root=/dev/vda rw console=ttyS0,115200 crashkernel=256M panic=-1 systemd.show_status=auto"


def read_json(path: Path) -> Any:
    assert path.exists(), f"the guest did not write {path.name}"
    return json.loads(path.read_text())


def props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def when(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def check_ready(results: Path) -> dict[str, str]:
    """kcrashd.service under systemd: Type=notify and active/running means READY=1 arrived."""
    show = props((results / "show.txt").read_text())
    assert show["Type"] == "notify"
    assert (show["ActiveState"], show["SubState"]) == ("active", "running"), show.get("StatusText")
    assert show["NRestarts"] == "0" and show["StatusText"], show
    return show


@pytest.fixture(scope="module")
def guest_disk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    reason = missing_tools()
    for tool in (QEMU, "mkfs.ext4"):
        if reason is None and shutil.which(tool) is None:
            reason = f"{tool} not installed (tests/system/apt-packages.txt)"
    if reason:
        pytest.skip(f"capstone guest: {reason}")
    work = tmp_path_factory.mktemp("capstone")  # pytest keeps the last runs: consoles, results
    with TIMINGS.stage("capstone", "guest root: mmdebstrap (cached after the first run)") as note:
        cached = (guest.image_path() / ".kcrashd-image-complete").exists()
        image = guest.build_image(work / "mmdebstrap.log")
        note["note"] = "cached" if cached else f"built, log {work / 'mmdebstrap.log'}"
    with TIMINGS.stage("capstone", "wheelhouse (pip wheel kcrashd + deps)"):
        wheels = build_wheelhouse(work / "wheelhouse")
    assert any(w.name.startswith("kcrashd-") for w in wheels)
    root = Root(image, work / "overlay")
    try:
        with TIMINGS.stage("capstone", "install kcrashd, units, kdump scripts"):
            guest.install_kcrashd(root, work / "wheelhouse", HOST)
        with TIMINGS.stage("capstone", "mkfs.ext4 -d (disk image)"):
            guest.make_disk(root.path, work / "disk.raw")
        vmlinuz, initrd = guest.kernel_of(root.path)
        shutil.copy2(vmlinuz, work / "vmlinuz")
        shutil.copy2(initrd, work / "initrd.img")
        release = vmlinuz.name.removeprefix("vmlinuz-")
    finally:
        root.close()
    yield work, release
    (work / "disk.raw").unlink(missing_ok=True)


def test_mission_in_a_real_systemd_guest(guest_disk: Any) -> None:
    work, release = guest_disk
    accel = select_accel(work / "vmlinuz", lab_cache(), log=lambda _m: None)
    receiver = Receiver(free_port())
    disk, kernel, initrd = work / "disk.raw", work / "vmlinuz", work / "initrd.img"

    def run(n: int, extra: str, timeout: float) -> tuple[guest.Boot, Path]:
        results = work / f"results{n}"
        booted = guest.boot(f"boot{n}", disk, kernel, initrd, f"{APPEND} {extra}", results,
                            receiver.server.port, accel, work / f"console{n}.log", timeout)  # fmt: skip
        return booted, results

    try:
        # --- boot 1: armed, crashed, captured ---------------------------------------------------
        started = time.time()
        b1, r1 = run(1, "kcrashd_test=crash", 420)
        console = b1.text()
        crashed_at = b1.first("sysrq: Trigger a crash")
        capture_at = next(
            (t for t, line in b1.lines if "Linux version" in line and t > (crashed_at or 1e9)), None
        )
        TIMINGS.add(
            "capstone", f"boot 1: start to sysrq-c ({accel.name})", crashed_at, f"slot wait {b1.waited:.1f} s"
        )
        TIMINGS.add("capstone", "boot 1: sysrq-c to capture kernel start",
                    None if capture_at is None or crashed_at is None else capture_at - crashed_at)  # fmt: skip
        TIMINGS.add("capstone", "boot 1: sysrq-c to dump saved and reset",
                    None if crashed_at is None else b1.duration - crashed_at)  # fmt: skip
        assert not b1.timed_out, f"boot 1 timed out; console {work / 'console1.log'}"
        facts = read_json(r1 / "boot1.json")
        assert facts["kexec_crash_loaded"] == "1" and facts["kcrashd_active"], facts
        assert crashed_at is not None, f"no sysrq crash on the console ({work / 'console1.log'})"
        assert "kdump-save: done" in console, f"the capture kernel saved nothing ({work / 'console1.log'})"
        crash_window = (started, time.time())

        # --- boot 2: kcrashd journals and alerts the crash of boot 1 ----------------------------
        b2, r2 = run(2, "kcrashd_test=collect kcrashd_test_expect=1", 600)
        TIMINGS.add(
            "capstone", "boot 2: boot, journal, alert, collect", b2.duration, f"slot wait {b2.waited:.1f} s"
        )
        assert (r2 / "done").exists(), f"boot 2 collected nothing; console {work / 'console2.log'}"
        check_ready(r2)
        entries = read_json(r2 / "entries-boot.json")
        assert len(entries) == 1, entries  # exactly one kcrashd entry in `journalctl -b`
        entry = entries[0]
        assert entry["_SYSTEMD_UNIT"] == guest.UNIT and entry["SYSLOG_IDENTIFIER"] == "kcrashd"
        assert entry["KCRASHD_DUMP_DIR"].startswith("/var/crash/127.0.0.1-")
        assert entry["KCRASHD_LAYOUT"] == "rhel-kdump" and entry["KCRASHD_LOG_ORIGIN"] == "file"
        assert (entry["KCRASHD_KIND"], entry.get("KCRASHD_FUNCTION")) == ("sysrq", "sysrq_handle_crash")
        assert entry["KCRASHD_HOST"] == HOST and entry["KCRASHD_KERNEL"] == release
        assert entry["_BOOT_ID"].replace("-", "") == (r2 / "boot_id").read_text().strip().replace("-", "")
        # ... for the crash of the previous boot, which `journalctl -b -1` shows
        assert crash_window[0] - 5 <= when(entry["KCRASHD_CRASH_TIME"]) <= crash_window[1] + 5
        previous = (r2 / "prev-boot.txt").read_text()
        assert "capture kernel loaded; crashing now with sysrq-c" in previous, previous[-2000:]
        boots = [line for line in (r2 / "boots.txt").read_text().splitlines()[1:] if line.strip()]
        assert len(boots) == 2, boots  # the crashed boot and this one (the capture boot has no journal)
        explained = (r2 / "explain.txt").read_text()
        assert f"Subject: Kernel crash on {HOST}: {entry['KCRASHD_TITLE']}" in explained, explained
        assert f"kcrashd info {entry['KCRASHD_CRASH_ID']}" in explained
        info = read_json(r2 / f"info-{entry['KCRASHD_CRASH_ID']}.json")
        assert info["vmcore_state"] == "complete", info["vmcore_state"]
        vmcore = info["record"]["vmcore"]
        assert vmcore["complete"] and vmcore["kernel_release"] == release and vmcore["hostname"] == HOST
        assert [d["delivered"] is not None for d in info["deliveries"]] == [True], info["deliveries"]
        bodies = receiver.bodies()
        assert len(bodies) == 1, bodies  # the host receiver got exactly one alert
        assert bodies[0]["type"] == "kcrashd.crash.new"
        assert bodies[0]["data"]["fingerprint"] == entry["KCRASHD_FINGERPRINT"]
        assert bodies[0]["data"]["host"] == HOST

        # --- boot 3: nothing new ----------------------------------------------------------------
        b3, r3 = run(3, "kcrashd_test=collect kcrashd_test_expect=0 kcrashd_test_settle=20", 600)
        TIMINGS.add(
            "capstone", "boot 3: boot, settle 20 s, collect", b3.duration, f"slot wait {b3.waited:.1f} s"
        )
        assert (r3 / "done").exists(), f"boot 3 collected nothing; console {work / 'console3.log'}"
        check_ready(r3)
        assert read_json(r3 / "entries-boot.json") == []
        assert [e["KCRASHD_CRASH_ID"] for e in read_json(r3 / "entries-all.json")] == [
            entry["KCRASHD_CRASH_ID"]
        ]
        assert len(receiver.bodies()) == 1, receiver.bodies()
        listed = read_json(r3 / "list.json")
        assert [row["crash_id"] for row in listed] == [entry["KCRASHD_CRASH_ID"]]
        print(f"\ncapstone: entry {entry['MESSAGE']!r}; MESSAGE_ID {MESSAGE_ID}; consoles in {work}")
    finally:
        receiver.stop()
