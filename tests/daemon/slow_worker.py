"""A triage worker for tests: the real analysis, except that a log holding SLOW_MARK keeps the
CPU busy forever, the way a pathological pattern does (a seam passed in from tests/, never an
environment hook in the package). Run as `python -m tests.daemon.slow_worker`."""

from __future__ import annotations

import sys

from kcrashd.core import Report, analyze
from kcrashd.triage.worker import as_json, serve

SLOW_MARK = b"kcrashd-test: analyse me forever"


def slow_analyze(data: bytes, *, source: str = "") -> Report:
    if SLOW_MARK in data:
        spins = 0
        while True:  # pure CPU, like a backtracking regex: no signal is handled in between
            spins += 1
    return analyze(data, source=source)


def command() -> list[str]:
    return [sys.executable, "-m", "tests.daemon.slow_worker"]


if __name__ == "__main__":
    sys.exit(serve(as_json(slow_analyze)))
