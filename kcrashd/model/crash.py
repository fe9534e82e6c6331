"""A processed crash: the triage report plus what the shell learnt about its dump.

This is what the state database records, the journal entry describes and alerts carry.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kcrashd.core.model import Report


class VmcoreFacts(BaseModel):
    """What the vmcore header says, read without reading the dump itself."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    path: str
    format: str
    size: int
    kernel_release: str | None = None
    hostname: str | None = None
    crash_time: datetime | None = None
    complete: bool = True
    truncated: bool = False
    flags: list[str] = Field(default_factory=list)
    expected_size: int | None = None
    machine: str | None = None
    error: str | None = None


class BootFacts(BaseModel):
    """How a boot that ended without a clean shutdown ended, as its journal tells (docs/reboots.md)."""

    model_config = ConfigDict(frozen=True)

    boot_id: str
    started: datetime | None = None
    ended: datetime | None = None
    uptime_seconds: float | None = None
    last_lines: list[str] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)


class CrashRecord(BaseModel):
    """One crash as kcrashd knows it after triage."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    crash_id: str
    report: Report
    host: str
    dump_dir: str
    log_path: str | None = None
    layout: str
    crash_time: datetime
    detected_at: datetime
    incomplete: bool = False
    test: bool = False
    vmcore: VmcoreFacts | None = None
    first_seen: datetime
    count: int = 1
    hosts: int = 1
    new_fingerprint: bool = True
    source: str = ""
    too_old_to_page: bool = False
    log_origin: str = "file"
    vmcore_state: str = "absent"
    problems: list[str] = Field(default_factory=list)
    # a new fingerprint whose nearest stored crash of another fingerprint scored at least
    # [grouping] similar_threshold: "possibly the same bug as" (docs/grouping.md)
    similar_fingerprint: str | None = None
    similar_score: float | None = None
    # read from the journal (kcrashd.sources.kernel_journal): the boot it happened in, whether the machine
    # went on running after it, the dump crash of the same boot holding the same report
    boot_id: str | None = None
    survived: bool | None = None
    linked_crash_id: str | None = None
    boot: BootFacts | None = None
