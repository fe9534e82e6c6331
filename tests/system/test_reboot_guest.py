"""Every reboot explained, in a real systemd guest (docs/reboots.md): four boots of one Debian 12 disk
with a persistent journal (SyncIntervalSec=1s) and kcrashd installed as packaged (the capstone's
guest, tests/system/guest.py).

Boot 1 (`kcrashd_reboot=reports`, no crashkernel=: kdump not armed): the lab module makes the kernel
print a WARNING and a NULL-pointer oops it survives (panic_on_oops=0); kcrashd journals both from
the running boot's kernel messages; then the host resets the machine with QEMU's `system_reset`
(monitor): no shutdown, no dump.
Boot 2 (`collect`, capture window 30 s, crashkernel=256M: kdump armed by kdump-tools.service, an
i6300esb watchdog device with `-action watchdog=reset`): kcrashd journals boot 1's end as an
unexplained reboot with its facts (kdump not armed, no hardware watchdog), and the two reports of
boot 1 are not journaled again; the host injects a corrected machine check (QEMU's `mce`), which
the kernel logs; then the guest opens /dev/watchdog, pets it once and stops: the hardware
watchdog resets the machine, and the armed kdump saves nothing.
Boot 3 (`collect`): boot 2's end is an unexplained reboot whose facts are the hardware watchdog,
the machine check, the crashkernel reservation and kdump armed; then a clean poweroff.
Boot 4 (`collect`, 20 s settle): nothing new.
The host receiver gets the pages: the oops and the first unexplained reboot (a survived WARNING
does not page by default; the second unexplained reboot is the same host's recurring bug, in
cooldown). Selected by `pytest tests/system -k reboot`.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lab.build import cache_root as lab_cache
from lab.build import prepare
from lab.errors import LabUnavailable
from lab.kernels import DEFAULT_KERNEL, kernel_named
from lab.vm import QEMU, select_accel
from tests.alerting.servers import free_port
from tests.packaging.nspawn import Root, build_wheelhouse, missing_tools
from tests.system import guest
from tests.system.chain import Receiver
from tests.system.timings import TIMINGS

pytestmark = [pytest.mark.system, pytest.mark.timeout(1500)]

HOST = "kcrashd-reboot-guest"
APPEND = "root=/dev/vda rw console=ttyS0,115200 panic=-1 systemd.show_status=auto"
GUEST_FILES = Path(__file__).with_name("guest")
KERNEL_REPORT = "0a09995eece647e48d703b45066638ac"
RESET_ME = "host, reset me now (system_reset)"  # printed by kcrashd-reboot-test
MCE_ME = "host, inject a corrected machine check now (mce)"  # printed by kcrashd-reboot-test
MCE = "mce 0 1 0x9000000000000000 0 0 0"  # CPU 0, bank 1: valid, enabled, corrected (no UC bit)
WATCHDOG = ("-device", "i6300esb", "-action", "watchdog=reset")
WATCHDOG_FACT = "hardware watchdog messages"
ARMED_FACTS = ("machine check (MCE) records", "crashkernel memory reserved", "kdump armed: kdump-tools.service started")


def read_json(path: Path) -> Any:
    assert path.exists(), f"the guest did not write {path.name}"
    return json.loads(path.read_text())


def lab_module(release: str, dest: Path) -> Path:
    """The lab module for the guest's kernel, copied under the lab's build lock (another checkout
    with other lab sources may rebuild the cached module at any time)."""
    try:
        ingredients = prepare(kernel_named(DEFAULT_KERNEL), log=lambda _m: None)
    except (LabUnavailable, OSError) as err:
        pytest.skip(f"reboot guest: the lab module cannot be built ({err})")
    if ingredients.release != release:
        pytest.skip(f"reboot guest: lab kernel {ingredients.release} is not the guest's {release}")
    with (ingredients.root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ingredients.module.exists():
            pytest.skip("reboot guest: the lab module is being rebuilt by another run")
        shutil.copy2(ingredients.module, dest)
    return dest


@pytest.fixture(scope="module")
def reboot_disk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    reason = missing_tools()
    for tool in (QEMU, "mkfs.ext4"):
        if reason is None and shutil.which(tool) is None:
            reason = f"{tool} not installed (tests/system/apt-packages.txt)"
    if reason:
        pytest.skip(f"reboot guest: {reason}")
    work = tmp_path_factory.mktemp("reboot-guest")
    with TIMINGS.stage("reboot", "guest root (cached), wheelhouse, install, mkfs"):
        image = guest.build_image(work / "mmdebstrap.log")
        build_wheelhouse(work / "wheelhouse")
        root = Root(image, work / "overlay")
        try:
            vmlinuz, initrd = guest.kernel_of(root.path)
            release = vmlinuz.name.removeprefix("vmlinuz-")
            module = lab_module(release, work / "kcrashd_lab.ko")
            guest.install_kcrashd(root, work / "wheelhouse", HOST)
            root.install(GUEST_FILES / "60-reboot-test.toml", "/etc/kcrashd/kcrashd.d/60-reboot-test.toml")
            root.install(GUEST_FILES / "60-reboot-sync.conf", "/etc/systemd/journald.conf.d/60-reboot-sync.conf")
            root.install(GUEST_FILES / "kcrashd-reboot-test", "/usr/local/sbin/kcrashd-reboot-test", mode=0o755)
            root.install(module, "/usr/local/lib/kcrashd_lab.ko")
            root.install(GUEST_FILES / "kcrashd-reboot-test.service", "/etc/systemd/system/kcrashd-reboot-test.service")
            root.run("systemctl", "enable", "kcrashd-reboot-test.service")
            # the capstone's kdump loader under Debian's unit name (what the kdump fact looks for),
            # alone: its crash unit would pull in the original too (two kexec -p at once: EBUSY)
            root.run("systemctl", "disable", "kdump-load.service", "kcrashd-test-crash.service")
            root.install(GUEST_FILES / "kdump-load.service", "/etc/systemd/system/kdump-tools.service")
            root.run("systemctl", "enable", "kdump-tools.service")
            guest.make_disk(root.path, work / "disk.raw")
            shutil.copy2(vmlinuz, work / "vmlinuz")
            shutil.copy2(initrd, work / "initrd.img")
        finally:
            root.close()
    yield work
    (work / "disk.raw").unlink(missing_ok=True)


def check_unexplained(results: Path, boot: str, host_seconds: float, uptime_after: float) -> dict[str, str]:
    """The one unexplained-reboot entry of the boot before `results`' boot, with its facts."""
    assert (results / "done").exists(), f"{results.name}: the guest collected nothing"
    [reboot] = read_json(results / "reboots-boot.json")
    assert reboot["KCRASHD_BOOT_ID"] == boot and reboot["KCRASHD_KIND"] == "unexplained-reboot"
    assert "pstore: empty" in reboot["KCRASHD_HINTS"], reboot["KCRASHD_HINTS"]
    assert float(reboot["KCRASHD_UPTIME"]) >= uptime_after - 1
    info = next(results.glob("info-*.txt")).read_text()
    assert f"Boot: {boot}" in info and "Last kernel lines:" in info, info
    assert f"Subject: Unexplained reboot of {HOST}" in (results / "explain.txt").read_text()
    assert read_json(results / "reports-boot.json") == []  # boot 1's reports were not journaled again
    exported = (results / "prev-boot.export").stat().st_size  # the reset boot as export data
    assert exported > 0, (results / "prev-boot.err").read_text()
    from_boot = int(reboot["__MONOTONIC_TIMESTAMP"]) / 1e6
    TIMINGS.add("reboot", f"{results.name}: boot to unexplained-reboot entry (capture window 30 s)", from_boot)
    print(f"\nreboot guest: {results.name}: boot -> unexplained-reboot entry {from_boot:.1f} s (host run {host_seconds:.1f} s)")
    return dict(reboot)


def distinct(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One body per delivery id, as docs/webhook-schema.md tells receivers: kcrashd delivers at
    least once, and a reset that loses the outbox's "done" (NORMAL durability) sends it again
    with the same `id` after the reboot."""
    return list({body["id"]: body for body in bodies}.values())


def test_reboot_reports_and_unexplained_reset_in_a_real_guest(reboot_disk: Path) -> None:
    work = reboot_disk
    accel = select_accel(work / "vmlinuz", lab_cache(), log=lambda _m: None)
    receiver = Receiver(free_port())

    def run(n: int, extra: str, timeout: float, **qemu: Any) -> tuple[guest.Boot, Path]:
        results = work / f"results{n}"
        booted = guest.boot(f"reboot{n}", work / "disk.raw", work / "vmlinuz", work / "initrd.img",
                            f"{APPEND} {extra}", results, receiver.server.port, accel, work / f"console{n}.log", timeout,
                            **qemu)  # fmt: skip
        TIMINGS.add("reboot", f"boot {n}: {extra}", booted.duration, f"slot wait {booted.waited:.1f} s")
        assert not booted.timed_out, f"boot {n} timed out; console {work / f'console{n}.log'}"
        return booted, results

    try:
        # --- boot 1: a WARNING and an oops survived, journaled live; then QEMU's system_reset -------
        _, r1 = run(1, "kcrashd_reboot=reports", 420, monitor_on={RESET_ME: "system_reset"})
        assert "(host) monitor: system_reset" in (work / "console1.log").read_text()
        boot1 = read_json(r1 / "boot1.json")
        assert boot1["panic_on_oops"] == "0" and boot1["kexec_crash_loaded"] == "0", boot1
        live = {e["KCRASHD_KIND"]: e for e in boot1["entries"]}
        assert sorted(live) == ["null-deref", "warning"], boot1["entries"]
        for entry in live.values():
            assert entry["KCRASHD_BOOT_ID"] == boot1["boot_id"] and entry["KCRASHD_SURVIVED"] == "1"
            assert entry["_SYSTEMD_UNIT"] == guest.UNIT
        assert live["warning"]["KCRASHD_FUNCTION"] == "lab_trigger_warning"
        assert live["null-deref"]["KCRASHD_FUNCTION"] == "lab_trigger_null_deref"

        # --- boot 2: boot 1 was an unexplained reboot; then the hardware watchdog resets boot 2 ------
        b2, r2 = run(2, "kcrashd_reboot=collect kcrashd_reboot_expect=1 kcrashd_reboot_end=watchdog i6300esb.heartbeat=10"
                     " crashkernel=256M", 600, devices=WATCHDOG, monitor_on={MCE_ME: MCE})  # fmt: skip
        first = check_unexplained(r2, boot1["boot_id"], b2.duration, boot1["uptime_after"])
        assert "kdump not armed" in first["KCRASHD_HINTS"], first["KCRASHD_HINTS"]
        assert not [f for f in (WATCHDOG_FACT, *ARMED_FACTS) if f in first["KCRASHD_HINTS"]], first["KCRASHD_HINTS"]
        assert "lab_trigger" in first["KCRASHD_LAST_LINES"] or "kcrashd" in first["KCRASHD_LAST_LINES"]
        assert len(read_json(r2 / "reports-all.json")) == 2
        assert b2.first("hardware watchdog armed") is not None, f"no watchdog; console {work / 'console2.log'}"
        boot2 = read_json(r2 / "facts.json")
        assert boot2["kexec_crash_loaded"] == "1" and boot2["mce"], boot2  # kdump armed; the kernel logged the MCE

        # --- boot 3: boot 2's end is an unexplained reboot with the hardware watchdog as a fact ------
        b3, r3 = run(3, "kcrashd_reboot=collect kcrashd_reboot_expect=1", 600)
        second = check_unexplained(r3, boot2["boot_id"], b3.duration, boot2["uptime_done"])
        assert all(f in second["KCRASHD_HINTS"] for f in (WATCHDOG_FACT, *ARMED_FACTS)), second["KCRASHD_HINTS"]
        assert b"i6300ESB timer" in (r3 / "prev-boot.export").read_bytes()
        # the second unexplained reboot of this host is the same recurring bug (one fingerprint per
        # host): counted, not paged again within cooldown_hours
        kinds = sorted(body["data"]["kind"] for body in distinct(receiver.bodies()))
        assert kinds == ["null-deref", "unexplained-reboot"], receiver.bodies()

        # --- boot 4: boot 3 powered off cleanly: nothing new -----------------------------------------
        _, r4 = run(4, "kcrashd_reboot=collect kcrashd_reboot_expect=0 kcrashd_reboot_settle=20", 600)
        assert (r4 / "done").exists(), f"boot 4 collected nothing; console {work / 'console4.log'}"
        assert read_json(r4 / "reboots-boot.json") == [] and read_json(r4 / "reports-boot.json") == []
        assert len(read_json(r4 / "reboots-all.json")) == 2 and len(read_json(r4 / "reports-all.json")) == 2
        assert len(distinct(receiver.bodies())) == 2, receiver.bodies()
        print(f"reboot guest: consoles and results in {work}")
    finally:
        receiver.stop()
