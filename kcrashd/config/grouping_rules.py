"""The operator's grouping rule files, read into the core's frozen `OperatorRules` (docs/grouping-rules.md).

`[grouping] rules_dir` (default `grouping.d` beside the main configuration file) holds `*.toml`
files, read in name order; each may have `[[frames]]` and `[[override]]` tables. A bad file is a
`ConfigError` naming `file:line` and the reason, as for the main configuration: kcrashd never
triages with half of its rules. Every place that triages gets its rules here: the daemon and its
worker processes, `kcrashd scan`, `kcrashd analyze --config`, `info --explain`, `retriage`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from kcrashd.config.settings import DEFAULT_CONFIG, Config, ConfigError, read_toml, validation_message
from kcrashd.config.tomllines import KeyPath, key_lines
from kcrashd.core.operator_rules import FrameRule, OperatorRules, Override, RuleFile


def rules_folder(config: Config, config_path: Path | None = None) -> Path:
    """Where the rule files are: `rules_dir`, a relative one taken from the main file's folder."""
    return (config_path or DEFAULT_CONFIG).parent / config.grouping.rules_dir


def rule_files(folder: Path) -> list[Path]:
    """The folder's `*.toml` files in name order (none when the folder does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if p.is_file())


def load_rules(config: Config, config_path: Path | None = None) -> OperatorRules:
    """Every rule of every file of the rules folder, in order, each with its `file:line`.
    `config_path`: the main configuration file (`--config`; default /etc/kcrashd/kcrashd.toml)."""
    frames: list[FrameRule] = []
    overrides: list[Override] = []
    seen: dict[tuple[str, str], str] = {}
    for file in rule_files(rules_folder(config, config_path)):
        parsed, lines = read_rule_file(file)
        frames += placed(parsed.frames, "frames", f"{file}:", lines, seen)
        overrides += placed(parsed.override, "override", f"{file}:", lines, seen)
    return OperatorRules(frames=tuple(frames), overrides=tuple(overrides))


Rule = TypeVar("Rule", FrameRule, Override)


def placed(rules: tuple[Rule, ...], section: str, where: str, lines: dict[KeyPath, int], seen: dict[tuple[str, str], str]) -> list[Rule]:
    """The rules of one section with their `file:line`; a name used twice in a section is refused."""
    out = []
    for index, rule in enumerate(rules):
        origin = f"{where}{lines.get((section, index), 1)}"
        if (section, rule.name) in seen:
            raise ConfigError(f"{origin}: {section}.name: {rule.name!r} is used already ({seen[section, rule.name]})")
        seen[section, rule.name] = origin
        out.append(rule.model_copy(update={"origin": origin}))
    return out


def read_rule_file(file: Path) -> tuple[RuleFile, dict[KeyPath, int]]:
    """One rule file validated, and the line of each of its keys; ConfigError with file:line."""
    text, table = read_toml(file)
    lines = key_lines(text)
    for section in ("frames", "override"):
        entries = table.get(section)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and "origin" in entry:
                raise ConfigError(f"{file}:{lines.get((section, index, 'origin'), 1)}: {section}.origin: unknown setting")
    try:
        return RuleFile.model_validate(table), lines
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, [(file, text)])) from None
