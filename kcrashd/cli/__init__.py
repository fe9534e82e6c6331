"""Command line: `kcrashd VERB ...`; each verb lives in its own module and registers itself."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kcrashd import __version__

VERB_MODULES = {
    "analyze": "kcrashd.cli.analyze",
    "run": "kcrashd.cli.history",
    "scan": "kcrashd.cli.history",
    "list": "kcrashd.cli.history",
    "info": "kcrashd.cli.history",
    "notify-test": "kcrashd.cli.alerts",
    "resend": "kcrashd.cli.alerts",
    "check-config": "kcrashd.cli.admin",
    "doctor": "kcrashd.cli.admin",
    "similar": "kcrashd.cli.grouping",
    "group": "kcrashd.cli.grouping",
    "retriage": "kcrashd.cli.retriage",
}

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_DEFERRED = 4  # `scan`: something could not be processed now; a later run will retry it

# Verbs that stay resident: they hash with the interpreter's built-in SHA-2 (same digests) rather
# than OpenSSL's, whose libcrypto would be mapped only for that (about 3.5 MiB of idle RSS).
# An alert target over HTTPS still loads OpenSSL, for TLS, when its first delivery is due.
RESIDENT_VERBS = ("run",)
# Verbs whose start-up is measured (docs/performance.md): loading libcrypto is 2.5 ms of `kcrashd
# analyze`'s start-up, and the fingerprints' SHA-256 of a few bytes is as fast either way.
BUILTIN_HASH_VERBS = (*RESIDENT_VERBS, "analyze")

# Options whose value may start with a dash: relative times such as `--since -1h`.
DASH_VALUE_OPTIONS = ("--since", "--until")


def chosen_verb(argv: Sequence[str]) -> str | None:
    """The verb named on the command line, so only its module is imported (start-up time)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in VERB_MODULES else None
    return None


def attach_dash_values(argv: Sequence[str]) -> list[str]:
    """`--since -1h` as `--since=-1h`: argparse takes a separate `-1h` for an unknown option."""
    out: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--":
            out.append(arg)
            out.extend(args)
            break
        if arg in DASH_VALUE_OPTIONS:
            value = next(args, None)
            if value is not None and value[:1] == "-" and value[1:2].isdigit():
                out.append(f"{arg}={value}")
                continue
            out.extend([arg] if value is None else [arg, value])
            continue
        out.append(arg)
    return out


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """All verbs, or only the module of `verb`: `kcrashd analyze` need not import the daemon."""
    parser = argparse.ArgumentParser(
        prog="kcrashd", description="Triage Linux kernel crash dumps: classify, fingerprint, journal, alert."
    )
    parser.add_argument("--version", action="version", version=f"kcrashd {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    modules = [VERB_MODULES[verb]] if verb else list(dict.fromkeys(VERB_MODULES.values()))
    for name in modules:
        importlib.import_module(name).register(verbs)
    return parser


def builtin_hashes() -> None:
    """Make hashlib (and hmac) use the built-in hash modules: must run before hashlib is imported
    (pydantic imports it through `secrets`); a no-op if something already imported it."""
    if "hashlib" not in sys.modules:
        sys.modules.setdefault("_hashlib", None)  # type: ignore[arg-type]  # None: "no such module"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = attach_dash_values(sys.argv[1:] if argv is None else argv)
    verb = chosen_verb(arguments)
    if verb in BUILTIN_HASH_VERBS:
        builtin_hashes()
    parser = build_parser(verb)
    args = parser.parse_args(arguments)
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
