"""`kcrashd list` and `kcrashd info` for people: columns, matches, JSON, refusals with their exit
codes, escaped log text, and a read-only database that root leaves untouched."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

import pytest

from kcrashd.cli import EXIT_NOT_FOUND, EXIT_USAGE
from kcrashd.config import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import RecordingJournal
from kcrashd.sources import scan_all
from kcrashd.store import Store
from tests.daemon.conftest import run_cli
from tests.daemon.dumps import flattened, kdump_file, log_bytes, write_debian, write_rhel


def record_all(dumps: Path, state: Path) -> None:
    """Every dump under `dumps` through the pipeline into the state database, as `scan` would."""
    config = Config(sources=SourcesConfig(dump_paths=[dumps], pstore=False), state=StateConfig(state_dir=state))
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    pipeline = Pipeline(config, store, RecordingJournal(), lock)
    for unit in scan_all(config.sources):
        pipeline.handle(unit)
    store.close()
    lock.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("history")
    dumps = base / "crash"
    dumps.mkdir()
    write_rhel(dumps, "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    write_rhel(dumps, "10.0.0.2-2024-05-02-10:00:00", log_bytes())
    write_rhel(dumps, "10.0.0.3-2024-05-03-10:00:00", log_bytes("edge/oom-panic"), vmcore=kdump_file(nodename="db3"))
    evil = b"[  1.0] BUG: kernel NULL pointer dereference, address: 0\x1b]0;owned\x07\x1b[2J\n" + log_bytes("edge/bug-generic")
    write_rhel(dumps, "10.0.0.4-2024-05-04-10:00:00", evil)
    record_all(dumps, base / "state")
    return base / "state"


def test_list_columns(history: Path) -> None:
    result = run_cli("list", "--state-dir", str(history))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TIME", "HOST", "KERNEL", "KIND", "TITLE", "FINGERPRINT", "COUNT"]
    assert len(lines) == 5
    assert "10.0.0.1" in lines[1] and "db3" in lines[4]  # by crash time: db3's vmcore says 2025
    assert lines[2].rstrip().endswith(" 2")  # the sysrq fingerprint was seen twice


def test_list_filters_and_json(history: Path) -> None:
    newest = run_cli("list", "--state-dir", str(history), "-r", "-1", "--json")
    data = json.loads(newest.stdout)
    assert len(data) == 1 and data[0]["host"] == "db3"
    some = json.loads(run_cli("list", "--state-dir", str(history), "--json", "KIND=sysrq").stdout)
    assert {row["host"] for row in some} == {"10.0.0.1", "10.0.0.2"}
    window = json.loads(run_cli("list", "--state-dir", str(history), "--json", "--since", "2024-05-02", "--until", "2024-05-04T12:00").stdout)
    assert [row["host"] for row in window] == ["10.0.0.2", "10.0.0.4"]


def test_info_by_id_fingerprint_path_and_field(history: Path) -> None:
    rows = json.loads(run_cli("list", "--state-dir", str(history), "--json").stdout)
    db3 = next(row for row in rows if row["host"] == "db3")
    by_id = run_cli("info", "--state-dir", str(history), db3["crash_id"][:10])
    assert by_id.returncode == 0
    assert "Host: db3" in by_id.stdout
    assert "crash /usr/lib/debug/lib/modules/5.14.0-427.el9.x86_64/vmlinux " in by_id.stdout
    assert "Vmcore: complete" in by_id.stdout
    stack = by_id.stdout.split("Stack:", 1)[1].splitlines()[1]
    assert re.search(r"^\s+\S+\+0x[0-9a-f]+/0x[0-9a-f]+", stack), stack
    by_fp = run_cli("info", "--state-dir", str(history), db3["fingerprint"])
    assert db3["crash_id"] in by_fp.stdout
    by_path = run_cli("info", "--state-dir", str(history), db3["dump_dir"] + "/vmcore-dmesg.txt")
    assert db3["crash_id"] in by_path.stdout
    by_field = run_cli("info", "--state-dir", str(history), "HOST=db3", "--json")
    assert json.loads(by_field.stdout)["record"]["crash_id"] == db3["crash_id"]


def test_log_text_never_reaches_the_terminal_raw(history: Path) -> None:
    for verb in ("list", "info"):
        args = [verb, "--state-dir", str(history)] + (["HOST=10.0.0.4"] if verb == "info" else [])
        out = run_cli(*args).stdout
        assert "\x1b" not in out and "\x07" not in out


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["info", "0123456789abcdef"], EXIT_NOT_FOUND),
        (["list", "KIND=nonexistent"], EXIT_NOT_FOUND),
        (["list", "bogus"], EXIT_USAGE),
        (["list", "COLOR=red"], EXIT_USAGE),
        (["list", "--since", "someday"], EXIT_USAGE),
    ],
)
def test_refusals(history: Path, args: list[str], code: int) -> None:
    result = run_cli(args[0], "--state-dir", str(history), *args[1:])
    assert result.returncode == code, result
    assert result.stderr.strip()


def test_no_database_is_not_found(tmp_path: Path) -> None:
    assert run_cli("list", "--state-dir", str(tmp_path)).returncode == EXIT_NOT_FOUND
    assert not list(tmp_path.iterdir())  # reading created nothing


def test_readonly_open_leaves_no_root_owned_files(history: Path, tmp_path: Path) -> None:
    """The daemon's user owns the state; `kcrashd list` as root must not leave files it cannot open."""
    if os.geteuid() != 0:
        pytest.skip("needs root to own files as another user")
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.db").write_bytes((history / "state.db").read_bytes())
    for path in (state, state / "state.db"):
        os.chown(path, 4242, 4242)
    assert run_cli("list", "--state-dir", str(state)).returncode == 0
    owners = {p.name: p.stat().st_uid for p in state.iterdir()}
    assert all(uid == 4242 for uid in owners.values()), owners


def test_info_says_how_to_open_a_compressed_dump(tmp_path: Path) -> None:
    """The crash utility reads a flattened dump but not its gzip copy: `info` says to unpack it first."""
    dumps = tmp_path / "crash"
    dumps.mkdir()
    folder = write_debian(dumps, "202401051032", log_bytes(), dump=gzip.compress(flattened(kdump_file(nodename="web3"))))
    os.rename(folder / "dump.202401051032", folder / "dump.202401051032.gz")
    record_all(dumps, tmp_path / "state")
    out = run_cli("info", "--state-dir", str(tmp_path / "state"), str(folder)).stdout
    assert f"zcat {folder}/dump.202401051032.gz > /var/tmp/vmcore.flat\n" in out, out
    assert re.search(r"\n      crash /usr/lib/debug/lib/modules/\S+/vmlinux /var/tmp/vmcore.flat\n", out), out
