"""`kcrashd run` with grouping rules: the daemon's worker processes triage with the rules of its
configuration, a reload (SIGHUP) gives new workers the new rules, and a bad rule file at reload
is refused with the old rules kept. A real daemon process, real lab dumps written the way kdump
writes them, the real (private) journald."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from kcrashd.sinks.journal import MESSAGE_ID
from tests.daemon.conftest import DaemonProcess, NotifySocket
from tests.daemon.dumps import write_rhel
from tests.fixtures.journald import Journald
from tests.grouping.rule_samples import INIT_EXIT, INIT_SIGNAL, LAB, MERGE_INIT, rule_key, write_etc

pytestmark = pytest.mark.journal


def key_of(journald: Journald, folder: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in journald.entries(MESSAGE_ID=MESSAGE_ID) if e.get("KCRASHD_DUMP_DIR") == str(folder)]
        if found:
            return found[0]["KCRASHD_FINGERPRINT"]
        time.sleep(0.1)
    raise AssertionError(f"{folder} was not journaled")


def test_daemon_triages_with_its_rules_and_reloads_them(journald: Journald, tmp_path: Path) -> None:
    notify_socket = NotifySocket(tmp_path / "notify.sock")
    main = write_etc(tmp_path, {"50-init.toml": MERGE_INIT})
    with main.open("a") as f:
        f.write("\n[kernel_journal]\nenabled = false\n")
    rule_file = main.parent / "grouping.d" / "50-init.toml"
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env.update(NOTIFY_SOCKET=str(notify_socket.path), PYTHONUNBUFFERED="1")
    proc = DaemonProcess(["--config", str(main)], env, tmp_path / "daemon.log")
    root = tmp_path / "crash"
    try:
        assert notify_socket.wait_for("READY=1"), proc.output()
        first = write_rhel(root, "10.0.0.1-2024-05-01-10:00:00", (LAB / INIT_EXIT / "vmcore-dmesg.txt").read_bytes())
        assert key_of(journald, first) == rule_key("init died"), proc.output()

        rule_file.write_text(MERGE_INIT.replace('key = "init died"', 'key = "init gone"'))
        proc.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: proc.output().count("configuration reloaded") == 1, proc)
        second = write_rhel(root, "10.0.0.2-2024-05-02-10:00:00", (LAB / INIT_SIGNAL / "vmcore-dmesg.txt").read_bytes())
        assert key_of(journald, second) == rule_key("init gone"), proc.output()

        rule_file.write_text('[[override]]\nname = "x"\nkey = "k"\nmatch = { title = "(a+)+" }\n')
        proc.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration NOT reloaded" in proc.output(), proc)
        assert f"{rule_file}:4: override.0.match.title: title pattern refused" in proc.output()
        third = write_rhel(root, "10.0.0.3-2024-05-03-10:00:00", (LAB / INIT_EXIT / "vmcore-dmesg.txt").read_bytes())
        assert key_of(journald, third) == rule_key("init gone"), proc.output()
    finally:
        code = proc.stop()
        notify_socket.close()
    assert code == 0, proc.output()


def wait_for(predicate, proc: DaemonProcess, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, proc.output()
        time.sleep(0.05)
