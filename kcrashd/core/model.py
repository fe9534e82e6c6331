"""The report model: the public, documented result of triage (see docs/report-schema.md).

Fields are only ever appended, never renamed: journal entries, alerts and tickets carry them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kcrashd.core.report_parts import Module, Severity, Taint, Unread

__all__ = ["AppliedRule", "Event", "Frame", "Module", "Report", "Severity", "Taint", "Unread"]


class Frame(BaseModel):
    """One call-trace line, as the kernel printed it, with the function name cleaned."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    function: str
    offset: str | None = None
    module: str | None = None
    reliable: bool = True
    context: str | None = None


class Event(BaseModel):
    """A crash event found in the log other than the fatal one (a survived WARNING, a stall)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    title: str
    kind: str
    function: str | None = None
    line: int | None = None


class AppliedRule(BaseModel):
    """An operator grouping rule that changed a report (docs/grouping-rules.md)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    origin: str  # file:line of the rule
    rule: str  # `frames NAME` or `override NAME`
    effect: str  # what it did, in words
    fingerprint: str = ""  # the report's key after it


class Report(BaseModel):
    """Everything triage learns from one kernel log."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    source: str = ""
    title: str = ""
    alt_titles: list[str] = Field(default_factory=list)
    kind: str = "none"
    severity: Severity = Severity.INFO
    function: str | None = None
    fingerprint: str = ""
    fingerprint_version: int = 1
    fingerprint_aliases: list[str] = Field(default_factory=list)
    strict_fingerprint: str = ""
    corrupted: bool = False
    corrupted_reason: str | None = None
    panicked: bool = False
    panic_message: str | None = None
    kernel_release: str | None = None
    arch: str | None = None
    hardware: str | None = None
    comm: str | None = None
    pid: int | None = None
    cpu: int | None = None
    taint: Taint = Field(default_factory=Taint)
    modules: list[Module] = Field(default_factory=list)
    ip: str | None = None
    frames: list[Frame] = Field(default_factory=list)
    preceding: list[Event] = Field(default_factory=list)
    excerpt: list[str] = Field(default_factory=list)
    error: str | None = None
    signature: str | None = None
    crash_type: str = ""
    unread: list[Unread] = Field(default_factory=list)
    operator_rules: list[AppliedRule] = Field(default_factory=list)

    @property
    def has_crash(self) -> bool:
        return self.kind != "none" and self.error is None
