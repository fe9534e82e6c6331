"""`kcrashd analyze -j N`: logs analysed in N worker processes, printed in the order given."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
