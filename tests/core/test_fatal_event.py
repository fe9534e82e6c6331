"""Which report of a log is the crash (events.choose_fatal), on logs composed of committed samples.

kdump-written logs end at the oops kdump fired at (no panic line, no `---[ end trace`): that oops is
the crash and survived reports before it are `preceding`.  Fuzzing console logs hold a cascade of
unfinished reports: the first one is the crash.
"""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from tests.core.golden import CORPUS

WARNING = (CORPUS / "edge" / "warn-kobject.log").read_text()  # a survived WARNING, ends with its end trace
OOPS = (CORPUS / "seed" / "rhel8-sysrq.log").read_text()  # RHEL 8 sysrq-c: kdump fired, no panic line
INVALID_OPCODE = (CORPUS / "edge" / "invalid-opcode.log").read_text()


def test_kdump_log_ends_in_the_fatal_oops_after_a_survived_warning() -> None:
    report = analyze(WARNING + OOPS)
    assert report.function == "sysrq_handle_crash"
    assert [e.function for e in report.preceding] == ["mydrv_register_node"]


def test_a_survived_warning_of_the_oopsing_task_began_its_chain() -> None:
    # The same two reports, the WARNING printed by the task the oops then killed (PID 6631, as kAFL's DVKM logs
    # show: a too-large kmalloc warned about, then the NULL it returned written): the WARNING is the crash.
    # The oops printed its end marker (the task was killed, no kdump fired at it).
    oops = OOPS + "[  566.700000] ---[ end trace 0123456789abcdef ]---\n"
    same_task = WARNING.replace("PID: 901", "PID: 6631")
    report = analyze(same_task + oops)
    assert report.function == "mydrv_register_node"
    assert [e.function for e in report.preceding] == ["sysrq_handle_crash"]
    # Negative: another task's survived WARNING stays behind the oops.
    assert analyze(WARNING + oops).function == "sysrq_handle_crash"


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


# --- A panic whose panic() call is the report (signatures: Signature.own_report) -----------------------
# kernel/panic.c __stack_chk_fail panics from the epilogue of the function whose canary is gone, printing
# nothing before; drivers/tty/sysrq.c sysrq_handle_crash panics on the admin's request.  A report that had
# finished before (its `---[ end trace` printed) was survived: the panic is the crash.
SYSRQ_PANIC = (CORPUS / "edge" / "sysrq-6.1-panic.log").read_text().replace("[   14.", "[  214.")


def test_a_stack_protector_panic_after_a_survived_ubsan_report_is_the_crash() -> None:
    # Debian sid 7.2 builds modules with UBSAN_BOUNDS: the overrun is first reported by lib/ubsan.c (which
    # ends with `---[ end trace ]---`), then the canary check panics.
    log = CORPUS / "lab" / "sid-7.2_stack-protector_run1" / "console.log"
    report = analyze(log.read_bytes())
    assert (report.kind, report.function) == ("stack-protector", "lab_trigger_stack_protector")
    assert [e.title for e in report.preceding] == ["UBSAN: array-index-out-of-bounds in lab_trigger_stack_protector"]


def test_a_sysrq_panic_after_a_survived_warning_is_the_crash() -> None:
    report = analyze(WARNING + SYSRQ_PANIC)
    assert (report.kind, report.function) == ("sysrq", "sysrq_handle_crash")
    assert [e.function for e in report.preceding] == ["mydrv_register_node"]


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        # init/do_mounts.c mount_root / mount_block_root; kernel/exit.c when init exits on its own (status 0)
        ("VFS: Unable to mount root fs on unknown-block(0,0)", "no-root-fs"),
        ("Attempted to kill init! exitcode=0x00000000", "init-exit"),
        ("sysrq triggered crash", "sysrq"),
    ],
)
def test_a_panic_that_is_its_own_report_outranks_a_finished_warning(reason: str, kind: str) -> None:
    panic = f"[  300.000000] Kernel panic - not syncing: {reason}\n[  300.000010] Call Trace:\n[  300.000011]  panic+0x118/0x2ed\n"
    report = analyze(WARNING + panic)
    assert report.kind == kind
    assert [e.function for e in report.preceding] == ["mydrv_register_node"]


def test_a_panic_of_its_own_still_ends_a_cascade_it_interrupted() -> None:
    # The WARNING never printed its end marker: the panic interrupted it, the cascade starts there.
    unfinished = "".join(line for line in WARNING.splitlines(keepends=True) if "end trace" not in line)
    assert analyze(unfinished + SYSRQ_PANIC).function == "mydrv_register_node"


def test_a_panic_about_an_earlier_report_still_continues_it() -> None:
    # Negative: init killed by the oops's signal (kernel/exit.c `Attempted to kill init! exitcode=0x%08x`)
    # and panic_on_warn's panic (kernel/panic.c check_panic_on_warn) are that report's consequence.
    killed = "[  568.000000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n"
    assert analyze(WARNING + OOPS + killed).function == "sysrq_handle_crash"
    on_warn = WARNING.replace("[  120.331360] ---[ end trace 0000000000000000 ]---\n", "")
    on_warn += "[  120.331370] Kernel panic - not syncing: kernel: panic_on_warn set ...\n"
    assert analyze(on_warn + SYSRQ_PANIC).function == "mydrv_register_node"


def test_a_stack_protector_panic_naming_a_bare_address_takes_the_trace() -> None:
    # lib/vsprintf.c prints `%pB` as the bare address when no symbol covers it: the caller of
    # __stack_chk_fail in the trace is the function whose canary is gone.
    log = (
        "[   80.766408] Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ffffffffc0c88942\n"
        "[   80.766428] CPU: 1 PID: 1594 Comm: modprobe Not tainted 4.11.3+ #2\n"
        "[   80.766434] Call Trace:\n"
        "[   80.766445]  dump_stack+0x63/0x90\n"
        "[   80.766451]  panic+0xe8/0x236\n"
        "[   80.766526]  ? mydrv_powergate_init+0x52/0x60 [mydrv]\n"
        "[   80.766537]  __stack_chk_fail+0x1b/0x20\n"
        "[   80.766571]  mydrv_powergate_init+0x52/0x60 [mydrv]\n"
        "[   80.766610]  mydrv_hw_init+0x3e/0x2d0 [mydrv]\n"
    )
    assert analyze(log).title == "kernel panic: stack is corrupted in mydrv_powergate_init"


# A real lab console log (kcrashd's crash lab, Debian 12's 6.1 kernel): an RCU self-detected stall of init on CPU 1,
# then the watchdog's soft lockup of the same task, the console cut at the lockup's all-CPU backtrace (no panic line).
STALL_THEN_LOCKUP = (CORPUS / "lab" / "deb12-6.1_rcu-stall-lockup_run4" / "console.log").read_text()
_LOCKUP_AT = STALL_THEN_LOCKUP.index("watchdog: BUG: soft lockup")


def test_a_log_ending_in_the_lockup_of_the_stalled_task_is_the_lockup() -> None:
    report = analyze(STALL_THEN_LOCKUP)
    assert report.kind == "soft-lockup" and report.function == "lab_trigger_rcu_stall_lockup"
    assert [e.kind for e in report.preceding] == ["rcu-stall"]


def test_a_stall_and_another_tasks_lockup_keep_the_first_report() -> None:
    # Negative: the lockup in another task (PID 77) is not the stall escalated: the first report is the crash.
    other = STALL_THEN_LOCKUP[:_LOCKUP_AT] + STALL_THEN_LOCKUP[_LOCKUP_AT:].replace("PID: 1 Comm: init", "PID: 77 Comm: init")
    assert analyze(other).kind == "rcu-stall"
    # Negative: a WARNING after the lockup: the log does not end in it, the first report stays the crash.
    assert analyze(STALL_THEN_LOCKUP + WARNING).kind == "rcu-stall"
