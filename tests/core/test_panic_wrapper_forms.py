"""arm64 panics of 6.12 (the lab's deb13-6.12-arm64 logs): a panic line whose message names the oops, and
panic() as a wrapper whose last call is the noreturn vpanic()."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.headers import PANIC_HEADER, header_in
from tests.core.golden import CORPUS

LAB = CORPUS / "lab"


@pytest.mark.parametrize(
    "line",
    [
        "[    3.024965] Kernel panic - not syncing: Oops - BUG: Fatal exception",
        "Kernel panic - not syncing: Oops - BUG: Fatal exception in interrupt",
        "[   38.108260] ---[ end Kernel panic - not syncing: Oops - BUG: Fatal exception in interrupt ]---",
    ],
)
def test_a_panic_line_is_a_panic_whatever_its_message_holds(line: str) -> None:
    found = header_in(line)
    assert found is not None and found[0] == PANIC_HEADER
    assert line[found[1] :].startswith(PANIC_HEADER)


@pytest.mark.parametrize(
    "line",
    [
        "[    3.020607] kernel BUG at lib/string_helpers.c:1040!",
        "[    3.021223] Internal error: Oops - BUG: 00000000f2000800 [#1] SMP",
        "BUG: soft lockup - CPU#0 stuck for 22s! [init:1]",
    ],
)
def test_an_oops_line_keeps_its_own_header(line: str) -> None:
    found = header_in(line)
    assert found is not None and found[0] != PANIC_HEADER


def test_the_oops_the_panic_names_wins_over_a_survived_warning() -> None:
    # 6.12's fortify: __fortify_report WARNs (and the WARNING ends), then __fortify_panic BUG()s, and arm64's die()
    # panics with `Oops - BUG: Fatal exception`: the BUG is the crash, as on x86, whose panic says only `Fatal exception`.
    report = analyze((LAB / "deb13-6.12-arm64_lkdtm-fortify-strscpy_run1" / "console.log").read_bytes())
    assert report.title == "kernel BUG in lkdtm_FORTIFY_STRSCPY"
    assert report.kind == "bug"
    assert report.panicked and report.panic_message == "Oops - BUG: Fatal exception"


_VPANIC_TRACE = """\
[    3.249533] sysrq: Trigger a crash
[    3.249965] Kernel panic - not syncing: sysrq triggered crash
[    3.250322] CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 6.12.118+deb13-arm64 #1  Debian 6.12.118-1
[    3.250494] Hardware name: linux,dummy-virt (DT)
[    3.250676] Call trace:
[    3.250773]  dump_backtrace+0xd8/0x130
[    3.251370]  show_stack+0x20/0x38
[    3.251638]  dump_stack_lvl+0x60/0x80
[    3.251910]  dump_stack+0x18/0x28
[    3.252152]  vpanic+0x11c/0x338
[    3.252384]  {after}+0x0/0x70
[    3.252680]  {caller}+0x20/0x28
[    3.252969]  __handle_sysrq+0xa4/0x1a8
[    3.253183]  write_sysrq_trigger+0xc8/0xe0
[    3.253235]  proc_reg_write+0xa4/0x100
"""


def test_the_return_address_past_a_call_to_vpanic_is_not_the_culprit() -> None:
    # panic() calls the noreturn vpanic() last (6.7+): arm64 prints its return address as the next function at +0x0.
    log = _VPANIC_TRACE.format(after="trace_suspend_resume", caller="sysrq_handle_crash")
    report = analyze(log)
    assert report.function == "sysrq_handle_crash"
    assert report.kind == "sysrq"


def test_a_frame_at_offset_zero_below_a_returning_call_stays() -> None:
    # Below dump_stack() (it returns), a frame at +0x0 is a function's own: a tail call's target, not a call's end.
    log = _VPANIC_TRACE.replace("[    3.252152]  vpanic+0x11c/0x338\n", "").format(after="mydrv_check", caller="mydrv_probe")
    assert "vpanic" not in log
    report = analyze(log)
    assert report.function == "mydrv_check"


def test_the_panic_message_leaves_out_the_end_markers_tail() -> None:
    log = (
        "[   38.084795] Kernel panic - not syncing: Oops - BUG: Fatal exception in interrupt\n"
        "[   38.108260] ---[ end Kernel panic - not syncing: Oops - BUG: Fatal exception in interrupt ]---\n"
    )
    report = analyze(log)
    assert report.panicked and report.panic_message == "Oops - BUG: Fatal exception in interrupt"
