"""Every dump folder ends in exactly one journal entry (a real private journald), "cannot read"
included; a folder renamed within a dump path is the crash already journaled; a warning about a
folder is logged once, not on every rescan."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import SystemdJournal
from kcrashd.sources.units import DumpState, classify_name, judge, scan_all
from kcrashd.store.database import Store
from tests.daemon.conftest import KCRASHD
from tests.daemon.dumps import log_bytes, write_file, write_rhel
from tests.fixtures.journald import Journald

SECRET = "kcrashd-outcome-secret-41c9"


class Rig:
    """A dump path, a state directory and a pipeline writing to the real journal."""

    def __init__(self, tmp_path: Path) -> None:
        self.dumps = tmp_path / "crash"
        self.dumps.mkdir()
        state = tmp_path / "state"
        self.config = Config(sources=SourcesConfig(dump_paths=[self.dumps], pstore=False), state=StateConfig(state_dir=state))
        self.store = Store(state)
        self.lock = StateLock(state)
        self.pipeline = Pipeline(self.config, self.store, SystemdJournal(), self.lock)

    def scan(self) -> dict[str, str]:
        return {unit.path.name: self.pipeline.handle(unit).action for unit in scan_all(self.config.sources)}

    def close(self) -> None:
        self.store.close()
        self.lock.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path)
    yield made
    made.close()


def make_log(folder: Path, kind: str, outside: Path) -> None:
    log = folder / "vmcore-dmesg.txt"
    if kind == "symbolic link":
        log.symlink_to(outside)
    elif kind == "FIFO":
        os.mkfifo(log)
    elif kind == "character device":
        try:
            os.mknod(log, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
        except PermissionError:
            pytest.skip("making a device node needs root")
    else:
        log.mkdir()


KINDS = ("symbolic link", "FIFO", "character device", "directory")


@pytest.mark.journal
def test_log_that_is_not_a_regular_file_is_journaled_once_as_cannot_read(
    journald: Journald, rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_bytes(log_bytes().replace(b"sysrq triggered crash", SECRET.encode()))
    names = {kind: f"10.0.0.{index}-2024-05-01-10:00:00" for index, kind in enumerate(KINDS, 1)}
    for kind, name in names.items():
        folder = rig.dumps / name
        folder.mkdir()
        make_log(folder, kind, outside)
        write_file(folder / "kexec-dmesg.log", b"[Tue Oct 27 17:04:25 2020] kdump: saving vmcore complete\n")
    assert rig.scan() == dict.fromkeys(names.values(), "journaled")  # not waiting for ever
    assert rig.scan() == dict.fromkeys(names.values(), "known")
    for kind, name in names.items():
        entries = journald.wait_for(1, KCRASHD_DUMP_DIR=str(rig.dumps / name))
        assert len(entries) == 1, kind
        entry = entries[0]
        assert entry["KCRASHD_ERROR"] == f"cannot read: vmcore-dmesg.txt is a {kind}"
        assert f"vmcore-dmesg.txt is a {kind} (refused)" in entry["KCRASHD_PROBLEMS"]
        assert entry["KCRASHD_INCOMPLETE"] == "1" and entry["KCRASHD_LOG_ORIGIN"] == "none"
        assert SECRET not in str(entry)
        lines = [r for r in caplog.records if name in r.getMessage() and "cannot read" in r.getMessage()]
        assert len(lines) == 1, (kind, [r.getMessage() for r in lines])


def test_unreadable_folder_waits_then_is_cannot_read() -> None:
    """A folder that cannot be opened (EACCES: not labelled yet, root squash) is retried while it
    changes, then journaled once as "cannot read" (root cannot be refused here: judged directly)."""
    unit = classify_name("10.0.0.1-2024-05-01-10:00:00", Path("/var/crash"))
    assert unit is not None
    state = DumpState(unit=unit, dev=1, ino=2, unreadable="Permission denied", newest_mtime=1000.0)
    waiting = judge(state, 1000.0 + 60, settle=2.0, timeout=600.0)
    assert not waiting.ready and waiting.retry_at == 1600.0
    ready = judge(state, 1000.0 + 601, settle=2.0, timeout=600.0)
    assert ready.ready and ready.incomplete and ready.reason == "cannot read: Permission denied"


@pytest.mark.journal
def test_folder_that_cannot_be_opened_is_journaled_once(journald: Journald, tmp_path: Path) -> None:
    """`kcrashd scan` as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (like a ssh account's
    0700 folder for the packaged daemon): a folder it cannot open, quiet for longer than
    `incomplete_timeout`, is journaled once as "cannot read: Permission denied"."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv (util-linux) to drop the capabilities that read anything")
    dumps = tmp_path / "crash"
    dumps.mkdir()
    folder = write_rhel(dumps, "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    os.chown(folder, 12345, 12345)
    os.chmod(folder, 0o700)
    old = time.time() - 3600
    os.utime(folder, (old, old))
    command = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", str(KCRASHD), "scan",
               "--dump-path", str(dumps), "--pstore-path", str(tmp_path / "no-pstore"), "--state-dir", str(tmp_path / "state")]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.stdout.strip() == "kcrashd scan: 1 journaled", first.stderr
    assert second.stdout.strip() == "kcrashd scan: 1 known", second.stderr
    assert "cannot read" in first.stderr and "Permission denied" in first.stderr
    entries = journald.wait_for(1, KCRASHD_DUMP_DIR=str(folder))
    assert len(entries) == 1
    assert entries[0]["KCRASHD_ERROR"] == "cannot read: Permission denied"
    assert "cannot read the dump folder: Permission denied" in entries[0]["KCRASHD_PROBLEMS"]


@pytest.mark.journal
def test_renamed_folder_is_the_crash_already_journaled(journald: Journald, rig: Rig) -> None:
    first = write_rhel(rig.dumps, "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    assert rig.scan() == {first.name: "journaled"}
    moved = rig.dumps / "10.0.0.9-2024-05-01-10:00:00"
    os.rename(first, moved)
    assert rig.scan() == {moved.name: "known"}
    assert rig.scan() == {moved.name: "known"}
    row = rig.store.find(str(moved), os.lstat(moved).st_ino)
    assert row is not None  # the row follows the folder: retention looks where it is now
    assert len(journald.wait_for(1, KCRASHD_DUMP_DIR=str(first))) == 1
    assert journald.entries(KCRASHD_DUMP_DIR=str(moved)) == []
    again = write_rhel(rig.dumps, first.name, log_bytes("edge/oom-panic"))  # a new crash, old name
    assert rig.scan() == {again.name: "journaled", moved.name: "known"}
    assert len(journald.wait_for(2, KCRASHD_DUMP_DIR=str(first))) == 2


def test_skipping_lines_once_per_folder(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    real = write_rhel(rig.dumps, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
    (rig.dumps / "127.0.0.1-2024-05-02-10:00:00").symlink_to(real)
    (rig.dumps / "not-a-dump").mkdir()
    for _ in range(3):
        rig.scan()
        time.sleep(0.01)
    skipping = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    assert sorted(skipping) == sorted([
        f"skipping {rig.dumps}/127.0.0.1-2024-05-02-10:00:00: symbolic link (never followed)",
        f"skipping {rig.dumps}/not-a-dump: not a crash dump folder name",
    ])  # fmt: skip
