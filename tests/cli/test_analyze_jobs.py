"""`kcrashd analyze -j N`: logs analysed in N worker processes, printed in the order given."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus" / "syzkaller"


def corpus_files(count: int) -> list[str]:
    lines = (CORPUS / "index.jsonl").read_text().splitlines()[:count]
    return [str(CORPUS / json.loads(line)["file"]) for line in lines]


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "kcrashd", "analyze", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, cwd=REPO)


def test_parallel_output_is_the_serial_output_in_input_order(tmp_path: Path) -> None:
    paths = corpus_files(40)
    paths.insert(7, str(tmp_path / "missing.log"))  # an unreadable PATH keeps its place
    paths.insert(20, str(REPO / "tests" / "corpus" / "seed"))  # a folder with no kernel log name
    serial = analyze("--format", "json", "-j", "1", *paths)
    parallel = analyze("--format", "json", "-j", "3", *paths)
    assert parallel.returncode == serial.returncode == 1, parallel.stderr
    assert parallel.stdout == serial.stdout
    sources = [json.loads(line)["source"] for line in parallel.stdout.splitlines()]
    assert sources == paths
    assert "error" in json.loads(parallel.stdout.splitlines()[7])
    titled = [json.loads(line).get("title") for line in parallel.stdout.splitlines()]
    assert sum(1 for title in titled if title) > 20


def test_text_output_in_order_and_bad_job_counts_refused() -> None:
    paths = corpus_files(6)
    serial, parallel = analyze("-j", "1", *paths), analyze("-j", "2", *paths)
    assert parallel.returncode == serial.returncode == 0
    assert parallel.stdout == serial.stdout
    for bad in ("0", "-1", "two"):
        refused = analyze("-j", bad, *paths)
        assert refused.returncode == 2 and "-j" in refused.stderr


def test_logs_are_read_ahead_of_the_one_printed_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow log at the head of the line holds no worker idle: the logs after it are already
    being read (AHEAD per job), up to AHEAD_BYTES of them."""
    from kcrashd.triage import pool
    from kcrashd.triage.pool import AHEAD, analyze_in_order
    from kcrashd.triage.worker import ruled_analyze

    log = (REPO / "examples" / "127.0.0.1-2020-04-28-01:31:54" / "vmcore-dmesg.txt").read_bytes()

    def reads() -> int:
        """How many logs were read when the first report came out."""
        taken = []

        def logs() -> Iterator[tuple[str, bytes]]:
            for n in range(4 * AHEAD):
                taken.append(n)
                yield f"{n}.log", log

        answers = analyze_in_order(logs(), 2, fork=ruled_analyze(None))
        try:
            source, answer = next(answers)
            assert source == "0.log" and answer is not None and b"sysrq_handle_crash" in (answer.payload or b"")
            return len(taken)
        finally:
            answers.close()

    assert AHEAD >= 16
    assert reads() == 2 * AHEAD
    monkeypatch.setattr(pool, "AHEAD_BYTES", 4 * len(log))
    assert reads() == 5  # past AHEAD_BYTES: no more read ahead


def _whose(data: bytes, *, source: str = "") -> bytes:
    """An analysis that names the process it ran in (and takes a little time, as a real one does)."""
    time.sleep(0.002)
    return f"{os.getpid()} {source} {len(data)}".encode()


def test_the_commands_own_process_is_one_of_the_jobs() -> None:
    """With 2 jobs there is one worker: the command's own process analyses the logs the worker cannot
    take yet, and the answers still come out in input order, each the one of its own log."""
    from kcrashd.triage.pool import analyze_in_order

    logs = [(f"{n}.log", b"x" * (100 + n)) for n in range(40)]
    answers = list(analyze_in_order(iter(logs), 2, fork=_whose))
    assert [source for source, _ in answers] == [source for source, _ in logs]
    said = [(answer.payload or b"").decode().split() for _, answer in answers if answer is not None]
    assert [(source, int(size)) for _, source, size in said] == [(source, len(data)) for source, data in logs]
    pids = {pid for pid, _, _ in said}
    assert str(os.getpid()) in pids and len(pids) == 2  # this process and its one worker


def test_a_large_log_goes_to_a_worker() -> None:
    """A log above HERE_BYTES is never analysed in the command's own process: the worker's queue
    would run dry while it runs."""
    from kcrashd.triage.pool import HERE_BYTES, analyze_in_order

    logs = [(f"{n}.log", b"x" * (HERE_BYTES + 1)) for n in range(8)]
    answers = list(analyze_in_order(iter(logs), 2, fork=_whose))
    pids = {(answer.payload or b"").split()[0] for _, answer in answers if answer is not None}
    assert len(answers) == 8 and str(os.getpid()).encode() not in pids and len(pids) == 1
