"""`kcrashd run` that kills itself with SIGKILL at one processing step:
`python tests/daemon/kill_launcher.py step-N[:K] [kcrashd run options]` (tests/daemon/test_kill.py)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kcrashd.cli import main
from kcrashd.daemon import service as daemon
from tests.daemon.kill_hook import KillHook


def run(spec: str, args: list[str]) -> int:
    """The CLI's `run`, with the daemon's pipeline given the kill hook as its step callback."""
    daemon.Daemon = functools.partial(daemon.Daemon, on_step=KillHook(spec))  # type: ignore[misc]
    return main(["run", *args])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:]))
