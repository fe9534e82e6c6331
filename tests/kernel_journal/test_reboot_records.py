"""The tables of kcrashd.model.reboot (shutdown records, hints) against their samples, and the cutting of
kernel lines into reports (kcrashd.sources.kernel_reports) on real lab logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcrashd.config.settings import ConfigError, load_config
from kcrashd.model.reboot import (
    HINTS,
    JOURNAL_STOPPED,
    SHUTDOWN_RECORDS,
    UNIT_STARTED,
    hint_of,
    judge_tail,
    kdump_fact,
    shutdown_record,
    went_on_until,
)
from kcrashd.sources.kernel_journal import KernelLine
from kcrashd.sources.kernel_reports import split_reports
from tests.kernel_journal.make_exports import END_TRACE, LAB, dmesg, until


@pytest.mark.parametrize("record", SHUTDOWN_RECORDS, ids=lambda r: r.name)
def test_every_shutdown_record_matches_its_sample(record: object) -> None:
    assert shutdown_record(record.sample) == record.name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "entry",
    [
        {"MESSAGE_ID": UNIT_STARTED, "UNIT": "multi-user.target", "MESSAGE": "Reached target multi-user.target."},
        {"SYSLOG_IDENTIFIER": "systemd-logind", "MESSAGE": "System is rebooting."},  # asked, not done
        {"MESSAGE_ID": JOURNAL_STOPPED.replace("d", "e"), "MESSAGE": "Journal stopped"},
        {"SYSLOG_IDENTIFIER": "kernel", "MESSAGE": "systemd-shutdown[1]: Syncing filesystems and block devices."},
    ],
)
def test_other_entries_are_not_shutdown_records(entry: dict[str, str]) -> None:
    assert shutdown_record(entry) is None


@pytest.mark.parametrize("hint", HINTS, ids=lambda h: h.fact)
def test_every_hint_matches_its_sample_and_not_its_negative(hint: object) -> None:
    assert hint_of(hint.positive) == hint.fact  # type: ignore[attr-defined]
    assert hint_of(hint.negative) != hint.fact  # type: ignore[attr-defined]


def test_command_line_is_not_a_fact() -> None:
    """In the reboot guest (Debian 12, 6.1) the watchdog's parameter is on the command line the
    kernel echoes; only the driver's own line is a hardware watchdog message."""
    line = "root=/dev/vda rw console=ttyS0,115200 panic=-1 i6300esb.heartbeat=10 crashkernel=256M"
    assert hint_of(f"Command line: {line}") is None
    assert hint_of(f"Kernel command line: {line}") is None
    assert hint_of("i6300ESB timer 0000:00:04.0: initialized. heartbeat=10 sec (nowayout=0)") == "hardware watchdog messages"


def test_tail_verdict_and_uptime() -> None:
    tail = [
        {"__MONOTONIC_TIMESTAMP": "7200500000", "MESSAGE": "Journal stopped", "MESSAGE_ID": JOURNAL_STOPPED},
        {"__MONOTONIC_TIMESTAMP": "7200000000", "MESSAGE": "Stopping"},
    ]
    end = judge_tail("b", tail)
    assert end.clean_by == "journald stopped"
    assert end.uptime_seconds == 7200.5
    assert judge_tail("b", tail[1:]).clean_by is None


def test_kdump_fact() -> None:
    assert kdump_fact([{"UNIT": "kdump-tools.service"}]) == "kdump armed: kdump-tools.service started"
    assert kdump_fact([{"UNIT": "ssh.service"}]).startswith("kdump not armed")
    ran = {"UNIT": "kdump-tools.service", "JOB_RESULT": "done", "INVOCATION_ID": "2f0c9a3e5b7d4f1e8a6c0b9d7e5f3a1c"}
    assert kdump_fact([ran]) == "kdump armed: kdump-tools.service started"
    # systemd 252 in the reboot guest, no crashkernel=: the start job is done, the unit never ran
    skipped = {"UNIT": "kdump-tools.service", "JOB_RESULT": "done", "INVOCATION_ID": ""}
    assert kdump_fact([skipped]).startswith("kdump not armed")


def lines_of(texts: list[tuple[int, str]]) -> list[KernelLine]:
    return [KernelLine(f"c{n}", 1_000_000 + mono, mono, text) for n, (mono, text) in enumerate(texts)]


def test_split_finds_the_lab_reports_and_nothing_in_a_plain_boot() -> None:
    warning = until(dmesg(LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt"), "Kernel panic - not syncing")
    plain = until(warning, "kcrashd_lab: loading")
    assert split_reports(lines_of(plain), finished=True).reports == []
    lines = lines_of([*warning, (warning[-1][0] + 1, END_TRACE)])
    split = split_reports(lines, finished=True)
    [report] = split.reports
    assert report.header.text.startswith("WARNING: CPU: 0 PID: 1 at kcrashd_lab_main.c:78")
    assert split.keep_from == len(lines)


def test_split_keeps_a_report_that_may_still_grow() -> None:
    warning = until(dmesg(LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt"), "Kernel panic - not syncing")
    lines = lines_of(warning)
    split = split_reports(lines, finished=False)
    assert split.reports == []
    assert lines[split.keep_from].text.startswith("WARNING:")


def test_kernel_journal_settings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "kcrashd.toml"
    path.write_text("[kernel_journal]\nhistory_boots = 2\ncapture_window_minutes = 5\n")
    config = load_config(path)
    assert (config.kernel_journal.history_boots, config.kernel_journal.max_reports_per_boot) == (2, 100)
    assert config.kernel_journal.enabled
    path.write_text("[kernel_journal]\npage_min_severity = 'loud'\n")
    with pytest.raises(ConfigError, match="page_min_severity"):
        load_config(path)


def test_went_on_until_is_user_space_last_word() -> None:
    tail = [
        {"_TRANSPORT": "kernel", "__REALTIME_TIMESTAMP": "300"},
        {"_TRANSPORT": "stdout", "__REALTIME_TIMESTAMP": "200"},
        {"_TRANSPORT": "kernel", "__REALTIME_TIMESTAMP": "100"},
    ]
    assert went_on_until(tail) == 200
    assert went_on_until([tail[0], tail[2]]) == -1  # only the kernel wrote: nothing ran on
