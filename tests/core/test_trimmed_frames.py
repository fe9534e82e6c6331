"""A trace trimmed to bare function names, as Documentation/process/submitting-patches.rst ("Backtraces in commit
messages") asks of a quoted one: `mba_wrmsr` alone on its line.  Such a line is a frame only inside a trace
(frames.mark_trimmed_frames): after the trace's start, a stack section's mark or another frame, up to a blank line.
Invariance transform `bare-frames` (tests/core/log_variants.py) measures it over the development logs."""

from __future__ import annotations

import re

import pytest

from kcrashd.core import analyze
from kcrashd.core.frames import TRIMMED_MARK, mark_trimmed_frames, parse_frames

# The example of Documentation/process/submitting-patches.rst.
_DOC_EXAMPLE = """\
unchecked MSR access error: WRMSR to 0xd51 (tried to write 0x0000000000000064)
at rIP: 0xffffffffae059994 (native_write_msr+0x4/0x20)
Call Trace:
mba_wrmsr
update_domains
rdtgroup_mkdir
"""

_NULL_DEREF = """\
BUG: kernel NULL pointer dereference, address: 0000000000000008
#PF: supervisor read access in kernel mode
Oops: 0000 [#1] PREEMPT SMP NOPTI
CPU: 3 PID: 1234 Comm: modprobe Tainted: G           O      6.6.10 #1
RIP: 0010:mydrv_probe+0x2a/0x1c0 [mydrv]
Call Trace:
 <TASK>
 ? __die+0x20/0x70
 mydrv_probe [mydrv]
 pci_device_probe
 really_probe
 </TASK>
"""


def test_the_documentation_example_reads_as_a_trace() -> None:
    marked = mark_trimmed_frames(_DOC_EXAMPLE.splitlines())
    assert [fr.function for t in marked for fr in parse_frames(t)] == ["mba_wrmsr", "update_domains", "rdtgroup_mkdir"]


@pytest.mark.parametrize(("line", "fn", "module", "reliable"), [
    (" mydrv_probe [mydrv]", "mydrv_probe", "mydrv", True),
    (" ? copy_process.part.25", "copy_process", None, False),
    ("lkdtm_SOFTLOCKUP", "lkdtm_SOFTLOCKUP", None, True),
    ("   __flush_work.llvm.1643880146586177030", "__flush_work", None, True),  # clang ThinLTO's clone suffix
    (" show_stack (C)", "show_stack", None, True),  # arm64's unwind source mark (6.13 on)
    ("  f2fs_commit_atomic_write [f2fs a1b985b80f5babd6f3ea778384908880812bfa43]", "f2fs_commit_atomic_write",
     "f2fs", True),  # a module's build ID (CONFIG_STACKTRACE_BUILD_ID)
    ("\tdput", "dput", None, True),  # a quote's tab indent
])
def test_a_trimmed_frame_below_a_trace_start_is_a_frame(line: str, fn: str, module: str | None, reliable: bool) -> None:
    (_, marked) = mark_trimmed_frames(["Call Trace:", line])
    (frame,) = parse_frames(marked)
    assert (frame.function, frame.module, frame.reliable, frame.offset) == (fn, module, reliable, None)


@pytest.mark.parametrize("texts", [
    ["\t# Subtest: example", "\t1..2", "init_suite"],  # a test's name in KUnit's output
    ["Call Trace:", " ffff88811346a920"],  # a stack word, not a symbol
    ["Call Trace:", " mba_wrmsr+0x41/0x80", "", "done"],  # a blank line ends the trace
    ["Call Trace:", "Fix it by taking the lock."],  # prose
    ["root@host:~# poweroff", "poweroff"],  # a shell's output
    ["Call Trace:", " show_stack (CPU)"],  # only one capital letter is an unwind source mark
    ["Call Trace:", " f [mod deadbeef]"],  # a build ID is 40 hex digits
    ["Call Trace:", " done.", "Then ...", "and"],  # an elision mark stands alone on its line
])
def test_a_lone_word_outside_a_trace_is_no_frame(texts: list[str]) -> None:
    marked = mark_trimmed_frames(["BUG: soft lockup - CPU#0 stuck for 22s! [a:1]", "CPU: 0 PID: 1 Comm: a", *texts])
    assert not any(t.endswith(TRIMMED_MARK) for t in marked)
    assert all(parse_frames(t) == () for t in marked if "+0x" not in t)


def test_kfence_stacks_start_below_their_object_lines() -> None:
    texts = ["Corrupted memory at 0xffffffffb6797ff9 [ 0xac . . ] (in kfence-#69):", " test_kmalloc_aligned_oob_write"]
    assert parse_frames(mark_trimmed_frames(texts)[1])[0].function == "test_kmalloc_aligned_oob_write"


def test_a_trimmed_report_is_titled_as_its_whole_report() -> None:
    whole = analyze(_NULL_DEREF.replace(" mydrv_probe [mydrv]", " mydrv_probe+0x2a/0x1c0 [mydrv]")
                    .replace(" pci_device_probe\n", " pci_device_probe+0x9a/0x1b0\n"), source="whole")
    trimmed = analyze(_NULL_DEREF.replace("RIP: 0010:mydrv_probe+0x2a/0x1c0 [mydrv]\n", ""), source="trimmed")
    assert trimmed.title == whole.title == "BUG: unable to handle kernel NULL pointer dereference in mydrv_probe"
    assert trimmed.fingerprint == whole.fingerprint



def test_an_exception_frames_registers_inside_a_trace_keep_it_going() -> None:
    texts = ["Call Trace:", " __warn", " invalid_op", "RIP: 0010:lock_release+0x6e6/0xa40",
             "RSP: 0018:ffff8801c829f780 EFLAGS: 00010086", " destroy_unused_super"]
    assert parse_frames(mark_trimmed_frames(texts)[-1])[0].function == "destroy_unused_super"


def test_a_symbolizers_source_position_may_follow_a_trimmed_frame() -> None:
    texts = ["  backtrace:", "    sk_alloc net/core/sock.c:1419", "    inet_csk_accept net/ipv4/x.c:12"]
    assert [parse_frames(t)[0].function for t in mark_trimmed_frames(texts)[1:]] == ["sk_alloc", "inet_csk_accept"]


def test_an_inlined_callees_line_stays_no_frame() -> None:
    texts = ["Call Trace:", " <TASK>", " context_switch kernel/sched/core.c:5244 [inline]", " schedule+0xcb/0x190"]
    assert parse_frames(mark_trimmed_frames(texts)[2]) == ()


def test_a_positioned_line_without_offset_among_offset_frames_is_an_inlined_callee() -> None:
    texts = ["Call Trace:", " f+0x1be/0x380 mm/x.c:273", " kunit_run_case_internal lib/kunit/test.c:333",
             " kunit_try_run_case+0x206/0x420 lib/kunit/test.c:374"]
    assert parse_frames(mark_trimmed_frames(texts)[2]) == ()


def test_frames_right_below_the_header_and_below_an_at_line_are_read() -> None:
    header = ["WARNING: CPU: 1 PID: 3539 at net/core/dev.c:3284 skb_checksum_help+0x3d0/0x5b0", " ip_do_fragment"]
    lock = ["=====================================", "x/2499 is trying to release lock (&wb->list_lock) at:",
            "writeback_sb_inodes", "but there are no more locks to release!"]
    assert parse_frames(mark_trimmed_frames(header)[1])[0].function == "ip_do_fragment"
    marked = mark_trimmed_frames(lock)
    assert parse_frames(marked[2])[0].function == "writeback_sb_inodes"
    assert parse_frames(marked[3]) == ()


def test_inlined_callee_lines_and_clone_suffixes_keep_a_trimmed_trace_going() -> None:
    texts = ["BUG: memory leak", "  backtrace (crc c9a1c131):", "    slab_alloc_node mm/slub.c:5245 [inline]",
             "    __kmalloc_cache_noprof mm/slub.c:5719", "    kzalloc_noprof include/linux/slab.h:1094 [inline]",
             "    lookup_or_create_module_kobject kernel/params.c:764",
             "    print_address_description.constprop.0.cold"]
    assert [fr.function for t in mark_trimmed_frames(texts) for fr in parse_frames(t)] == [
        "__kmalloc_cache_noprof", "lookup_or_create_module_kobject", "print_address_description"]


def test_a_powerpc_unreliable_frame_and_a_symbol_less_frame_in_a_trimmed_trace() -> None:
    texts = ["kernel BUG at lib/list_debug.c:56!", "Call Trace:", "  __list_del_entry_valid (unreliable)",
             "  [<00000000e0a73ec7>] 0xffffffffc01d2036", "  free_pcppages_bulk"]
    found = [fr for t in mark_trimmed_frames(texts) for fr in parse_frames(t)]
    assert [(fr.function, fr.reliable) for fr in found] == [("__list_del_entry_valid", False), ("free_pcppages_bulk", True)]


def test_an_elision_mark_continues_a_trimmed_trace() -> None:
    texts = ["BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt.c:48",
             "    ...", "  __might_resched", "  bpf_selem_alloc", "[...]", "  tcp_set_state"]
    marked = mark_trimmed_frames(texts)
    assert [parse_frames(t)[0].function for t in marked if parse_frames(t)] == [
        "__might_resched", "bpf_selem_alloc", "tcp_set_state"]


def test_a_trimmed_trace_of_guesses_only_names_the_first_unskipped_guess() -> None:
    report = ("INFO: task docker:3 blocked for more than 120 seconds.\nCall Trace:\n ? schedule_preempt_disabled\n"
              " ? __mutex_lock_slowpath\n ? mutex_lock\n ? copy_net_ns\n ? create_new_namespaces\n")
    assert analyze(report, source="t").function == "copy_net_ns"


# An RCU self-detected stall on arm64 (kernel/rcu/tree_stall.h print_cpu_stall -> rcu_dump_cpu_stacks): the timer
# interrupt's entry (`el1h_64_irq`) separates the detector's stack from the stalled code's.
_RCU_STALL = """\
rcu: INFO: rcu_sched self-detected stall on CPU
rcu:    1-....: (5254 ticks this GP) idle=189/1/0x4000000000000002 softirq=8442983/8442984 fqs=2579
Task dump for CPU 1:
Call trace:
 dump_backtrace+0x0/0x170
 show_stack+0x1c/0x24
 sched_show_task+0x140/0x170
 dump_cpu_task+0x48/0x54
 rcu_dump_cpu_stacks+0xf0/0x134
 rcu_sched_clock_irq+0x8d8/0x9fc
 update_process_times+0xa0/0xec
 tick_sched_timer+0x5c/0xd0
 __hrtimer_run_queues+0x154/0x320
 hrtimer_interrupt+0x120/0x2f0
 arch_timer_handler_virt+0x38/0x44
 handle_percpu_devid_irq+0x9c/0x1e0
 gic_handle_irq+0x78/0xb0
 el1_interrupt+0x2c/0x4c
 el1h_64_irq_handler+0x14/0x1c
 el1h_64_irq+0x74/0x78
 mydrv_poll+0x1bc/0x250 [mydrv]
 mydrv_ioctl+0x1cc/0x3dc [mydrv]
 __arm64_sys_ioctl+0xa8/0xf0
 invoke_syscall+0x48/0x114
 el0_svc+0x2c/0x84
"""


def test_a_trimmed_stall_is_read_past_its_interrupt_entry_as_the_whole_report() -> None:
    whole = analyze(_RCU_STALL, source="whole")
    trimmed = analyze(re.sub(r"\+0x[0-9a-f]+/0x[0-9a-f]+", "", _RCU_STALL), source="trimmed")
    assert whole.function == "mydrv_ioctl"  # the stall rule: the handler the ioctl dispatcher called
    assert (trimmed.title, trimmed.function) == (whole.title, whole.function)
