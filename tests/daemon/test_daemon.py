"""`kcrashd run` as systemd runs it: a subprocess with $NOTIFY_SOCKET (and $WATCHDOG_USEC), real
inotify (or forced polling) on dump folders written the way kdump writes them, a real journald."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.daemon.service import (
    COVERED,
    FOLLOW_LIMIT,
    NEW_WATCH,
    UNWATCHED,
    UNWATCHED_EVERY,
    Daemon,
    Watcher,
)
from kcrashd.sinks.journal import MESSAGE_ID
from kcrashd.sources.units import unit_for_path
from tests.daemon.conftest import KCRASHD, DaemonProcess, NotifySocket, run_cli
from tests.daemon.dumps import (
    LOG_NAMES,
    kdump_file,
    log_bytes,
    write_debian,
    write_file,
    write_rhel,
    write_suse,
)
from tests.fixtures.journal_double import RecordingJournal
from tests.fixtures.journald import Journald

pytestmark = pytest.mark.journal


def entries_under(journald: Journald, root: Path) -> list[dict[str, str]]:
    return [
        e for e in journald.entries(MESSAGE_ID=MESSAGE_ID) if e.get("KCRASHD_DUMP_DIR", "").startswith(str(root) + "/")
    ]


def wait_entries(journald: Journald, root: Path, count: int, timeout: float = 15.0) -> list[dict[str, str]]:
    deadline = time.monotonic() + timeout
    found = entries_under(journald, root)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        found = entries_under(journald, root)
    return found


def daemon_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["--dump-path", str(tmp_path / "crash"), "--state-dir", str(tmp_path / "state"),
            "--pstore-path", str(tmp_path / "pstore"), *extra]  # fmt: skip


def test_notify_protocol_and_live_crash(
    journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket  # type: ignore[no-untyped-def]
) -> None:
    root = tmp_path / "crash"
    root.mkdir()
    write_rhel(root, "127.0.0.1-2024-05-01-10:00:00", log_bytes())  # backlog
    env = {"NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": "400000"}
    proc: DaemonProcess = start_daemon(*daemon_args(tmp_path), env=env)
    assert notify_socket.wait_for("READY=1"), proc.output()
    assert any(line.startswith("STATUS=") for m in notify_socket.messages for line in m.splitlines())
    assert notify_socket.wait_for("WATCHDOG=1"), "no watchdog ping with WATCHDOG_USEC set"
    assert len(wait_entries(journald, root, 1)) == 1
    # a live crash, written the way kdump.sh writes it
    folder = write_rhel(root, "127.0.0.1-2024-05-02-10:00:00", log_bytes("edge/oom-panic"), finish_log=False, kexec_log=False)
    time.sleep(0.3)
    assert len(entries_under(journald, root)) == 1  # the incomplete name is not final
    os.rename(folder / "vmcore-dmesg-incomplete.txt", folder / "vmcore-dmesg.txt")
    found = wait_entries(journald, root, 2)
    assert len(found) == 2
    live = next(e for e in found if e["KCRASHD_DUMP_DIR"] == str(folder))
    assert live["KCRASHD_VMCORE_STATE"] == "absent"
    # the vmcore lands later: state is updated, no second entry
    write_file(folder / "vmcore-incomplete", kdump_file(nodename="late"))
    os.rename(folder / "vmcore-incomplete", folder / "vmcore")
    deadline = time.monotonic() + 10
    info = run_cli("info", "--state-dir", str(tmp_path / "state"), live["KCRASHD_CRASH_ID"])
    while "Vmcore: complete" not in info.stdout and time.monotonic() < deadline:
        notify_socket.drain()
        time.sleep(0.1)
        info = run_cli("info", "--state-dir", str(tmp_path / "state"), live["KCRASHD_CRASH_ID"])
    assert "Vmcore: complete" in info.stdout, info.stdout + proc.output()
    assert "node late" in info.stdout
    assert len(entries_under(journald, root)) == 2
    assert proc.stop() == 0, proc.output()
    assert notify_socket.wait_for("STOPPING=1")


def test_sighup_reload_keeps_old_config_when_invalid(
    journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket  # type: ignore[no-untyped-def]
) -> None:
    root = tmp_path / "crash"
    root.mkdir()
    second = tmp_path / "crash2"
    second.mkdir()
    config = tmp_path / "kcrashd.toml"
    config.write_text(f'[sources]\ndump_paths = ["{root}"]\npstore = false\n[state]\nstate_dir = "{tmp_path / "state"}"\n')
    proc: DaemonProcess = start_daemon("--config", str(config), env={"NOTIFY_SOCKET": str(notify_socket.path)})
    assert notify_socket.wait_for("READY=1")
    config.write_text("[sources]\ndump_paths = 42\n")
    proc.proc.send_signal(signal.SIGHUP)
    assert notify_socket.wait_for("RELOADING=1")
    time.sleep(0.3)
    assert proc.proc.poll() is None
    assert "configuration NOT reloaded" in proc.output()
    write_rhel(root, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
    assert len(wait_entries(journald, root, 1)) == 1  # still watching with the old settings
    config.write_text(
        f'[sources]\ndump_paths = ["{root}", "{second}"]\npstore = false\n[state]\nstate_dir = "{tmp_path / "state"}"\n'
    )
    proc.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "configuration reloaded" not in proc.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    write_rhel(second, "127.0.0.1-2024-05-02-10:00:00", log_bytes("edge/oom-panic"))
    assert len(wait_entries(journald, second, 1)) == 1, proc.output()
    assert proc.stop() == 0


def test_polling_mode_for_nfs(journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "crash"
    root.mkdir()
    config = tmp_path / "poll.toml"
    config.write_text(f'[sources]\npoll = true\npoll_interval = 0.3\ndump_paths = ["{root}"]\npstore = false\n')
    args = ["--config", str(config), "--state-dir", str(tmp_path / "state")]
    proc: DaemonProcess = start_daemon(*args, env={"NOTIFY_SOCKET": str(notify_socket.path)})
    assert notify_socket.wait_for("READY=1")
    write_debian(root, "10.0.0.5-202601210724", log_bytes(), dump=b"x")
    found = wait_entries(journald, root, 1)
    assert len(found) == 1 and found[0]["KCRASHD_LAYOUT"] == "debian-kdump-tools"
    assert proc.stop() == 0


def test_dump_server_many_hosts_at_once(journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket) -> None:  # type: ignore[no-untyped-def]
    """20 hosts' dumps arrive over ssh/NFS at the same time while the daemon runs."""
    root = tmp_path / "crash"
    root.mkdir()
    proc: DaemonProcess = start_daemon(*daemon_args(tmp_path), env={"NOTIFY_SOCKET": str(notify_socket.path)})
    assert notify_socket.wait_for("READY=1")

    def host(i: int) -> None:
        log = log_bytes(LOG_NAMES[i % 4])
        if i % 3 == 0:
            write_suse(root, f"node{i}-2024-05-01-10-{i:02d}", log, vmcore=b"v")
        elif i % 3 == 1:
            write_debian(root, f"10.2.0.{i}-2026012107{i:02d}", log, dump=b"d")
        else:
            write_rhel(root, f"10.3.0.{i}-2024-05-01-10:00:{i:02d}", log, vmcore=kdump_file(nodename=f"rhel{i}"), flat=True)

    threads = [threading.Thread(target=host, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = wait_entries(journald, root, 20, timeout=30)
    counts = Counter(e["KCRASHD_CRASH_ID"] for e in found)
    assert len(counts) == 20 and set(counts.values()) == {1}, proc.output()
    assert len({e["KCRASHD_HOST"] for e in found}) == 20
    assert proc.stop() == 0


def test_scan_and_run_together(journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "crash"
    root.mkdir()
    for i in range(15):
        write_rhel(root, f"10.4.0.{i}-2024-05-01-10:00:{i:02d}", log_bytes(LOG_NAMES[i % 6]))
    args = daemon_args(tmp_path)
    scans = [subprocess.Popen([str(KCRASHD), "scan", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    proc: DaemonProcess = start_daemon(*args, env={"NOTIFY_SOCKET": str(notify_socket.path)})
    for scan in scans:
        assert scan.wait(timeout=60) == 0, scan.stdout.read().decode(errors="replace") if scan.stdout else ""
    assert notify_socket.wait_for("READY=1")
    found = wait_entries(journald, root, 15)
    time.sleep(0.5)
    counts = Counter(e["KCRASHD_CRASH_ID"] for e in entries_under(journald, root))
    assert len(found) >= 15 and set(counts.values()) == {1} and len(counts) == 15
    assert proc.stop() == 0


def test_bad_config_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[sources]\nsettle_seconds = -1\n")
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 2
    assert "bad.toml:2" in result.stderr and "settle_seconds" in result.stderr


MAX_QUEUED = Path("/proc/sys/fs/inotify/max_queued_events")


def test_inotify_queue_overflow_triggers_a_rescan(
    journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket  # type: ignore[no-untyped-def]
) -> None:
    """The kernel drops inotify events when its queue is full: a daemon stopped (or starved) while
    many dumps arrive. Every dump must still be journaled, through a rescan after the overflow."""
    if os.geteuid() != 0:
        pytest.skip("needs root to lower fs.inotify.max_queued_events")
    root = tmp_path / "crash"
    root.mkdir()
    saved = MAX_QUEUED.read_text()
    MAX_QUEUED.write_text("16\n")  # read at inotify_init: only the daemon started now gets it
    try:
        proc: DaemonProcess = start_daemon(*daemon_args(tmp_path), env={"NOTIFY_SOCKET": str(notify_socket.path)})
        assert notify_socket.wait_for("READY=1"), proc.output()
    finally:
        MAX_QUEUED.write_text(saved)
    os.kill(proc.proc.pid, signal.SIGSTOP)
    try:
        for i in range(40):
            write_rhel(root, f"10.0.{i // 200}.{i % 200 + 1}-2024-05-01-10:00:00", log_bytes())
    finally:
        os.kill(proc.proc.pid, signal.SIGCONT)
    found = wait_entries(journald, root, 40, timeout=30)
    assert len(found) == 40, proc.output()
    assert "queue overflow" in proc.output()


def inotify_watches(pid: int) -> int:
    """Watches the process holds, from the kernel's view of its inotify descriptors."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) != "anon_inode:inotify":
                continue
            info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
        except OSError:
            continue
        count += sum(1 for line in info.splitlines() if line.startswith("inotify wd:"))
    return count


def wait_watches(pid: int, expected: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    count = inotify_watches(pid)
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        count = inotify_watches(pid)
    return count


def test_finished_dumps_hold_no_inotify_watch(journald: Journald, tmp_path: Path, start_daemon, notify_socket: NotifySocket) -> None:  # type: ignore[no-untyped-def]
    """A dump server with many finished dumps: one watch for the dump path, one per dump still being
    written, none for the rest (recursive watches would need one per folder)."""
    root = tmp_path / "crash"
    root.mkdir()
    old = time.time() - 3600
    for i in range(60):
        folder = write_rhel(root, f"10.0.1.{i}-2024-05-01-10:00:00", log_bytes(), vmcore=kdump_file(nodename=f"h{i}"))
        os.utime(folder, (old, old))
    config = tmp_path / "kcrashd.toml"
    # the kernel journal source's reader holds inotify watches of its own (one per journal
    # directory, docs/reboots.md): off here, the count below is the dump watches alone
    config.write_text(f'[sources]\ndump_paths = ["{root}"]\npstore = false\nincomplete_timeout = 8.0\n'
                      '[kernel_journal]\nenabled = false\n')  # fmt: skip
    proc: DaemonProcess = start_daemon("--config", str(config), "--state-dir", str(tmp_path / "state"),
                                       env={"NOTIFY_SOCKET": str(notify_socket.path)})  # fmt: skip
    assert notify_socket.wait_for("READY=1")
    assert len(wait_entries(journald, root, 60)) == 60
    assert wait_watches(proc.proc.pid, 1) == 1, "finished dumps must not be watched"
    # a live dump is watched while it is written, so its final rename is seen at once
    folder = write_rhel(root, "10.0.2.1-2024-05-02-10:00:00", log_bytes("edge/oom-panic"), finish_log=False, kexec_log=False)
    assert wait_watches(proc.proc.pid, 2) == 2, proc.output()
    os.rename(folder / "vmcore-dmesg-incomplete.txt", folder / "vmcore-dmesg.txt")
    assert len(wait_entries(journald, root, 61, timeout=1.5)) == 61, "the rename was not seen at once"
    # journaled with no vmcore yet: not watched, but looked at again while the folder is recent;
    # a vmcore being written is then watched until its final rename
    write_file(folder / "vmcore-incomplete", kdump_file(nodename="late"))
    assert wait_watches(proc.proc.pid, 2, timeout=15.0) == 2, proc.output()
    os.rename(folder / "vmcore-incomplete", folder / "vmcore")
    deadline = time.monotonic() + 2.0
    info = run_cli("info", "--state-dir", str(tmp_path / "state"), str(folder))
    while "node late" not in info.stdout and time.monotonic() < deadline:
        time.sleep(0.1)
        info = run_cli("info", "--state-dir", str(tmp_path / "state"), str(folder))
    assert "node late" in info.stdout, info.stdout
    assert wait_watches(proc.proc.pid, 1) == 1, proc.output()
    assert len(entries_under(journald, root)) == 61
    assert proc.stop() == 0, proc.output()


def test_watcher_follows_at_most_its_limit_and_survives_deleted_folders(tmp_path: Path) -> None:
    """Unfinished folders beyond the limit rely on their timers; a followed folder that is deleted
    is released without an error."""
    root = tmp_path / "crash"
    root.mkdir()
    config = Config(sources=SourcesConfig(dump_paths=[root], pstore=False), state=StateConfig(state_dir=tmp_path / "state"))
    seen: list[Path] = []
    watcher = Watcher(config, seen.append)
    try:
        folders = [root / f"10.0.0.{i}-2024-05-01-10:00:00" for i in range(FOLLOW_LIMIT + 5)]
        for folder in folders:
            folder.mkdir()
        results = [watcher.follow(folder) for folder in folders]
        assert results == [NEW_WATCH] * FOLLOW_LIMIT + [UNWATCHED] * 5
        assert watcher.follow(folders[0]) == COVERED  # already followed
        assert watcher.follow(tmp_path) == COVERED  # not a dump folder: the pstore watch is recursive
        assert inotify_watches(os.getpid()) == 1 + FOLLOW_LIMIT
        write_file(folders[0] / "vmcore-dmesg.txt", b"x")
        deadline = time.monotonic() + 5
        while folders[0] / "vmcore-dmesg.txt" not in seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert folders[0] / "vmcore-dmesg.txt" in seen
        folders[1].rmdir()
        time.sleep(0.2)
        for folder in folders:
            watcher.release(folder)
        assert inotify_watches(os.getpid()) == 1
        assert watcher.follow(folders[-1]) == NEW_WATCH  # room again
    finally:
        watcher.stop()


def test_an_unfinished_folder_no_watch_could_take_is_looked_at_often(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over the watch limit, a dump being written is looked at every few seconds rather than
    waiting for its incomplete_timeout."""
    root = tmp_path / "crash"
    root.mkdir()
    folder = write_rhel(root, "127.0.0.1-2024-05-02-10:00:00", log_bytes(), finish_log=False)
    monkeypatch.setattr("kcrashd.daemon.service.FOLLOW_LIMIT", 0)
    daemon = Daemon(None, {"sources": {"dump_paths": [str(root)], "pstore": False}, "state": {"state_dir": str(tmp_path / "state")}},
                    journal=RecordingJournal(), clock=lambda: 1000.0)  # fmt: skip
    daemon.open()
    daemon.watcher = Watcher(daemon.config, daemon.push_path)
    try:
        unit = unit_for_path(folder, daemon.config.sources)
        assert unit is not None
        outcome = daemon.process(unit)
        assert outcome.action == "waiting" and outcome.watch
        assert daemon.schedule.next_at() == 1000.0 + UNWATCHED_EVERY
    finally:
        daemon.close()
