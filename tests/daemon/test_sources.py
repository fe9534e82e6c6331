"""Dump folder names of every producer and era, and when each layout counts as finished."""

from __future__ import annotations

import errno
import os
import time
from datetime import datetime
from pathlib import Path

import pytest

from kcrashd.config.settings import SourcesConfig
from kcrashd.sources.units import (
    Layout,
    classify_name,
    inspect_unit,
    judge,
    open_folder,
    scan_all,
    unit_for_path,
    vmcore_state,
)
from tests.daemon.dumps import kdump_file, log_bytes, write_debian, write_file, write_rhel, write_suse

ROOT = Path("/var/crash")


@pytest.mark.parametrize(
    ("name", "layout", "host", "stamp"),
    [
        ("127.0.0.1-2020-04-28-01:31:54", Layout.RHEL, None, "2020-04-28 01:31:54"),
        ("192.168.122.7-2024-05-01-10:00:00", Layout.RHEL, "192.168.122.7", "2024-05-01 10:00:00"),
        ("fd00::5-2024-05-01-10:00:00", Layout.RHEL, "fd00::5", "2024-05-01 10:00:00"),
        ("fe80::1:2:3-2024-05-01-10:00:00", Layout.RHEL, "fe80::1:2:3", "2024-05-01 10:00:00"),
        ("127.0.0.1-2014.11.12-03:40:30", Layout.RHEL_LEGACY, None, "2014-11-12 03:40:30"),
        ("14.11.12-03:40:30", Layout.RHEL_LEGACY, None, "2012-11-14 03:40:30"),
        ("kdump-test-1733984219-123456789", Layout.RHEL_TEST, None, None),
        ("2024-01-05-10:32", Layout.SUSE_LEGACY, None, "2024-01-05 10:32:00"),
        ("10.0.0.9-2024-01-05-10:32", Layout.SUSE_LEGACY, "10.0.0.9", "2024-01-05 10:32:00"),
        ("2024-05-01-10-00", Layout.SUSE, None, "2024-05-01 10:00:00"),
        ("db-7.example-2024-05-01-10-00", Layout.SUSE, "db-7.example", "2024-05-01 10:00:00"),
        ("202601210724", Layout.DEBIAN, None, "2026-01-21 07:24:00"),
        ("10.1.2.3-202601210724", Layout.DEBIAN, "10.1.2.3", "2026-01-21 07:24:00"),
        ("kdump-20240501-100000", Layout.CHIMERA, None, "2024-05-01 10:00:00"),
    ],
)
def test_names(name: str, layout: Layout, host: str | None, stamp: str | None) -> None:
    unit = classify_name(name, ROOT)
    assert unit is not None
    assert unit.layout is layout
    assert unit.host_hint == host
    if stamp is not None:
        assert unit.name_time is not None
        assert unit.name_time.replace(tzinfo=None) == datetime.fromisoformat(stamp)
    assert unit.test is (layout is Layout.RHEL_TEST)


@pytest.mark.parametrize(
    "name",
    ["kdump_lock", "kexec_cmd", "linux-image-6.18.0-8-generic-202601210724.crash", ".notified", "lost+found",
     "random", "2024-13-99", "vmcore", "127.0.0.1-2020-04-28", "\x1b[31mevil", ""],
)  # fmt: skip
def test_not_dump_folders(name: str) -> None:
    assert classify_name(name, ROOT) is None


def test_bad_date_still_a_folder_without_time() -> None:
    unit = classify_name("127.0.0.1-2020-19-48-01:31:54", ROOT)
    assert unit is not None and unit.name_time is None


def check(folder: Path, layout: Layout, now: float | None = None) -> tuple[bool, bool, str]:
    unit = classify_name(folder.name, folder.parent)
    assert unit is not None
    with open_folder(unit) as folder:
        state = inspect_unit(unit, folder)
    verdict = judge(state, now or time.time(), settle=2.0, timeout=600.0)
    assert state.layout is layout
    return verdict.ready, verdict.incomplete, vmcore_state(state, now or time.time(), 600.0)


def test_rhel_stages(tmp_path: Path) -> None:
    folder = write_rhel(tmp_path, "127.0.0.1-2024-05-01-10:00:00", log_bytes(), finish_log=False, kexec_log=False)
    assert check(folder, Layout.RHEL)[0] is False  # still vmcore-dmesg-incomplete.txt: in flight
    os.rename(folder / "vmcore-dmesg-incomplete.txt", folder / "vmcore-dmesg.txt")
    assert check(folder, Layout.RHEL) == (True, False, "absent")
    write_file(folder / "vmcore-incomplete", kdump_file())
    assert check(folder, Layout.RHEL) == (True, False, "in-progress")
    assert check(folder, Layout.RHEL, now=time.time() + 601) == (True, False, "failed")
    os.rename(folder / "vmcore-incomplete", folder / "vmcore")
    assert check(folder, Layout.RHEL) == (True, False, "complete")


def test_rhel_failed_log_extraction_after_timeout(tmp_path: Path) -> None:
    folder = write_rhel(tmp_path, "127.0.0.1-2024-05-01-10:00:00", log_bytes(), finish_log=False)
    ready, incomplete, _ = check(folder, Layout.RHEL, now=time.time() + 601)
    assert ready and incomplete


def test_rhel_incomplete_log_with_finished_vmcore(tmp_path: Path) -> None:
    folder = write_rhel(tmp_path, "127.0.0.1-2024-05-01-10:00:00", log_bytes(), finish_log=False, vmcore=kdump_file())
    assert check(folder, Layout.RHEL) == (True, True, "complete")


def test_only_kexec_log_waits_then_counts_as_failed(tmp_path: Path) -> None:
    folder = write_rhel(tmp_path, "127.0.0.1-2024-05-01-10:00:00", None)
    assert check(folder, Layout.RHEL)[0] is False
    assert check(folder, Layout.RHEL, now=time.time() + 601)[:2] == (True, True)


def test_raw_target_has_vmcore_only(tmp_path: Path) -> None:
    folder = tmp_path / "2024-01-05-10:32"
    folder.mkdir()
    write_file(folder / "vmcore", kdump_file())
    ready, incomplete, vstate = check(folder, Layout.RHEL_RAW)
    assert ready and not incomplete and vstate == "complete"


def test_debian_stages(tmp_path: Path) -> None:
    folder = write_debian(tmp_path, "202601210724", log_bytes())
    assert check(folder, Layout.DEBIAN)[0] is False  # dmesg written in place: settle first
    assert check(folder, Layout.DEBIAN, now=time.time() + 3)[0] is True
    write_file(folder / "dump-incomplete", b"x")
    assert check(folder, Layout.DEBIAN) == (True, False, "in-progress")  # dmesg is done before the dump
    os.rename(folder / "dump-incomplete", folder / "dump.202601210724")
    assert check(folder, Layout.DEBIAN) == (True, False, "complete")


def test_suse_readme_is_the_completion_mark(tmp_path: Path) -> None:
    folder = write_suse(tmp_path, "2024-05-01-10-00", log_bytes(), vmcore=kdump_file(), finish=False)
    assert check(folder, Layout.SUSE) == (True, False, "in-progress")  # dmesg done once the vmcore starts
    final = folder / "README.txt"
    final.write_bytes(b"Kernel crashdump\ndmesg status: saved successfully\nvmcore status: saved successfully\n")
    assert check(folder, Layout.SUSE) == (True, False, "complete")


def test_suse_legacy_readme_last(tmp_path: Path) -> None:
    folder = tmp_path / "2024-05-01-10:00"
    folder.mkdir()
    write_file(folder / "dmesg.txt", log_bytes())
    write_file(folder / "vmcore", kdump_file())
    assert check(folder, Layout.SUSE_LEGACY)[0] is True
    write_file(folder / "README.txt", b"Kernel crashdump\n")
    assert check(folder, Layout.SUSE_LEGACY) == (True, False, "complete")


def test_pstore_layouts(tmp_path: Path) -> None:
    pstore = tmp_path / "pstore"
    efi = pstore / "1733984219" / "001"
    efi.mkdir(parents=True)
    write_file(efi / "dmesg.txt", b"Panic#1 Part1\n" + log_bytes())
    erst = pstore / "7281234567"
    erst.mkdir()
    write_file(erst / "dmesg.txt", log_bytes())
    write_file(pstore / "dmesg-ramoops-0", log_bytes())
    config = SourcesConfig(dump_paths=[], pstore_path=pstore)
    units = {u.path.relative_to(pstore).as_posix(): u for u in scan_all(config)}
    assert set(units) == {"1733984219/001", "7281234567", "dmesg-ramoops-0"}
    assert units["1733984219/001"].name_time is not None
    assert unit_for_path(efi / "dmesg.txt", config) == units["1733984219/001"]
    assert unit_for_path(pstore / "dmesg-ramoops-0", config) == units["dmesg-ramoops-0"]


def test_scan_skips_symlinks_and_strangers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    real = write_rhel(tmp_path, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
    (tmp_path / "127.0.0.1-2024-05-02-10:00:00").symlink_to(real)
    (tmp_path / "not-a-dump").mkdir()
    (tmp_path / "kdump_lock").write_bytes(b"")
    config = SourcesConfig(dump_paths=[tmp_path], pstore=False)
    units = list(scan_all(config))
    assert [u.path for u in units] == [real]
    assert "symbolic link" in caplog.text


def test_sources_switch_off(tmp_path: Path) -> None:
    write_rhel(tmp_path, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
    write_debian(tmp_path, "202601210724", log_bytes())
    config = SourcesConfig(dump_paths=[tmp_path], pstore=False, kdump=False)
    assert [u.layout for u in scan_all(config)] == [Layout.DEBIAN]


def test_symlinked_files_inside_are_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "127.0.0.1-2024-05-01-10:00:00"
    folder.mkdir()
    (folder / "vmcore-dmesg.txt").symlink_to("/etc/passwd")
    unit = classify_name(folder.name, tmp_path)
    assert unit is not None
    with open_folder(unit) as opened:
        state = inspect_unit(unit, opened)
    assert state.log is None
    assert any("symbolic link" in note for note in state.notes)


def test_open_folder_checks_identity_and_never_follows(tmp_path: Path) -> None:
    """The folder the scan listed is the one opened; a folder replaced since is looked up again
    (its own identity then), a symlink or a file where a folder was is refused, and so is a
    symlink anywhere below the dump path (a pstore epoch folder, a flat pstore record)."""
    folder = write_rhel(tmp_path, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
    (unit,) = scan_all(SourcesConfig(dump_paths=[tmp_path], pstore=False))
    assert unit.seen == (os.lstat(folder).st_dev, os.lstat(folder).st_ino)
    with open_folder(unit) as opened:
        assert (opened.dev, opened.ino) == unit.seen
    os.rename(folder, tmp_path / "old")
    folder.mkdir()  # replaced by another folder since the scan
    with open_folder(unit) as opened:
        assert opened.ino == os.lstat(folder).st_ino != unit.seen[1]
    folder.rmdir()
    folder.symlink_to(tmp_path / "old")
    with pytest.raises(NotADirectoryError):
        open_folder(unit)
    pstore = tmp_path / "pstore"
    (tmp_path / "elsewhere" / "001").mkdir(parents=True)
    write_file(tmp_path / "elsewhere" / "001" / "dmesg.txt", log_bytes())
    pstore.mkdir()
    (pstore / "1733984219").symlink_to(tmp_path / "elsewhere")
    (pstore / "dmesg-ramoops-0").symlink_to(tmp_path / "elsewhere" / "001" / "dmesg.txt")
    config = SourcesConfig(dump_paths=[], pstore_path=pstore)
    for event in (pstore / "1733984219" / "001" / "dmesg.txt", pstore / "dmesg-ramoops-0"):
        found = unit_for_path(event, config)
        assert found is not None
        with pytest.raises(OSError) as refused:
            open_folder(found)
        assert refused.value.errno in (errno.ENOTDIR, errno.ELOOP)


@pytest.mark.parametrize("kind", ["FIFO", "directory", "symbolic link"])
def test_log_name_held_by_a_non_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "127.0.0.1-2024-05-01-10:00:00"
    folder.mkdir()
    log = folder / "vmcore-dmesg.txt"
    {"FIFO": os.mkfifo, "directory": os.mkdir, "symbolic link": lambda p: p.symlink_to("/etc/passwd")}[kind](log)
    unit = classify_name(folder.name, tmp_path)
    assert unit is not None
    with open_folder(unit) as opened:
        state = inspect_unit(unit, opened)
    assert state.log is None and state.log_refused == f"vmcore-dmesg.txt is a {kind}"
    verdict = judge(state, time.time(), settle=2.0, timeout=600.0)
    assert verdict.ready and verdict.incomplete and verdict.reason == f"cannot read: vmcore-dmesg.txt is a {kind}"


def test_empty_folder_waits_then_counts_as_failed(tmp_path: Path) -> None:
    """A capture that made its folder and never wrote into it (target lost mid-way) is not waited
    for for ever: after `incomplete_timeout` quiet seconds since the folder was made."""
    folder = tmp_path / "10.0.0.1-2024-05-01-10:00:00"
    folder.mkdir()
    made = os.lstat(folder).st_mtime
    assert check(folder, Layout.RHEL)[:2] == (False, False)
    unit = classify_name(folder.name, tmp_path)
    assert unit is not None
    with open_folder(unit) as opened:
        waiting = judge(inspect_unit(unit, opened), made + 10, settle=2.0, timeout=600.0)
    assert waiting.retry_at == made + 600.0
    assert check(folder, Layout.RHEL, now=made + 601) == (True, True, "absent")
