"""The verb table of the command line matches what the verb modules register."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from kcrashd.cli import VERB_MODULES, build_parser, main


def registered_verbs(module: str) -> set[str]:
    parser = argparse.ArgumentParser()
    verbs = parser.add_subparsers()
    importlib.import_module(module).register(verbs)
    return set(verbs.choices)


def test_table_names_every_registered_verb() -> None:
    for module in set(VERB_MODULES.values()):
        named = {verb for verb, owner in VERB_MODULES.items() if owner == module}
        assert registered_verbs(module) == named


def test_full_parser_knows_every_verb() -> None:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(action.choices) == set(VERB_MODULES)


def test_no_verb_is_a_usage_error() -> None:
    assert main([]) == 2


def test_analyze_does_not_import_the_daemon_or_http() -> None:
    code = (
        "import sys; from kcrashd.cli import build_parser, chosen_verb; "
        "build_parser(chosen_verb(['analyze', 'x'])); "
        "print(sorted(m for m in ('requests', 'watchdog', 'systemd', 'kcrashd.daemon') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
