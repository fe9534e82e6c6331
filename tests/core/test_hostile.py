"""Hostile logs: input-controlled depth, floods and holes cannot stall, blind or mislead triage."""

from __future__ import annotations

from kcrashd.core import analyze, has_crash

OOPS = (
    "  BUG: unable to handle kernel NULL pointer dereference at 0000000000000000\n"
    "  RIP: 0010:sysrq_handle_crash+0x16/0x20\n"
    "  Call Trace:\n"
    "   __handle_sysrq+0x8e/0x1a0\n"
)


def test_a_header_after_100000_continuation_lines_is_found_without_recursion() -> None:
    # Each indented, unstamped line continues the record before it: its context is the first line's.
    data = "[    1.000000] x: start\n" + "  continued line\n" * 100_000 + OOPS
    report = analyze(data)
    assert report.corrupted_reason is None
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash"
    assert has_crash(data)
