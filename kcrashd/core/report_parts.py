"""The parts of a report the core builds itself (severity, taint, modules, unread ranges), as
plain frozen dataclasses: analysing a log needs no pydantic (`kcrashd analyze`'s start-up and
per-report cost, docs/performance.md). The report model (core/model.py) types its fields with
these classes, so each part has this one definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How loud a crash is; the journal priority and alert filters follow it."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, kw_only=True)
class Module:
    """An entry of `Modules linked in:` with its taint flags, e.g. `(OE)`."""

    name: str
    flags: str = ""


@dataclass(frozen=True, kw_only=True)
class Taint:
    """The `Tainted:` letters and what each means."""

    letters: str = ""
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Unread:
    """A part of the log that triage did not analyse, and why.  Byte offsets (`start`, `end`, end
    exclusive) when the reader of the file skipped it, line numbers (1-based) when triage did."""

    start: int | None = None
    end: int | None = None
    first_line: int | None = None
    last_line: int | None = None
    reason: str
