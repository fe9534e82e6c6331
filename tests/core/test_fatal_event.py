"""Which report of a log is the crash (events.choose_fatal), on logs composed of committed samples.

kdump-written logs end at the oops kdump fired at (no panic line, no `---[ end trace`): that oops is
the crash and survived reports before it are `preceding`.  Fuzzing console logs hold a cascade of
unfinished reports: the first one is the crash.
"""

from __future__ import annotations

from kcrashd.core import analyze
from tests.core.golden import CORPUS

WARNING = (CORPUS / "edge" / "warn-kobject.log").read_text()  # a survived WARNING, ends with its end trace
OOPS = (CORPUS / "seed" / "rhel8-sysrq.log").read_text()  # RHEL 8 sysrq-c: kdump fired, no panic line
INVALID_OPCODE = (CORPUS / "edge" / "invalid-opcode.log").read_text()


def test_kdump_log_ends_in_the_fatal_oops_after_a_survived_warning() -> None:
    report = analyze(WARNING + OOPS)
    assert report.function == "sysrq_handle_crash"
    assert [e.function for e in report.preceding] == ["mydrv_register_node"]


def test_unfinished_first_report_starts_the_cascade() -> None:
    # The same two reports, but the WARNING never printed its end marker: the oops interrupted it
    # (a fuzzing console log), so the WARNING is where the crash began.
    unfinished = "".join(line for line in WARNING.splitlines(keepends=True) if "end trace" not in line)
    report = analyze(unfinished + OOPS)
    assert report.function == "mydrv_register_node"
    assert [e.function for e in report.preceding] == ["sysrq_handle_crash"]


def test_invalid_opcode_continues_the_report_before_it() -> None:
    # `invalid opcode: 0000` after `kernel BUG at` is the same oops, not a second report.
    report = analyze(INVALID_OPCODE)
    assert report.function == "crashmod_ud2" and not report.preceding


def test_panic_line_picks_the_report_it_follows() -> None:
    panic = "[  567.000000] Kernel panic - not syncing: Fatal exception\n"
    report = analyze(WARNING + OOPS + panic)
    assert report.function == "sysrq_handle_crash" and report.panicked


def test_only_survived_reports_give_the_first() -> None:
    report = analyze(WARNING + WARNING.replace("kobject_add_internal", "kobject_del"))
    assert report.title == analyze(WARNING).title
    assert len(report.preceding) == 1
