"""The verb table of the command line matches what the verb modules register."""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
from pathlib import Path

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
        "print(sorted(m for m in ('requests', 'watchdog', 'systemd', 'kcrashd.daemon.service') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


MAN_PAGE = Path(__file__).resolve().parents[2] / "docs" / "man" / "kcrashd.8.md"


def test_every_verb_is_in_the_man_page() -> None:
    """kcrashd(8) names each verb in its synopsis and describes it under COMMANDS."""
    text = MAN_PAGE.read_text()
    synopsis = text.split("# SYNOPSIS", 1)[1].split("\n# ", 1)[0]
    commands = text.split("# COMMANDS", 1)[1].split("\n# ", 1)[0]
    described = set(re.findall(r"^`([a-z-]+)`", commands, re.M))
    parser = build_parser()
    registered = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for verb in registered:
        assert f"`kcrashd {verb}`" in synopsis, f"{verb} missing from the SYNOPSIS of kcrashd(8)"
        assert verb in described, f"{verb} not described under COMMANDS of kcrashd(8)"


def test_exit_codes_are_in_the_man_page() -> None:
    from kcrashd import cli

    status = MAN_PAGE.read_text().split("# EXIT STATUS", 1)[1].split("\n# ", 1)[0]
    for name in ("EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE", "EXIT_NOT_FOUND", "EXIT_DEFERRED"):
        assert re.search(rf"^{getattr(cli, name)}\n: ", status, re.M), name


def test_relative_time_after_since_is_its_value() -> None:
    from kcrashd.cli import attach_dash_values

    assert attach_dash_values(["list", "--since", "-1h", "-r"]) == ["list", "--since=-1h", "-r"]
    assert attach_dash_values(["list", "--until", "-2d"]) == ["list", "--until=-2d"]
    assert attach_dash_values(["list", "--since", "--json"]) == ["list", "--since", "--json"]
    assert attach_dash_values(["list", "--", "--since", "-1h"]) == ["list", "--", "--since", "-1h"]
