"""`kcrashd info ID --explain`: real lab crashes recorded by the real pipeline, explained from
their logs on disk; from the stored report alone once the log is gone."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from kcrashd.cli import main
from kcrashd.core.fingerprint import PREFIX
from tests.grouping.lab_store import LabStore, lab_config, record_lab

CASES = ["deb11-5.10_hung-task_run1", "deb12-6.1_warning_run1"]


@pytest.fixture
def lab(tmp_path: Path) -> LabStore:
    return record_lab(lab_config(tmp_path), CASES)


def info(lab: LabStore, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["info", "--state-dir", str(lab.config.state.state_dir), "--no-pager", *args]) == 0
    return capsys.readouterr().out


def test_text_names_row_skips_culprit_and_hashed_text(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> None:
    out = info(lab, capsys, "--explain", lab.folders["deb11-5.10_hung-task_run1"])
    block = out.split("Why this fingerprint:\n", 1)[1]
    assert "Signature row: hung-task (header 'INFO:'" in block
    assert "Matched line:  INFO: task init:91 blocked for more than" in block
    assert "Culprit rule:  hang: " in block
    assert "Skipped:       __schedule: a wait or lock primitive the hung task sleeps in" in block
    assert "Culprit:       lab_trigger_hung_task" in block
    fingerprint = PREFIX + hashlib.sha256(b"hang in lab_trigger_hung_task").hexdigest()[:16]
    assert f"Hashed:        'hang in lab_trigger_hung_task' (bucket alternative 'hang in lab_trigger_hung_task') -> {fingerprint}" in block
    assert "Strict key:    'INFO: task hung in lab_trigger_hung_task\\n__schedule\\nschedule\\nschedule_timeout' -> " + PREFIX + "s-" in block
    assert "Aliases:       " in block and " kc1-" in block
    assert "Stored under" not in block and "Today" not in block


def test_json(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(info(lab, capsys, "--json", "--explain", lab.ids["deb12-6.1_warning_run1"][:12]))
    exp = data["explanation"]
    assert exp["signature"] == "warning" and exp["culprit"] == "lab_trigger_warning" and exp["log_replayed"]
    assert exp["hashed"] == "WARNING in lab_trigger_warning" and exp["hashed_from"] == "title"
    assert exp["fingerprint"] == exp["computed_fingerprint"] == exp["fingerprint_today"] == data["record"]["report"]["fingerprint"]
    assert "explanation" not in json.loads(info(lab, capsys, "--json", lab.ids["deb12-6.1_warning_run1"]))


def test_log_gone(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> None:
    folder = lab.dumps / lab.folders["deb12-6.1_warning_run1"]
    os.unlink(folder / "vmcore-dmesg.txt")
    out = info(lab, capsys, "--explain", folder.name)
    assert "(log not replayed: " in out and "No such file or directory" in out
    assert "Hashed:        'WARNING in lab_trigger_warning' (title) -> " + PREFIX in out
    data = json.loads(info(lab, capsys, "--json", "--explain", folder.name))
    assert data["explanation"]["log_replayed"] is False and data["explanation"]["signature"] is None


def test_symlinked_log_is_not_followed(lab: LabStore, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = lab.dumps / lab.folders["deb12-6.1_warning_run1"]
    (tmp_path / "other.txt").write_bytes((folder / "vmcore-dmesg.txt").read_bytes())
    os.unlink(folder / "vmcore-dmesg.txt")
    os.symlink(tmp_path / "other.txt", folder / "vmcore-dmesg.txt")
    out = info(lab, capsys, "--explain", folder.name)
    assert "symbolic link (refused)" in out and "Signature row" not in out


def test_key_kept_by_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A store that knew the bug under an earlier version's key (as an older kcrashd wrote it) keeps that
    key; --explain says so and names the computed key."""
    from kcrashd.core import analyze
    from kcrashd.store.database import Store

    case = "deb12-6.1_warning_run1"
    report = analyze((Path(__file__).resolve().parents[1] / "corpus" / "lab" / case / "vmcore-dmesg.txt").read_bytes())
    old = report.fingerprint_aliases[0]
    config = lab_config(tmp_path)
    store = Store(config.state.state_dir)
    store.conn.execute("INSERT INTO fingerprints VALUES (?, 1.0, 1.0, 1, ?, ?)", (old, report.title, report.kind))
    store.close()
    lab = record_lab(config, [case])
    out = info(lab, capsys, "--explain", lab.folders[case])
    assert f"Fingerprint: {old} (v" in out
    assert f"Stored under:  {old}, the key this bug was first known by here ({report.fingerprint} is its alias)" in out
    data = json.loads(info(lab, capsys, "--json", "--explain", lab.folders[case]))
    assert data["explanation"]["fingerprint"] == old and data["explanation"]["computed_fingerprint"] == report.fingerprint
