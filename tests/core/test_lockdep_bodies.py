"""A lockdep report quoted without its banner is still read (signatures rows `lockdep-acquire-body`,
`lockdep-usage-body`, `rcu-usage-body`): kernel/locking/lockdep.c prints `%s/%d is trying to acquire lock:` first in the body of a
circular or recursive locking report (print_circular_bug_header, print_deadlock_bug) and `inconsistent {%s} ->
{%s} usage.` in an inconsistent lock state (print_usage_bug), and lockdep_rcu_suspicious the RCU check's `%s:%d %s!`
line.  Below the banner, those lines continue its report."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from tests.core.golden import CORPUS

_BANNER = """\
======================================================
WARNING: possible circular locking dependency detected
6.1.0 #1 Not tainted
------------------------------------------------------
"""

_CIRCULAR_BODY = (CORPUS / "edge" / "lockdep-circular-headless.log").read_text()

_USAGE_BODY = (CORPUS / "edge" / "lockdep-usage-headless.log").read_text()


def test_a_circular_report_without_its_banner_is_a_possible_deadlock() -> None:
    rep = analyze(_CIRCULAR_BODY.encode())
    assert (rep.title, rep.function, rep.kind) == ("possible deadlock in foo_vdd_notify", "foo_vdd_notify", "lockdep")


def test_below_its_banner_the_body_continues_the_report() -> None:
    whole = analyze((_BANNER + _CIRCULAR_BODY).encode())
    assert whole.title == "possible deadlock in foo_vdd_notify"
    assert not whole.preceding and not whole.corrupted
    assert whole.fingerprint == analyze(_CIRCULAR_BODY.encode()).fingerprint


def test_other_cpus_lines_between_banner_and_body_keep_one_report() -> None:
    noise = "".join(f"usb 1-{n}: new high-speed USB device number {n} using ehci-pci\n" for n in range(1, 6))
    rep = analyze((_BANNER + noise + _CIRCULAR_BODY).encode())
    assert rep.title == "possible deadlock in foo_vdd_notify" and not rep.preceding


def test_an_inconsistent_lock_state_without_its_banner_is_read() -> None:
    rep = analyze(_USAGE_BODY.encode())
    assert (rep.title, rep.kind) == ("inconsistent lock state in foo_dump_state", "lockdep")


def test_the_body_line_alone_or_in_other_words_is_no_report() -> None:
    assert analyze(b"kworker/0:1/12 is trying to acquire lock:\nsomething else\n").title == ""
    assert analyze(b"  the driver is trying to acquire lock: retrying\n").title == ""
    assert analyze(b"inconsistent {config} -> {state} usage. see the manual\n").title == ""


_RCU_BANNER = "".join(f"[  231.408100] {line}\n" for line in (
    "=============================", "WARNING: suspicious RCU usage", "6.1.0 #1 Not tainted", "-----------------------------",
))

_RCU_BODY = (CORPUS / "edge" / "rcu-usage-headless.log").read_text()


def test_an_rcu_usage_report_without_its_banner_is_read() -> None:
    rep = analyze(_RCU_BODY.encode())
    assert (rep.title, rep.function, rep.kind) == ("WARNING: suspicious RCU usage in foo_stats_show", "foo_stats_show", "lockdep")
    assert rep.corrupted  # the banner was cut
    whole = analyze((_RCU_BANNER + _RCU_BODY).encode())
    assert whole.title == rep.title and not whole.corrupted and not whole.preceding
    assert whole.fingerprint == rep.fingerprint


def test_the_rcu_check_line_without_lockdep_s_lines_is_no_report() -> None:
    # Negative: the check's words without `rcu_scheduler_active = N` below, or in other words.
    assert analyze(b"fs/foo.c:12 RCU-list traversed in non-reader section!!\nsomething else\n").title == ""
    assert analyze(b"note: suspicious rcu_dereference_check() usage is documented in rcu.rst\n").title == ""


def test_an_rcu_usage_report_cut_to_its_check_and_trace_is_read_by_the_reporter_frame() -> None:
    # The stable queue's 5.6.7 intel-iommu fix quotes the check's line, the held lock and dump_stack's trace: without
    # `rcu_scheduler_active = N`, the trace's lockdep_rcu_suspicious frame says whose report it is.
    rep = analyze((CORPUS / "production" / "patches" / "stable-5.6.7-intel-iommu-dmar-find-atsr-rcu-list-suspicious.txt").read_bytes())
    assert (rep.title, rep.function, rep.kind) == ("WARNING: suspicious RCU usage in dmar_find_atsr", "dmar_find_atsr", "lockdep")


def test_the_rcu_check_line_over_a_trace_of_no_rcu_report_is_no_report() -> None:
    # Negative: the check's words over a trace that lockdep_rcu_suspicious did not print (a WARN's, a tool's).
    log = b"fs/foo.c:12 RCU-list traversed in non-reader section!!\nCall Trace:\n dump_stack+0x10/0x20\n foo_show+0x1/0x2\n"
    assert analyze(log).title == ""


_RCU_EQS_BODY = (CORPUS / "edge" / "rcu-usage-eqs-headless.log").read_text()
# The lines lockdep_rcu_suspicious prints between its banner and `RCU used illegally from ...!`.
_RCU_EQS_ABOVE = "".join(f"[  412.220860] {line}\n" for line in (
    "include/trace/events/lock.h:13 suspicious rcu_dereference_check() usage!", "", "other info that might help us debug this:",
    "", "", "rcu_scheduler_active = 2, debug_locks = 1",
))


def test_an_rcu_usage_report_quoted_from_its_not_watching_line_is_read() -> None:
    # The lock tracepoint (trace_lock_acquire) and the lock API are skipped: the culprit takes the lock.
    rep = analyze(_RCU_EQS_BODY.encode())
    assert (rep.title, rep.function, rep.kind) == ("WARNING: suspicious RCU usage in foo_idle_enter", "foo_idle_enter", "lockdep")
    assert rep.corrupted
    whole = analyze((_RCU_BANNER + _RCU_EQS_ABOVE + _RCU_EQS_BODY).encode())
    assert (whole.title, whole.corrupted, whole.preceding) == (rep.title, False, [])
    assert whole.fingerprint == rep.fingerprint


@pytest.mark.parametrize("text", [
    # the line without lockdep's held locks or trace below it
    b"RCU used illegally from extended quiescent state!\nsomething else\n",
    # other words after the same start
    b"RCU used illegally from my_driver, see the docs\n1 lock held by foo/1:\n #0: (&l){....}, at: foo+0x1/0x2\n",
    # mid-line, in a program's message
    b"audit: RCU used illegally from extended quiescent state! (quoted)\nCall Trace:\n foo+0x1/0x2\n",
])
def test_the_not_watching_line_alone_or_in_other_words_is_no_report(text: bytes) -> None:
    assert analyze(text).title == ""
