"""kcrashd.service under a real systemd: a Debian 12 container booted with systemd-nspawn.

kcrashd is installed the way the bundled package lays it out (a venv in /usr/lib/kcrashd from
a wheelhouse built on the host, /usr/bin/kcrashd linking into it) with the shipped unit,
tmpfiles entry, catalog and configuration. A root-owned 0600 RHEL-layout dump waits in
/var/crash before boot, as after a real crash. The tests run in order against one boot:
READY, the journal entry with its catalog text, the sandbox, reload, kill -9 and restart
(exactly once), a second dump while running, the watchdog, doctor, and a clean stop.

The root is built once (nspawn_image.py, about 25 s with a nearby mirror) and cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.packaging import nspawn_image
from tests.packaging.conftest import REPO
from tests.packaging.nspawn import Container, Root, build_wheelhouse, missing_tools

pytestmark = [pytest.mark.nspawn, pytest.mark.timeout(600)]

MESSAGE_ID = "8ba1b929042d454e9288788366b0e336"  # kcrashd.sinks.journal.MESSAGE_ID
DATA = Path(__file__).with_name("data") / "rhel8-sysrq"
FIRST = "/var/crash/127.0.0.1-2020-04-28-01:31:54"
SECOND = "/var/crash/127.0.0.1-2020-04-29-08:15:02"
UNIT = "kcrashd.service"


def place_dump(root: Path, directory: str) -> Path:
    """A crash directory as kdump leaves it: root-owned, 0700, vmcore-dmesg.txt 0600."""
    crash = root / directory.lstrip("/")
    tmp = crash.with_name("." + crash.name + ".tmp")
    tmp.mkdir(mode=0o700, parents=True)
    log = tmp / "vmcore-dmesg.txt"
    shutil.copyfile(DATA / "vmcore-dmesg.txt", log)
    log.chmod(0o600)
    os.chown(tmp, 0, 0)
    os.chown(log, 0, 0)
    tmp.rename(crash)  # appears complete, as a rename inside the dump path
    return crash


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    image = nspawn_image.build_image()
    image_seconds = time.monotonic() - started
    work = Path(tempfile.mkdtemp(prefix="kcrashd-nspawn-"))
    wheels = build_wheelhouse(work / "wheelhouse")
    assert any(w.name.startswith("kcrashd-") for w in wheels)
    root = Root(image, work / "overlay")
    box: Container | None = None
    try:
        root.run("python3", "-m", "venv", "/usr/lib/kcrashd")
        root.run(
            "/usr/lib/kcrashd/bin/pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            "/wheelhouse",
            "--disable-pip-version-check",
            "kcrashd",
            binds=[(work / "wheelhouse", "/wheelhouse")],
        )
        (root.path / "usr/bin/kcrashd").symlink_to("../lib/kcrashd/bin/kcrashd")
        root.install(REPO / "systemd/kcrashd.service", "/usr/lib/systemd/system/kcrashd.service")
        root.install(REPO / "systemd/kcrashd.tmpfiles", "/usr/lib/tmpfiles.d/kcrashd.conf")
        root.install(REPO / "systemd/kcrashd.catalog", "/usr/lib/systemd/catalog/kcrashd.catalog")
        root.install(REPO / "etc/kcrashd/kcrashd.toml", "/etc/kcrashd/kcrashd.toml")
        (root.path / "etc/kcrashd/kcrashd.d").mkdir()
        root.run("journalctl", "--update-catalog")
        # systemctl enable, as an admin would after installing the package
        wants = root.path / "etc/systemd/system/multi-user.target.wants"
        wants.mkdir(parents=True, exist_ok=True)
        (wants / UNIT).symlink_to(f"/usr/lib/systemd/system/{UNIT}")
        (root.path / "var/log/journal").mkdir(parents=True, exist_ok=True)  # persistent journal
        (root.path / "var/crash").mkdir(mode=0o700, exist_ok=True)
        place_dump(root.path, FIRST)
        boot_started = time.monotonic()
        box = Container(root, work / "console.log")
        state = box.wait_booted()
        print(
            f"\nimage {image_seconds:.1f} s (cached: {nspawn_image.image_ready()}), "
            f"install {boot_started - started - image_seconds:.1f} s, "
            f"boot {time.monotonic() - boot_started:.1f} s, system {state}"
        )
        yield box
    finally:
        code = 0
        try:
            if box is not None:
                code = box.poweroff()
        finally:
            root.close()
            shutil.rmtree(work, ignore_errors=True)
        assert code == 0, f"container exited {code}"


def journal_entries(box: Container, *matches: str) -> list[dict[str, object]]:
    out = box.run("journalctl", "--no-pager", "-o", "json", f"MESSAGE_ID={MESSAGE_ID}", *matches).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_entries(box: Container, count: int, timeout: float = 60) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    entries = journal_entries(box)
    while len(entries) < count and time.monotonic() < deadline:
        time.sleep(0.5)
        entries = journal_entries(box)
    return entries


def main_pid(box: Container) -> int:
    return int(box.show(UNIT, "MainPID")["MainPID"])


def digest(box: Container, path: str) -> str:
    return box.run("sh", "-c", f"stat -c '%U:%G %a %s %Y' '{path}' && sha256sum '{path}'").stdout


def test_service_reached_ready(container: Container) -> None:
    state = container.wait_for(UNIT, "SubState", "running", timeout=60)
    assert state["ActiveState"] == "active", container.run("journalctl", "-u", UNIT, "--no-pager").stdout
    assert state["StatusText"], "the daemon sends STATUS= with READY=1"
    props = container.show(UNIT, "Type", "NotifyAccess", "WatchdogUSec", "NRestarts")
    assert props["Type"] == "notify"
    assert props["NRestarts"] == "0"
    assert props["WatchdogUSec"] != "0"


def test_backlog_dump_is_journalled_with_catalog(container: Container) -> None:
    entries = wait_entries(container, 1)
    assert len(entries) == 1, container.run("journalctl", "-u", UNIT, "--no-pager").stdout
    entry = entries[0]
    assert entry["_SYSTEMD_UNIT"] == UNIT
    assert entry["SYSLOG_IDENTIFIER"] == "kcrashd"
    assert FIRST in str(entry["KCRASHD_DUMP_DIR"])
    assert entry["KCRASHD_LAYOUT"]
    assert entry["KCRASHD_KERNEL"] == "4.18.0-147.3.1.el8_1.x86_64"
    for field in ("KCRASHD_CRASH_ID", "KCRASHD_FINGERPRINT", "KCRASHD_TITLE", "KCRASHD_KIND", "PRIORITY"):
        assert entry.get(field), field
    explained = container.run(
        "journalctl",
        "--no-pager",
        "-x",
        f"MESSAGE_ID={MESSAGE_ID}",
        f"KCRASHD_CRASH_ID={entry['KCRASHD_CRASH_ID']}",
    ).stdout
    assert f"Subject: Kernel crash on {entry['KCRASHD_HOST']}: {entry['KCRASHD_TITLE']}" in explained
    assert f"kcrashd info {entry['KCRASHD_CRASH_ID']}" in explained


def test_sandbox(container: Container) -> None:
    pid = main_pid(container)
    status = container.run("cat", f"/proc/{pid}/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Uid"].split()[0] != "0"
    assert fields["CapEff"].strip() == "0000000000000004"  # CAP_DAC_READ_SEARCH only
    assert fields["CapBnd"].strip() == "0000000000000004"
    assert fields["NoNewPrivs"].strip() == "1"
    assert fields["Seccomp"].strip() == "2"
    props = container.show(
        UNIT, "ProtectSystem", "ReadOnlyPaths", "DynamicUser", "PrivateUsers", "StateDirectory"
    )
    assert props["ProtectSystem"] == "strict"
    assert "/var/crash" in props["ReadOnlyPaths"]
    assert props["DynamicUser"] == "yes"
    # inside the service's mount namespace even root cannot write the dump path
    probe = container.run("nsenter", "-t", str(pid), "-m", "touch", f"{FIRST}/probe", check=False)
    assert probe.returncode != 0
    assert "Read-only file system" in probe.stderr
    writable = container.run(
        "nsenter", "-t", str(pid), "-m", "sh", "-c", "touch /var/lib/kcrashd/.probe", check=False
    )
    assert writable.returncode == 0, writable.stderr
    # the dump is untouched: owner, mode, size, mtime and content as kdump left them
    before = (DATA / "vmcore-dmesg.txt").read_bytes()
    seen = digest(container, f"{FIRST}/vmcore-dmesg.txt")
    assert seen.startswith("root:root 600 ")
    assert hashlib.sha256(before).hexdigest() in seen
    listing = container.run("ls", "-A", FIRST).stdout.split()
    assert listing == ["vmcore-dmesg.txt"]


def test_reload_keeps_the_process(container: Container) -> None:
    pid = main_pid(container)
    container.run("systemctl", "reload", UNIT)
    time.sleep(1)
    state = container.show(UNIT, "ActiveState", "SubState", "MainPID")
    assert (state["ActiveState"], state["MainPID"]) == ("active", str(pid))


def test_kill_9_restarts_and_journals_once(container: Container) -> None:
    pid = main_pid(container)
    container.run("kill", "-9", str(pid))
    # Restart=on-failure, RestartSec=10s in the shipped unit
    state = container.wait_for(UNIT, "NRestarts", "1", timeout=40)
    assert state["NRestarts"] == "1"
    state = container.wait_for(UNIT, "SubState", "running", timeout=30)
    assert state["ActiveState"] == "active"
    assert int(state["MainPID"]) not in (0, pid)
    time.sleep(3)  # the restarted daemon has rescanned the backlog
    assert len(journal_entries(container)) == 1, "a restart must not journal the same crash again"


def test_new_dump_while_running(container: Container) -> None:
    place_dump(container.root.path, SECOND)
    entries = wait_entries(container, 2)
    assert len(entries) == 2
    assert SECOND in str(entries[-1]["KCRASHD_DUMP_DIR"])
    assert entries[-1]["KCRASHD_FINGERPRINT"] == entries[0]["KCRASHD_FINGERPRINT"]


def test_watchdog(container: Container) -> None:
    dropin = container.root.path / f"etc/systemd/system/{UNIT}.d/50-test-watchdog.conf"
    dropin.parent.mkdir(parents=True, exist_ok=True)
    dropin.write_text("[Service]\nWatchdogSec=3s\nRestartSec=1s\nTimeoutAbortSec=2s\n")
    try:
        container.run("systemctl", "daemon-reload")
        container.run("systemctl", "restart", UNIT)
        pid = main_pid(container)
        time.sleep(8)  # well past 3 s: the daemon keeps pinging
        state = container.show(UNIT, "ActiveState", "MainPID")
        assert (state["ActiveState"], state["MainPID"]) == ("active", str(pid))
        container.run("kill", "-STOP", str(pid))  # alive but silent
        deadline = time.monotonic() + 30
        log = ""
        while time.monotonic() < deadline and "Watchdog timeout" not in log:
            time.sleep(1)
            log = container.run("journalctl", "-u", UNIT, "--no-pager", "-q").stdout
        assert "Watchdog timeout" in log
        state = container.wait_for(UNIT, "SubState", "running", timeout=30)
        assert state["ActiveState"] == "active"
        assert int(state["MainPID"]) != pid
    finally:
        dropin.unlink()
        container.run("systemctl", "daemon-reload")
        container.run("systemctl", "restart", UNIT)
    assert len(journal_entries(container)) == 2


def test_bad_config_is_refused(container: Container) -> None:
    """A bad drop-in: reload keeps the running daemon, a restart refuses to start, with file:line."""
    bad = container.root.path / "etc/kcrashd/kcrashd.d/99-bad.toml"
    bad.write_text("[sources]\npoll_interval = -1\n")
    try:
        pid = main_pid(container)
        check = container.run("kcrashd", "check-config", check=False)
        assert check.returncode == 1
        assert "/etc/kcrashd/kcrashd.d/99-bad.toml:2" in check.stderr
        container.run("systemctl", "reload", UNIT, check=False)
        time.sleep(2)
        state = container.show(UNIT, "ActiveState", "MainPID")
        assert (state["ActiveState"], state["MainPID"]) == ("active", str(pid))
        container.run("journalctl", "--rotate", check=False)
        started = container.run("systemctl", "restart", UNIT, check=False)
        assert started.returncode != 0
        log = container.run("journalctl", "-u", UNIT, "--no-pager", "-q", "-n", "50").stdout
        assert "99-bad.toml:2" in log
    finally:
        bad.unlink()
        container.run("systemctl", "reset-failed", UNIT, check=False)
        container.run("systemctl", "restart", UNIT)
    assert container.wait_for(UNIT, "SubState", "running")["ActiveState"] == "active"


def test_admin_verbs_inside(container: Container) -> None:
    assert container.run("kcrashd", "check-config", "-q").returncode == 0
    doctor = container.run("kcrashd", "doctor", "--json", check=False)
    findings = {f["check"]: f for f in json.loads(doctor.stdout)["findings"]}
    assert findings["kcrashd service"]["status"] == "ok"
    assert findings["kdump service"]["status"] == "fail"  # no kdump in the container
    assert doctor.returncode == 1


def test_clean_stop(container: Container) -> None:
    container.run("systemctl", "stop", UNIT)
    state = container.show(UNIT, "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    assert state["ActiveState"] == "inactive"
    assert state["Result"] == "success"
    log = container.run("journalctl", "-u", UNIT, "--no-pager", "-q", "-b").stdout
    assert "Traceback" not in log
