"""`kcrashd analyze`: output shape, refusals, exit codes, bounded memory on a 2 GiB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kcrashd.sources.logfile import LogFileError, find_log_file, read_log
from tests.core.golden import CORPUS

SEED = CORPUS / "seed" / "rhel8-sysrq.log"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kcrashd", "analyze", *args], capture_output=True, text=True, timeout=120)


def test_json_one_line_per_path_in_order(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    paths = [str(SEED), str(empty), str(CORPUS / "edge" / "sysrq-6.1-panic.log")]
    r = run("--format", "json", *paths)
    assert r.returncode == 0, r.stderr
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["source"] for o in objs] == paths
    assert objs[0]["function"] == "sysrq_handle_crash" and objs[1]["kind"] == "none"


def test_errors_and_exit_codes(tmp_path: Path) -> None:
    nodir = tmp_path / "crash"
    nodir.mkdir()
    (nodir / "kexec-dmesg.log").write_text("BUG: nothing\n")
    r = run("--format", "json", str(tmp_path / "missing"), str(nodir), str(SEED))
    assert r.returncode == 1
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert objs[0].get("error") and objs[1].get("error") and not objs[2].get("error")
    assert "Traceback" not in r.stderr
    assert run().returncode == 2
    assert run("--format", "xml", str(SEED)).returncode == 2


def test_crash_directory(tmp_path: Path) -> None:
    d = tmp_path / "127.0.0.1-2024-01-01-00:00:00"
    d.mkdir()
    (d / "kexec-dmesg.log").write_text("[ 1.0] Kernel panic - not syncing: decoy\n")
    (d / "vmcore-dmesg.txt").write_bytes(SEED.read_bytes())
    assert find_log_file(d) == d / "vmcore-dmesg.txt"
    r = run("--format", "json", str(d))
    assert json.loads(r.stdout)["function"] == "sysrq_handle_crash"


def test_find_log_file_priority(tmp_path: Path) -> None:
    (tmp_path / "vmcore-dmesg-incomplete.txt").write_text("x\n")
    assert find_log_file(tmp_path) == tmp_path / "vmcore-dmesg-incomplete.txt"
    (tmp_path / "dmesg.202601210724").write_text("x\n")
    assert find_log_file(tmp_path) == tmp_path / "dmesg.202601210724"
    (tmp_path / "vmcore-dmesg.txt").write_text("x\n")
    assert find_log_file(tmp_path) == tmp_path / "vmcore-dmesg.txt"
    with pytest.raises(LogFileError):
        find_log_file(tmp_path / "vmcore-dmesg.txt")


def test_read_log_refuses_symlink_and_fifo(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(SEED)
    assert read_log(link) == SEED.read_bytes()
    with pytest.raises(LogFileError):
        read_log(link, follow_symlinks=False)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(LogFileError):
        read_log(fifo)


def test_binary_junk_no_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(bytes(range(256)) * 4000 + b"\x1b[2J BUG: \x07\x1b]0;pwn\x07\n")
    r = run(str(junk))
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout


def test_two_gib_sparse_file_bounded_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    with open(big, "wb") as f:
        f.write(b"[    0.000000] Linux version 6.1.0-27-amd64 (debian-kernel@lists.debian.org)\n")
        f.truncate(2 * 1024**3)
        f.seek(2 * 1024**3)
        f.write(b"\n" + SEED.read_bytes())
    # A fresh wrapper process has exactly one child, so its RUSAGE_CHILDREN is that child's peak.
    wrapper = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True); "
        "sys.stdout.buffer.write(r.stdout); "
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"
    )
    measured = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "kcrashd", "analyze", "--format", "json", str(big)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    code, peak_kib = (int(x) for x in measured.stderr.split()[-2:])
    assert code == 0
    obj = json.loads(measured.stdout)
    assert obj["function"] == "sysrq_handle_crash"
    assert peak_kib < 100 * 1024, f"max RSS {peak_kib} KiB"


def test_text_output_says_what_was_not_analysed(tmp_path: Path) -> None:
    log = tmp_path / "console.log"
    hung = b"[  100.000000] INFO: task kworker/0:1:12 blocked for more than 120 seconds.\n"
    log.write_bytes(hung * 80_000 + SEED.read_bytes())  # ~6 MiB: searched whole, a flood left out
    r = run(str(log))
    assert r.returncode == 0, r.stderr
    assert "sysrq_handle_crash" in r.stdout
    assert "not analysed  bytes " in r.stdout and "flood: " in r.stdout
