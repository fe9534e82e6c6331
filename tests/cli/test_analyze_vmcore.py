"""`kcrashd analyze DIR` on a crash directory with a vmcore and no log recovers the log the way
the daemon does (kcrashd.sources.vmcore_dmesg): the same makedumpfile run on the same file, for RHEL and
Debian dumps, flattened and compressed ones too, the dump folder untouched."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.core import analyze
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sources.units import scan_all
from kcrashd.store.database import Store
from tests.daemon.dumps import flattened, kdump_file, write_file, write_rhel
from tests.fixtures.journal_double import RecordingJournal
from tests.lab.fixture import CrashLab, crash_lab  # noqa: F401  (the session fixture)

needs_makedumpfile = pytest.mark.skipif(shutil.which("makedumpfile") is None, reason="makedumpfile not installed")


def run_analyze(*args: str, tmpdir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.run([sys.executable, "-m", "kcrashd", "analyze", *args], capture_output=True, text=True, env=env, timeout=120)


def vmcore_only_folders(dumps: Path) -> list[Path]:
    """A RHEL dump with a kdump-compressed vmcore, a Debian dump.<STAMP> (flattened) and a
    gzip-compressed one, none with a log. Synthetic dumps hold no log buffer: makedumpfile runs
    and says why it found none, which is what both paths must report alike."""
    rhel = write_rhel(dumps, "10.0.0.9-2024-05-01-10:00:00", None, vmcore=kdump_file(nodename="db9"))
    folders = [rhel]
    for stamp, name, data in (
        ("202401051032", "dump.202401051032", flattened(kdump_file() + bytes(300_000))),
        ("202401051033", "dump.202401051033.gz", gzip.compress(flattened(kdump_file()))),
    ):
        folder = dumps / stamp
        folder.mkdir()
        write_file(folder / name, data)
        folders.append(folder)
    return folders


def daemon_notes(dumps: Path, state: Path) -> dict[str, str]:
    """KCRASHD_PROBLEMS of each folder as the daemon's pipeline journals it."""
    config = Config(sources=SourcesConfig(dump_paths=[dumps], pstore=False), state=StateConfig(state_dir=state))
    store, lock, journal = Store(state), StateLock(state), RecordingJournal()
    try:
        pipeline = Pipeline(config, store, journal, lock)
        for unit in scan_all(config.sources):
            pipeline.handle(unit)
    finally:
        store.close()
        lock.close()
    return {entry["KCRASHD_DUMP_DIR"]: entry["KCRASHD_PROBLEMS"] for entry in journal.entries}


@needs_makedumpfile
def test_vmcore_only_folders_as_the_daemon_reads_them(tmp_path: Path) -> None:
    dumps = tmp_path / "crash"
    dumps.mkdir()
    folders = vmcore_only_folders(dumps)
    before = {f: sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in f.iterdir()) for f in folders}
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_analyze("--format", "json", *map(str, folders), tmpdir=scratch)
    assert result.returncode == 1, result  # no log could be recovered from synthetic dumps
    errors = {json.loads(line)["source"]: json.loads(line)["error"] for line in result.stdout.splitlines()}
    notes = daemon_notes(dumps, tmp_path / "state")
    for folder in folders:
        error = errors[str(folder)]
        assert error.startswith(f"{folder}: no kernel log: makedumpfile --dump-dmesg failed ("), error
        assert error.removeprefix(f"{folder}: ") in notes[str(folder)].split("; "), (error, notes[str(folder)])
    assert {f: sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in f.iterdir()) for f in folders} == before
    assert list(scratch.iterdir()) == []  # the rearranged copies are gone


def test_folder_with_neither_log_nor_vmcore(tmp_path: Path) -> None:
    empty = tmp_path / "10.0.0.1-2024-05-01-10:00:00"
    empty.mkdir()
    (empty / "kexec-dmesg.log").write_text("kdump: saving vmcore failed\n")
    result = run_analyze(str(empty), tmpdir=tmp_path)
    assert result.returncode == 1
    assert f"{empty}: no kernel log and no vmcore in crash directory" in result.stderr


@needs_makedumpfile
def test_refusal_without_makedumpfile_is_the_daemons(tmp_path: Path) -> None:
    folder = write_rhel(tmp_path, "10.0.0.9-2024-05-01-10:00:00", None, vmcore=kdump_file())
    env = dict(os.environ, PATH="/nonexistent", TMPDIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "kcrashd", "analyze", str(folder)], capture_output=True, text=True, env=env)
    assert "no kernel log: makedumpfile is not installed to recover it from the vmcore" in result.stderr


# --- a real dump ---------------------------------------------------------------------------------


@pytest.mark.lab
def test_real_flattened_dump_without_its_log(tmp_path: Path, crash_lab: CrashLab) -> None:  # noqa: F811
    """The crash lab's real kdump-tools dump, its dmesg removed, bare and gzip-compressed: analyze
    finds the same crash in the recovered log as in the dmesg kdump saved."""
    if shutil.which("makedumpfile") is None:
        pytest.skip("makedumpfile not installed")
    real = crash_lab.crash("sysrq", tmp_path / "lab", layout="debian")
    assert real.vmcore is not None and real.dmesg is not None, real
    expected = analyze(real.dmesg.read_bytes(), source="dmesg")
    data = real.vmcore.read_bytes()
    folders = []
    for stamp, name, dump in (("202401051032", "dump.202401051032", data), ("202401051033", "dump.202401051033.gz", gzip.compress(data, 1))):
        folder = tmp_path / "crash" / stamp
        folder.mkdir(parents=True)
        write_file(folder / name, dump)
        folders.append(folder)
    result = run_analyze("--format", "json", *map(str, folders), tmpdir=tmp_path)
    assert result.returncode == 0, result
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["fingerprint"] for r in reports] == [expected.fingerprint] * 2
    assert [r["title"] for r in reports] == [expected.title] * 2
    assert "kernel log recovered from the flattened vmcore (rearranged)" in result.stderr
