"""The operator's grouping rules as data (docs/grouping-rules.md): frozen, validated, pure.

Two kinds of rule, read from `grouping.d/*.toml` by the shell (kcrashd/config/grouping_rules.py) and
passed to `kcrashd.core.analyze(data, rules=...)`:

- **frame rules** (`[[frames]]`): function names the culprit walk must `skip`, `stop` at (taken as
  the culprit even when generic), or `join` with the next useful frame (the culprit `A | B`);
- **fingerprint overrides** (`[[override]]`): a `match` table (kind, culprit function, a module of
  the stack, a title regex, a fingerprint or alias) and one result: a fixed `key`, the default key
  plus `extra` text, or a `fingerprint` used as written (what `kcrashd group export` writes).

A name ending in `*` matches every name it starts. Title regexes are hostile input: refused unless
their shape is safe (kcrashd.core.pattern_shape) and searched in at most MAX_TEXT characters.
`origin` (`file:line`) and `name` say which rule did what in a report's `operator_rules`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kcrashd.core.model import Report
from kcrashd.core.pattern_shape import MAX_TEXT, pattern_problem

MAX_NAMES = 256  # names in one list
MAX_NAME = 128  # characters of one name
FINGERPRINT_SHAPE = re.compile(r"[a-z][a-z0-9]{0,15}-[a-z0-9-]{1,64}")
RULE_PREFIX = "kcr-"  # the keys an override makes from `key` or `extra`


class FrameAction(StrEnum):
    """What a frame rule does to a frame the culprit walk meets."""

    SKIP = "skip"  # never the culprit: the walk goes on below it
    STOP = "stop"  # the culprit, even when a skip list would pass over it
    JOIN = "join"  # the culprit joined with the next useful frame: `A | B`


def _names(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Validated names (`a_b`, `a_*`); ValueError names the bad one."""
    if len(values) > MAX_NAMES:
        raise ValueError(f"more than {MAX_NAMES} names")
    for value in values:
        bare = value.removesuffix("*")
        if not bare or len(value) > MAX_NAME or not all(ch.isascii() and (ch.isalnum() or ch in "_.$-") for ch in bare):
            raise ValueError(f"{value!r} is no {what} (letters, digits, _ . $ -; a trailing * for a prefix)")
    return values


def name_matches(patterns: tuple[str, ...], name: str | None) -> bool:
    """Whether `name` is one of `patterns` (`prefix*` matches every name it starts)."""
    if not name:
        return False
    return any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in patterns)


class FrameRule(BaseModel):
    """`[[frames]]`: names the culprit walk skips, stops at, or joins with the next frame."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str = Field(min_length=1, max_length=MAX_NAME)
    skip: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    join: tuple[str, ...] = ()
    origin: str = ""  # file:line, set by the loader

    @field_validator("skip", "stop", "join")
    @classmethod
    def _functions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _names(value, "function name")

    @model_validator(mode="after")
    def _some(self) -> FrameRule:
        if not (self.skip or self.stop or self.join):
            raise ValueError("a frame rule needs `skip`, `stop` or `join` (a list of function names)")
        return self

    def names(self, action: FrameAction) -> tuple[str, ...]:
        return {FrameAction.SKIP: self.skip, FrameAction.STOP: self.stop, FrameAction.JOIN: self.join}[action]


class Match(BaseModel):
    """What an override matches; every condition given must hold (at least one is needed)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: tuple[str, ...] = ()  # the report's kind, one of these
    function: tuple[str, ...] = ()  # the culprit function
    module: tuple[str, ...] = ()  # a frame of the stack in one of these modules
    title: str | None = None  # a regex searched in the title (its first MAX_TEXT characters)
    fingerprint: tuple[str, ...] = ()  # the computed fingerprint or one of its aliases

    @field_validator("kind", "function", "module")
    @classmethod
    def _listed(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _names(value, "name")

    @field_validator("fingerprint")
    @classmethod
    def _fingerprints(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = next((v for v in value if not FINGERPRINT_SHAPE.fullmatch(v)), None)
        if bad is not None:
            raise ValueError(f"{bad!r} is no fingerprint (e.g. kc3-0123456789abcdef)")
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        problem = None if value is None else pattern_problem(value)
        if problem is not None:
            raise ValueError(f"title pattern refused: {problem}")
        return value

    @model_validator(mode="after")
    def _some(self) -> Match:
        if not (self.kind or self.function or self.module or self.title is not None or self.fingerprint):
            raise ValueError("an empty match would match every crash: give kind, function, module, title or fingerprint")
        return self

    @cached_property
    def title_regex(self) -> re.Pattern[str] | None:
        return None if self.title is None else re.compile(self.title)

    def matches(self, report: Report, keys: list[str]) -> bool:
        """Whether `report` (whose fingerprint and aliases are `keys`) meets every condition."""
        if self.kind and not name_matches(self.kind, report.kind):
            return False
        if self.function and not name_matches(self.function, report.function):
            return False
        if self.module and not any(name_matches(self.module, f.module) for f in report.frames):
            return False
        if self.fingerprint and not set(self.fingerprint) & set(keys):
            return False
        regex = self.title_regex
        return regex is None or regex.search(report.title[:MAX_TEXT]) is not None


class Override(BaseModel):
    """`[[override]]`: crashes that `match` get the key this rule makes (one of three ways)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str = Field(min_length=1, max_length=MAX_NAME)
    match: Match
    key: str | None = Field(default=None, min_length=1, max_length=1024)  # fixed: kcr- + hash of it
    extra: str | None = Field(default=None, min_length=1, max_length=1024)  # the default key plus this
    fingerprint: str | None = None  # this fingerprint, as written
    origin: str = ""  # file:line, set by the loader

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, value: str | None) -> str | None:
        if value is not None and not FINGERPRINT_SHAPE.fullmatch(value):
            raise ValueError(f"{value!r} is no fingerprint (e.g. kc3-0123456789abcdef)")
        return value

    @model_validator(mode="after")
    def _one_result(self) -> Override:
        if sum(x is not None for x in (self.key, self.extra, self.fingerprint)) != 1:
            raise ValueError("an override needs exactly one of `key`, `extra` and `fingerprint`")
        return self


class RuleFile(BaseModel):
    """One `grouping.d/*.toml` file as written."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    frames: tuple[FrameRule, ...] = ()
    override: tuple[Override, ...] = ()


class OperatorRules(BaseModel):
    """Every rule of every file, in file-name order; the default has none (triage unchanged)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    frames: tuple[FrameRule, ...] = ()
    overrides: tuple[Override, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.frames or self.overrides)

    def frame_rule(self, action: FrameAction, function: str) -> FrameRule | None:
        """The first frame rule that gives `function` this action."""
        return next((rule for rule in self.frames if name_matches(rule.names(action), function)), None)


NO_RULES = OperatorRules()
