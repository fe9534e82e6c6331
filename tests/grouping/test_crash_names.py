"""One way to name a crash for every verb (kcrashd.cli.crash_names): `info`, `similar`, `resend`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kcrashd.cli import EXIT_NOT_FOUND, main
from kcrashd.cli.crash_names import CrashNameError, resolve_crash
from tests.grouping.lab_store import LabStore, lab_config, record_lab

CASES = ["deb11-5.10_gpf_run1", "deb11-5.10_warning_run1"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> LabStore:
    return record_lab(lab_config(tmp_path_factory.mktemp("names")), CASES)


def names(lab: LabStore, case: str) -> list[str]:
    crash_id = lab.ids[case]
    return [crash_id, crash_id[:8].upper(), str(lab.dumps / lab.folders[case]), lab.folders[case]]


def test_info_takes_every_name(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> None:
    for case in CASES:
        for name in names(lab, case):
            assert main(["info", "--state-dir", str(lab.config.state.state_dir), "--json", name]) == 0
            data = json.loads(capsys.readouterr().out)
            assert data["record"]["crash_id"] == lab.ids[case] and data["matches"] == 1, name


def test_resend_takes_a_folder_name(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> None:
    """No alert target: nothing to re-queue, but the folder's name was read as its crash."""
    case = CASES[1]
    code = main(["resend", "--state-dir", str(lab.config.state.state_dir), lab.folders[case]])
    assert code == EXIT_NOT_FOUND
    assert f"no alert deliveries for crash {lab.ids[case]!r}" in capsys.readouterr().err


def table(rows: list[tuple[str, str, str | None]]) -> sqlite3.Connection:
    """The columns of the crashes table the resolver reads, in a real SQLite database."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE crashes(crash_id TEXT, dump_dir TEXT, log_path TEXT, crash_time REAL, detected_at REAL)")
    conn.executemany("INSERT INTO crashes VALUES (?,?,?,?,?)", [(*r, n, n) for n, r in enumerate(rows)])
    return conn


def test_resolver_rules(tmp_path: Path) -> None:
    conn = table([
        ("abc1" + "0" * 28, "/var/crash/one", "/var/crash/one/vmcore-dmesg.txt"),
        ("abc2" + "0" * 28, "/srv/crash/one", None),
        ("def0" + "0" * 28, "/var/crash/two", None),
        ("def1" + "0" * 28, "/var/crash/two", None),  # the folder written again: the latest wins
    ])  # fmt: skip
    assert resolve_crash(conn, "abc1") == "abc1" + "0" * 28
    assert resolve_crash(conn, "/var/crash/one") == "abc1" + "0" * 28
    assert resolve_crash(conn, "/var/crash/one/vmcore-dmesg.txt") == "abc1" + "0" * 28
    assert resolve_crash(conn, "two") == "def1" + "0" * 28
    with pytest.raises(CrashNameError, match="start of several crash ids"):
        resolve_crash(conn, "abc")
    with pytest.raises(CrashNameError, match="several dump folders are named 'one'"):
        resolve_crash(conn, "one")
    with pytest.raises(CrashNameError, match="no recorded crash is named '/var/crash/three'"):
        resolve_crash(conn, "/var/crash/three")
    with pytest.raises(CrashNameError, match="no recorded crash"):
        resolve_crash(conn, "0123")
