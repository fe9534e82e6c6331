"""Command line: `kcrashd VERB ...`; each verb lives in its own module and registers itself."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kcrashd import __version__

VERB_MODULES = (
    "kcrashd.cli.analyze",
    "kcrashd.cli.history",
    "kcrashd.cli.alerts",
    "kcrashd.cli.admin",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kcrashd", description="Triage Linux kernel crash dumps: classify, fingerprint, journal, alert."
    )
    parser.add_argument("--version", action="version", version=f"kcrashd {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    for name in VERB_MODULES:
        importlib.import_module(name).register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return code
