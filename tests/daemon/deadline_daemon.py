"""`kcrashd run` whose triage workers are tests/daemon/slow_worker.py: the daemon as systemd
starts it, with the worker command passed in from tests/. Run as
`python -m tests.daemon.deadline_daemon ARGS...` (the arguments of `kcrashd run`)."""

from __future__ import annotations

import sys

from kcrashd.cli import build_parser
from kcrashd.cli.history import overrides_of, setup_logging
from kcrashd.daemon.service import Daemon
from tests.daemon.slow_worker import command


def main(argv: list[str]) -> int:
    args = build_parser("run").parse_args(["run", *argv])
    setup_logging(args.verbose)
    return Daemon(args.config, overrides_of(args), worker_command=command()).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
