"""`kcrashd similar`: real lab crashes recorded by the real pipeline, ranked from the real state
database, named every way a crash can be named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.cli import EXIT_NOT_FOUND, EXIT_OK, main
from kcrashd.core.fingerprint import PREFIX
from tests.grouping.lab_store import LabStore, lab_config, record_lab

CASES = [
    "deb11-5.10_gpf_run1",
    "deb11-5.10_hung-task_run1",
    "deb11-5.10_gpf_run2",
    "deb12-6.1_warning_run1",
    "deb11-5.10_use-after-free_run1",
    "deb12-6.1_gpf_run1",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> LabStore:
    tmp = tmp_path_factory.mktemp("similar")
    return record_lab(lab_config(tmp), CASES)


def similar(lab: LabStore, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["similar", "--state-dir", str(lab.config.state.state_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_ranks_runs_of_the_same_bug_first(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = similar(lab, capsys, "--json", lab.ids["deb11-5.10_gpf_run1"])
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["crash_id"] == lab.ids["deb11-5.10_gpf_run1"]
    ranked = [item["crash_id"] for item in data["similar"]]
    assert lab.ids["deb11-5.10_gpf_run1"] not in ranked  # never itself
    assert set(ranked[:2]) == {lab.ids["deb11-5.10_gpf_run2"], lab.ids["deb12-6.1_gpf_run1"]}
    scores = [item["score"] for item in data["similar"]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert scores[0] >= 0.7
    top = data["similar"][0]
    assert top["folder"] in (lab.folders["deb11-5.10_gpf_run2"], lab.folders["deb12-6.1_gpf_run1"])
    assert top["host"] and top["fingerprint"].startswith(PREFIX)
    hung = next((i for i in data["similar"] if i["crash_id"] == lab.ids["deb11-5.10_hung-task_run1"]), None)
    assert hung is None or hung["score"] < 0.3


def test_text_lines_name_id_host_folder_and_score(lab: LabStore, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = similar(lab, capsys, "-n", "2", lab.ids["deb11-5.10_gpf_run1"])
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0].split() == ["SCORE", "ID", "HOST", "DUMP", "FOLDER", "FINGERPRINT"]
    assert len(lines) == 3
    first = lines[1].split()
    assert float(first[0]) >= 0.7
    assert lab.ids["deb11-5.10_gpf_run2"].startswith(first[1]) or lab.ids["deb12-6.1_gpf_run1"].startswith(first[1])
    assert first[3] in (lab.folders["deb11-5.10_gpf_run2"], lab.folders["deb12-6.1_gpf_run1"])


@pytest.mark.parametrize("how", ["id", "prefix", "folder path", "folder name"])
def test_every_name_of_a_crash(lab: LabStore, capsys: pytest.CaptureFixture[str], how: str) -> None:
    case = "deb11-5.10_gpf_run1"
    name = {
        "id": lab.ids[case],
        "prefix": lab.ids[case][:10],
        "folder path": str(lab.dumps / lab.folders[case]),
        "folder name": lab.folders[case],
    }[how]
    code, out, _ = similar(lab, capsys, "--json", name)
    assert code == EXIT_OK
    assert json.loads(out)["crash_id"] == lab.ids[case]


def test_refusals(lab: LabStore, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = similar(lab, capsys, "no-such-folder")
    assert code == EXIT_NOT_FOUND and "no recorded crash is named 'no-such-folder'" in err
    code, _, err = similar(lab, capsys, "")
    assert code == EXIT_NOT_FOUND and "empty" in err
    code = main(["similar", "--state-dir", str(tmp_path / "nothing"), "abc"])
    assert code == EXIT_NOT_FOUND and "no state database" in capsys.readouterr().err
    code, _, err = similar(lab, capsys, "-n", "0", lab.ids["deb11-5.10_gpf_run1"])
    assert code == 2 and "--limit" in err


def test_as_a_process_with_config(lab: LabStore, tmp_path: Path) -> None:
    """The installed entry point, with the state directory from a configuration file."""
    config = tmp_path / "kcrashd.toml"
    config.write_text(f'[state]\nstate_dir = "{lab.config.state.state_dir}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "kcrashd", "similar", "--config", str(config), "--json", lab.folders["deb12-6.1_gpf_run1"]],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["similar"][0]["crash_id"] in (lab.ids["deb11-5.10_gpf_run1"], lab.ids["deb11-5.10_gpf_run2"])


def test_a_crash_without_a_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dump whose log shows no crash is recorded without a stack: nothing to rank, exit 0."""
    from tests.daemon.dumps import write_rhel
    from tests.grouping.lab_store import folder_name, process_all

    lab = record_lab(lab_config(tmp_path), ["deb11-5.10_gpf_run1"])
    write_rhel(lab.dumps, folder_name(7), b"[    0.000000] Linux version 5.10.0-46-amd64\n[    1.000000] nothing happened\n")
    process_all(lab.config)
    lab_names = ["similar", "--state-dir", str(lab.config.state.state_dir), "--json", folder_name(7)]
    assert main(lab_names) == EXIT_OK
    out, err = capsys.readouterr()
    assert json.loads(out)["similar"] == [] and "has no stack to compare" in err
