"""Verbs for administrators: `check-config` (validate, show the effective settings) and `doctor`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from kcrashd.cli import doctor
from kcrashd.config.settings import (
    DEFAULT_CONFIG,
    Config,
    ConfigError,
    config_files,
    load_config,
    locate_setting,
)

EXIT_OK = 0
EXIT_BAD = 1

REDACTED = "[redacted]"
# Keys whose value is a secret itself; `*_ref` keys only name where a secret lives and are shown.
SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "routing_key", "private_key")
SECRET_MAPS = ("headers",)  # every value may carry a credential (Authorization, X-API-Key, ...)


def register(verbs: argparse._SubParsersAction[Any]) -> None:
    """Add this module's verbs to the command line."""
    check = verbs.add_parser(
        "check-config",
        help="validate the configuration and print the effective settings",
        description="Read the configuration file and its drop-ins, validate them and print the "
        "effective settings with secrets redacted. Exit 1 with file:line: reason on an error.",
    )
    check.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"main configuration file (default {DEFAULT_CONFIG})",
    )
    check.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    check.add_argument("-q", "--quiet", action="store_true", help="validate only, print nothing on success")
    check.set_defaults(func=check_config)

    doctor = verbs.add_parser(
        "doctor",
        help="tell whether a kernel crash on this host would be caught",
        description="Check kdump, the capture kernel, crashkernel= memory, free space, pstore, where "
        "kdump really writes and other tools that move or delete dumps. Exit 1 when a crash "
        "would be lost.",
    )
    doctor.add_argument(
        "--config", type=Path, default=None, metavar="FILE", help="kcrashd configuration file"
    )
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(func=run_doctor)


def check_config(args: argparse.Namespace) -> int:
    """`kcrashd check-config`: validate, check that secret references resolve, print the effective
    configuration."""
    from kcrashd.config.grouping_rules import load_rules, rule_files, rules_folder

    main = args.config or DEFAULT_CONFIG
    try:
        config = load_config(args.config)
        rules = load_rules(config, args.config)
    except ConfigError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_BAD
    findings = reference_findings(config, main)
    for fatal, text in findings:
        print(f"kcrashd: {'' if fatal else 'warning: '}{text}", file=sys.stderr)
    if any(fatal for fatal, _ in findings):
        return EXIT_BAD
    if args.quiet:
        return EXIT_OK
    data = redact_settings(config.model_dump(mode="json"))
    files = config_files(main)
    folder = rules_folder(config, args.config)
    ruled = [str(f) for f in rule_files(folder)]
    if args.json:
        shown = {"files": [str(f) for f in files], "config": data, "rule_files": ruled}
        print(json.dumps({**shown, "rules": rules.model_dump(mode="json")}, indent=2, sort_keys=False))
    else:
        read = ", ".join(str(f) for f in files) or f"none ({main} not found): built-in defaults"
        print(f"# Effective kcrashd configuration; files read: {read}")
        print(f"# Secrets are shown as {REDACTED!r}.")
        print(f"# Grouping rules ({folder}): {len(rules.frames)} frame rule(s), {len(rules.overrides)} override(s)"
              + (f" from {', '.join(ruled)}" if ruled else ""))  # fmt: skip
        print(to_toml(data), end="")
    return EXIT_OK


def reference_findings(config: Config, main: Path) -> list[tuple[bool, str]]:
    """Every secret reference of the alert targets that does not resolve, as (fatal, `file:line:
    setting: why`); a URL held by a reference must be an http(s) URL."""
    findings: list[tuple[bool, str]] = []
    for index, target in enumerate(config.alerts.targets):
        for field in type(target).model_fields:
            ref = getattr(target, field)
            if field.endswith("_ref") and ref:
                loc = ("alerts", "targets", index, field)
                found = reference_finding(ref, field == "url_ref", main.parent / "credentials")
                if found is not None:
                    at = locate_setting(main, loc) or ".".join(map(str, loc))
                    findings.append((found[0], f"{at}: {'.'.join(map(str, loc))}: {found[1]}"))
    return findings


def reference_finding(ref: str, is_url: bool, credentials: Path) -> tuple[bool, str] | None:
    """What is wrong with one reference (fatal, why), or None."""
    from kcrashd.config.alerting import check_url
    from kcrashd.sinks.alerting.secrets import SecretError, read_reference

    try:
        value = read_reference(ref, credentials)
    except SecretError as exc:
        return True, str(exc)
    if value is None:
        return False, f"{ref}: not set here; cannot check a variable the service's Environment= sets"
    if is_url:
        try:
            check_url(value)
        except ValueError:
            return True, f"{ref}: holds something that is not an http:// or https:// URL"
    return None


def run_doctor(args: argparse.Namespace) -> int:
    """`kcrashd doctor`: would a crash on this host be caught?"""
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"kcrashd: {exc}", file=sys.stderr)
        return EXIT_BAD
    findings = doctor.diagnose(doctor.Host(), config)
    if args.json:
        print(json.dumps(doctor.to_json(findings), indent=2))
    else:
        print(doctor.render(findings), end="")
    return doctor.exit_code(findings)


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return not lowered.endswith("_ref") and any(word in lowered for word in SECRET_WORDS)


def redact_url(value: str) -> str:
    """A URL with its password and query values replaced; other strings unchanged."""
    parts = urlsplit(value)
    if not (parts.scheme and parts.netloc):
        return value
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(":" + parts.password + "@", ":" + REDACTED + "@", 1)
    query = "&".join(
        (pair.split("=", 1)[0] + "=" + REDACTED) if "=" in pair else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_settings(value: Any, key: str = "") -> Any:
    """Settings with secret values replaced, for printing."""
    if isinstance(value, dict):
        if key in SECRET_MAPS:
            return {k: REDACTED for k in value}
        return {k: redact_settings(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_settings(v, key) for v in value]
    if isinstance(value, str):
        if is_secret_key(key) and value:
            return REDACTED
        return redact_url(value)
    return value


def toml_value(value: Any) -> str:
    """One TOML value (inline form)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A settings tree as TOML: scalars first, then sub-tables, then arrays of tables.

    TOML has no null: unset (None) values are shown as comments.
    """
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    arrays: list[tuple[str, list[dict[str, Any]]]] = []
    for key, value in data.items():
        if value is None:
            lines.append(f"# {toml_key(key)} is not set")
        elif isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    base = prefix.strip("[]")
    for key, table in tables:
        name = f"{base}.{toml_key(key)}" if base else toml_key(key)
        out += f"\n[{name}]\n" + to_toml(table, f"[{name}]")
    for key, items in arrays:
        name = f"{base}.{toml_key(key)}" if base else toml_key(key)
        for item in items:
            out += f"\n[[{name}]]\n" + _array_item(item)
    return out


def _array_item(item: dict[str, Any]) -> str:
    lines = []
    for key, value in item.items():
        if value is None:
            lines.append(f"# {toml_key(key)} is not set")
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    return "\n".join(lines) + "\n"
