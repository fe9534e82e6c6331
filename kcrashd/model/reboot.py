"""How a boot ended, from its own journal records: a clean shutdown, or not (docs/reboots.md).

Pure: journal entries (field -> text) in, a verdict and facts out. What counts as a clean end is
the table SHUTDOWN_RECORDS; the hints an unexplained reboot carries are facts found in the boot's
kernel lines (HINTS) and records, never guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# systemd's catalog ids (systemd.catalog): a unit's start job finished; journald stopped
UNIT_STARTED = "39f53479d3a045ac8e11786248231fbf"
JOURNAL_STOPPED = "d93fb3c9c24d451a97cea615ce59c00b"
SHUTDOWN_TARGETS = frozenset(
    {"shutdown.target", "final.target", "reboot.target", "poweroff.target", "halt.target", "kexec.target"}
)
KDUMP_UNITS = ("kdump.service", "kdump-tools.service")
LAST_LINES = 20


class Verdict(StrEnum):
    """What is known about the end of a boot."""

    CLEAN = "clean"  # a shutdown record: someone rebooted or powered it off
    DUMP = "dump"  # no clean end, and a dump (kdump or pstore) of that boot was found
    UNEXPLAINED = "unexplained"  # no clean end, and nothing was saved


@dataclass(frozen=True)
class ShutdownRecord:
    """An entry that only an orderly shutdown writes, with a sample of it."""

    name: str
    message_id: str | None
    identifier: str | None
    sample: Mapping[str, str]


SHUTDOWN_RECORDS = (
    ShutdownRecord(
        "journald stopped", JOURNAL_STOPPED, None,
        {"MESSAGE_ID": JOURNAL_STOPPED, "MESSAGE": "Journal stopped", "SYSLOG_IDENTIFIER": "systemd-journald"},
    ),
    ShutdownRecord(
        "shutdown target reached", UNIT_STARTED, None,
        {"MESSAGE_ID": UNIT_STARTED, "UNIT": "shutdown.target", "MESSAGE": "Reached target shutdown.target - System Shutdown."},
    ),
    ShutdownRecord(
        "systemd-shutdown", None, "systemd-shutdown",
        {"SYSLOG_IDENTIFIER": "systemd-shutdown", "MESSAGE": "Syncing filesystems and block devices."},
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Hint:
    """A kernel message that is a fact about why a machine may have reset, with samples."""

    fact: str
    needles: tuple[str, ...]
    positive: str
    negative: str


HINTS = (
    Hint("hardware watchdog messages",
         ("i6300ESB timer", "i6300esb", "iTCO_wdt", "watchdog: watchdog", "Watchdog timer", "wdat_wdt"),
         "i6300ESB timer 0000:00:04.0: initialized. heartbeat=10 sec (nowayout=0)",  # Debian 12's 6.1, QEMU
         "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [lab:123]"),
    Hint("machine check (MCE) records", ("mce: [Hardware Error]", "Machine check events logged", "Machine Check"),
         "mce: [Hardware Error]: Machine check events logged",
         "mce: CPU0: Thermal monitoring enabled (TM1)"),
    Hint("crashkernel memory reserved", ("for crashkernel",),
         "Reserving 256MB of memory at 3072MB for crashkernel (System RAM: 4095MB)",
         "crashkernel reservation failed - No suitable area found."),
)  # fmt: skip


# the kernel's echo of its command line (x86 prints the first two, every arch the second)
COMMAND_LINE = ("Command line:", "Kernel command line:", "Unknown kernel command line parameters")


def shutdown_record(entry: Mapping[str, str]) -> str | None:
    """The name of the shutdown record this entry is, or None."""
    for record in SHUTDOWN_RECORDS:
        if record.message_id is not None and entry.get("MESSAGE_ID") != record.message_id:
            continue
        if record.identifier is not None and entry.get("SYSLOG_IDENTIFIER") != record.identifier:
            continue
        if record.message_id == UNIT_STARTED and entry.get("UNIT") not in SHUTDOWN_TARGETS:
            continue
        return record.name
    return None


def hint_of(text: str) -> str | None:
    """The fact a kernel line tells, or None. A watchdog line counts only when it names a hardware
    watchdog driver or device, not the kernel's own soft/hard lockup detector (`watchdog: BUG:`);
    the kernel's echo of its command line (`i6300esb.heartbeat=10`) is a setting, not a message."""
    if text.startswith(COMMAND_LINE):
        return None
    for hint in HINTS:
        if any(needle in text for needle in hint.needles):
            return hint.fact
    return None


@dataclass
class BootEnd:
    """What was gathered about a boot's end."""

    boot_id: str
    clean_by: str | None = None
    uptime_seconds: float | None = None
    last_lines: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def judge_tail(boot_id: str, tail: Iterable[Mapping[str, str]]) -> BootEnd:
    """From the boot's last entries (newest first): the shutdown record found, and the uptime at
    the boot's last entry."""
    end = BootEnd(boot_id)
    for n, entry in enumerate(tail):
        if n == 0 and "__MONOTONIC_TIMESTAMP" in entry:
            end.uptime_seconds = int(entry["__MONOTONIC_TIMESTAMP"]) / 1e6
        name = shutdown_record(entry)
        if name is not None:
            end.clean_by = name
            break
    return end


def went_on_until(tail: Iterable[Mapping[str, str]]) -> int:
    """When user space last wrote to the journal in a boot (its last entries, newest first): a
    kernel report before that left the machine running. -1 when only the kernel wrote."""
    for entry in tail:
        if entry.get("_TRANSPORT") != "kernel" and "__REALTIME_TIMESTAMP" in entry:
            return int(entry["__REALTIME_TIMESTAMP"])
    return -1


def kdump_fact(started_units: Iterable[Mapping[str, str]]) -> str:
    """Whether a kdump service started in that boot (its start job finished), as a fact. A start
    job skipped for an unmet condition (`ConditionKernelCommandLine=crashkernel` without
    crashkernel=) also finishes as `done`, but the unit never ran: its INVOCATION_ID is empty."""
    units = sorted({entry.get("UNIT", "") for entry in started_units if ran(entry)} & set(KDUMP_UNITS))
    return (
        f"kdump armed: {', '.join(units)} started" if units else "kdump not armed: no kdump service started"
    )


def ran(start_record: Mapping[str, str]) -> bool:
    """A unit's finished start job that ran the unit (an older systemd writes no INVOCATION_ID)."""
    return start_record.get("INVOCATION_ID") != "" and start_record.get("JOB_RESULT", "done") == "done"


def pstore_fact(names: list[str], where: str) -> str:
    return f"pstore: {len(names)} record(s) in {where}" if names else f"pstore: empty ({where})"
