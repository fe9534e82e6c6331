"""Families of 2.6-4.x kernel formats (issue 13: the sealed production part fails on old kernels where the
development part has no evidence).  Every sample is written from the kernel's own printing code, named
beside it; negatives sit beside the positives.
"""

from __future__ import annotations

import hashlib

import pytest

from kcrashd.core import analyze, frames
from kcrashd.core.culprit import _code_pointer
from tests.core.golden import CORPUS

EDGE = CORPUS / "edge"


def _v3_key(text: str) -> str:
    return "kc3-" + hashlib.sha256(text.encode()).hexdigest()[:16]


# --- schedule() under the names x86_64 2.6.24-4.8 gave it ------------------------------------------
# include/asm-x86_64/system.h / arch/x86/include/asm/switch_to.h switch_to(): `.globl thread_return` inside
# schedule(); kallsyms names every address past the label `thread_return+0x..`.

SCHED_ATOMIC_26 = """\
BUG: scheduling while atomic: mytool/2290/0x00000002
Modules linked in: mydrv(U) ext4 jbd2 mbcache
Pid: 2290, comm: mytool Not tainted 2.6.32-431.el6.x86_64 #1
Call Trace:
 [<ffffffff81057e67>] __schedule_bug+0x57/0x70
 [<ffffffff81527e1c>] thread_return+0x7ac/0x7d0
 [<ffffffff81528c8a>] schedule_timeout+0x19a/0x2e0
 [<ffffffff81083da0>] ? process_timeout+0x0/0x10
 [<ffffffff81528dee>] schedule_timeout_uninterruptible+0x1e/0x20
 [<ffffffff81083d2e>] msleep+0x1e/0x30
 [<ffffffffa0152b41>] mydrv_reset_hw+0x41/0x90 [mydrv]
 [<ffffffffa0152c9e>] mydrv_ioctl+0xfe/0x1a0 [mydrv]
 [<ffffffff8119e872>] vfs_ioctl+0x22/0xa0
 [<ffffffff8100b072>] system_call_fastpath+0x16/0x1b
"""


def test_thread_return_is_the_scheduler() -> None:
    report = analyze(SCHED_ATOMIC_26)
    assert report.title == "BUG: scheduling while atomic in mydrv_reset_hw"
    # Version 3 named thread_return: its key continues.
    assert _v3_key("BUG: scheduling while atomic in thread_return") in report.fingerprint_aliases


@pytest.mark.parametrize("name", ["thread_return", "__sched_text_start", "sync_buffer", "sleep_on_page",
                                  "sleep_on_page_killable", "call_rwsem_down_write_failed", "rpc_wait_bit_killable",
                                  "nfs_wait_bit_uninterruptible", "fscache_wait_bit_interruptible"])
def test_old_sleeping_primitives_are_sleeping(name: str) -> None:
    assert frames.HANG_SKIP.match(name) and frames.SLEEPING.match(name)


@pytest.mark.parametrize("name", ["mydrv_thread_return", "thread_return_code", "sync_buffers_to_disk", "nfs_sync_page_io",
                                  "mydrv_wait_bit_killable_timeout", "rpc_wait_bit"])
def test_functions_named_like_old_sleeping_primitives_are_not(name: str) -> None:
    assert not frames.HANG_SKIP.match(name) and not frames.is_skipped(name)


HUNG_26 = """\
INFO: task jbd2/dm-0-8:1042 blocked for more than 120 seconds.
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
jbd2/dm-0-8   D 0000000000000000     0  1042      2 0x00000000
 ffff880c1d7a5d20 0000000000000046 ffff880c1d7a5ce8 ffff880c1d7a5ce4
Call Trace:
 [<ffffffff810a1aa9>] ? ktime_get_ts+0xa9/0xe0
 [<ffffffff811ad410>] ? sync_buffer+0x0/0x50
 [<ffffffff814fdcd3>] io_schedule+0x73/0xc0
 [<ffffffff811ad450>] sync_buffer+0x40/0x50
 [<ffffffff814fe68f>] __wait_on_bit+0x5f/0x90
 [<ffffffff811ad410>] ? sync_buffer+0x0/0x50
 [<ffffffff814fe738>] out_of_line_wait_on_bit+0x78/0x90
 [<ffffffff81092130>] ? wake_bit_function+0x0/0x50
 [<ffffffff811ad406>] __wait_on_buffer+0x26/0x30
 [<ffffffffa00b4d0e>] jbd2_journal_commit_transaction+0x103e/0x1730 [jbd2]
 [<ffffffffa00bab28>] kjournald2+0xb8/0x220 [jbd2]
 [<ffffffff810919d6>] kthread+0x96/0xa0
 [<ffffffff8100c14a>] child_rip+0xa/0x20
"""


def test_hung_task_in_a_bit_wait_action_names_its_waiter() -> None:
    # fs/buffer.c sync_buffer only calls io_schedule(): the bit-wait action of __wait_on_buffer.
    report = analyze(HUNG_26)
    assert report.title == "INFO: task hung in jbd2_journal_commit_transaction"
    assert _v3_key("hang in sync_buffer") in report.fingerprint_aliases


def test_hung_task_in_the_rwsem_thunk_names_the_locker() -> None:
    log = HUNG_26.replace(
        " [<ffffffff811ad406>] __wait_on_buffer+0x26/0x30\n",
        " [<ffffffff8127f2a3>] call_rwsem_down_write_failed+0x13/0x20\n",
    )
    assert analyze(log).function == "jbd2_journal_commit_transaction"


# --- traces of kernels built without frame pointers (x86 2.6-4.8): every frame a `?` guess ----------
# arch/x86/kernel/dumpstack.c print_context_stack: only the word the frame pointer vouches for is reliable.

HUNG_GUESSED = """\
[ 1088.226413] INFO: task jbd2/vdb-8:390 blocked for more than 120 seconds.
[ 1088.226431]       Not tainted 4.9.0-11-amd64 #1
[ 1088.226440] jbd2/vdb-8      D    0   390      2 0x00000000
[ 1088.226452] Call Trace:
[ 1088.226460]  [<ffffffff8de17609>] ? __schedule+0x239/0x6f0
[ 1088.226462]  [<ffffffff8de182c0>] ? bit_wait+0x50/0x50
[ 1088.226463]  [<ffffffff8de17af2>] ? schedule+0x32/0x80
[ 1088.226465]  [<ffffffff8de1ae8d>] ? schedule_timeout+0x1dd/0x380
[ 1088.226467]  [<ffffffff8de1c4e5>] ? __switch_to_asm+0x35/0x70
[ 1088.226472]  [<ffffffff8d8f19de>] ? ktime_get+0x3e/0xb0
[ 1088.226475]  [<ffffffff8de1736d>] ? io_schedule_timeout+0x9d/0x100
[ 1088.226478]  [<ffffffff8d8bd737>] ? prepare_to_wait+0x57/0x80
[ 1088.226479]  [<ffffffff8de182d7>] ? bit_wait_io+0x17/0x60
[ 1088.226481]  [<ffffffff8de17e95>] ? __wait_on_bit+0x55/0x80
[ 1088.226484]  [<ffffffff8de17ffe>] ? out_of_line_wait_on_bit+0x7e/0xa0
[ 1088.226486]  [<ffffffff8d8bdba0>] ? wake_atomic_t_function+0x60/0x60
[ 1088.226497]  [<ffffffffc041afe9>] ? jbd2_journal_commit_transaction+0xf59/0x17c0 [jbd2]
[ 1088.226502]  [<ffffffffc041fc72>] ? kjournald2+0xc2/0x260 [jbd2]
[ 1088.226504]  [<ffffffff8d8bdb00>] ? prepare_to_wait_event+0xf0/0xf0
[ 1088.226509]  [<ffffffff8d89abc9>] ? kthread+0xd9/0xf0
[ 1088.226514]  [<ffffffff8de1c577>] ? ret_from_fork+0x57/0x70
"""


def test_hung_task_on_guesses_names_the_frame_below_its_waits() -> None:
    # ktime_get is a stale word among the waits; wake_atomic_t_function+0x60/0x60 a function pointer.
    report = analyze(HUNG_GUESSED)
    assert (report.title, report.function) == ("INFO: task hung in jbd2_journal_commit_transaction",
                                               "jbd2_journal_commit_transaction")


@pytest.mark.parametrize(("offset", "pointer"), [
    ("0x0/0x50", True), ("0x60/0x60", True), ("0x3e/0xb0", False), ("0x1/0x2", False), (None, False), ("0x10", False),
])
def test_function_start_words_are_code_pointers(offset: str | None, pointer: bool) -> None:
    # %pS (before 2.6.38) prints a function's start as `f+0x0/..`; %pB (lib/vsprintf.c sprint_backtrace looks
    # up the address minus one) as the previous function's `g+size/size`.
    assert _code_pointer(offset) is pointer


MIGHT_SLEEP_GUESSED = """\
BUG: sleeping function called from invalid context at mm/slab.c:3101
in_atomic(): 1, irqs_disabled(): 0, pid: 2290, name: mytool
Pid: 2290, comm: mytool Not tainted 2.6.32-431.el6.x86_64 #1
Call Trace:
 [<ffffffff8105a4c7>] ? __might_sleep+0xf7/0x140
 [<ffffffff8116f94b>] ? kmem_cache_alloc_trace+0x8b/0x1d0
 [<ffffffffa0152a77>] ? mydrv_alloc_ctx+0x37/0x90 [mydrv]
 [<ffffffffa0152c8e>] ? mydrv_ioctl+0xee/0x1a0 [mydrv]
 [<ffffffff8119e872>] ? vfs_ioctl+0x22/0xa0
 [<ffffffff8100b072>] ? system_call_fastpath+0x16/0x1b
"""


def test_sleeping_function_on_guesses_names_the_caller() -> None:
    report = analyze(MIGHT_SLEEP_GUESSED)
    assert report.title == "BUG: sleeping function called from invalid context in mydrv_alloc_ctx"
    # Version 3 found no reliable frame: the key of `in corrupted` continues.
    assert _v3_key("BUG: sleeping function called from invalid context in corrupted") in report.fingerprint_aliases


def test_guesses_are_not_read_when_a_frame_is_reliable() -> None:
    # A trace with a reliable frame had an unwinder: its `?` words are stale, the reliable frames the chain.
    log = MIGHT_SLEEP_GUESSED.replace(" ? mydrv_ioctl+", " mydrv_ioctl+")
    assert analyze(log).function == "mydrv_ioctl"


def test_scheduling_while_atomic_on_guesses_passes_the_sleep() -> None:
    log = "\n".join(
        line.replace("] ", "] ? ", 1) if line.startswith(" [<") and "] ? " not in line else line
        for line in SCHED_ATOMIC_26.splitlines()
    )
    assert analyze(log).function == "mydrv_reset_hw"


# --- might_sleep() at the entry of a subsystem's sleeping lock (kernel/sched/core.c __might_sleep) -----


def test_sleeping_function_keeps_a_subsystem_lock_as_syzkaller_does() -> None:
    # Negative: syzkaller's `sleeping function called` format adds no skip to its global list (only the
    # kernel's lock primitives and might_sleep itself): console_lock is its culprit, and kcrashd's title too.
    log = (
        "BUG: sleeping function called from invalid context at kernel/printk/printk.c:2037\n"
        "in_atomic(): 1, irqs_disabled(): 1, pid: 77, name: kworker/0:1\n"
        "CPU: 0 PID: 77 Comm: kworker/0:1 Not tainted 4.4.0 #1\n"
        "Call Trace:\n"
        " [<ffffffff813e5a32>] dump_stack+0x63/0x81\n"
        " [<ffffffff810a8d49>] ___might_sleep+0xd9/0x120\n"
        " [<ffffffff810a8dd9>] __might_sleep+0x49/0x80\n"
        " [<ffffffff810cb2e3>] console_lock+0x23/0x60\n"
        " [<ffffffffa0152a77>] mydrv_show_status+0x37/0x90 [mydrv]\n"
    )
    assert analyze(log).title == "BUG: sleeping function called from invalid context in console_lock"


# --- kmemleak in the kernel log: pr_fmt's `kmemleak: ` before every line (mm/kmemleak.c) --------------


def test_kmemleak_report_in_the_kernel_log_names_the_allocator_s_caller() -> None:
    report = analyze((EDGE / "kmemleak-dmesg.log").read_bytes())
    assert (report.title, report.kind) == ("memory leak in mydrv_setup_ring", "memory-leak")
    assert report.corrupted_reason is None
    assert _v3_key("memory leak in corrupted") in report.fingerprint_aliases


def test_prefix_is_taken_off_only_the_kmemleak_report() -> None:
    # Another message's `kmemleak: ` line is not part of a WARNING's trace.
    log = (
        "[ 10.000000] WARNING: CPU: 0 PID: 1 at mm/slub.c:600 kmem_cache_alloc+0x1d0/0x2b0\n"
        "[ 10.000001] Call Trace:\n"
        "[ 10.000002] kmemleak:     [<ffffffff81234567>] mydrv_probe+0x45/0x1a0\n"
        "[ 10.000003]  kmemleak_alloc+0x4e/0xb0\n"
        "[ 10.000004]  mydrv_init+0x22/0x40\n"
    )
    assert analyze(log).function == "mydrv_init"


# --- old die() headers --------------------------------------------------------------------------------

DOUBLE_FAULT_26 = """\
double fault: 0000 [1] SMP
CPU 0
Modules linked in: mydrv
Pid: 2211, comm: mytool Not tainted 2.6.18-8.el5 #1
RIP: 0010:[<ffffffff8843c2a3>]  [<ffffffff8843c2a3>] :mydrv:mydrv_walk_tree+0x13/0x60
RSP: 0018:ffff81003a200000  EFLAGS: 00010286
Process mytool (pid: 2211, threadinfo ffff81003a200000, task ffff81003b5ea040)
Call Trace:
"""


def test_double_fault_of_x86_64_before_2_6_24() -> None:
    # arch/x86_64/kernel/traps.c __die: `"%s: %04lx [%u] "`, no `#`.
    report = analyze(DOUBLE_FAULT_26)
    assert (report.title, report.kind) == ("PANIC: double fault in mydrv_walk_tree", "double-fault")


def test_double_fault_words_in_a_message_are_no_crash() -> None:
    assert analyze("mydrv: double fault: 0000 [1] counted, ignored\n").kind == "none"


def test_mips_bug() -> None:
    report = analyze((EDGE / "mips-bug.log").read_bytes())
    assert (report.title, report.kind, report.function) == ("kernel BUG in mydrv_submit", "bug", "mydrv_submit")


@pytest.mark.parametrize(("line", "function"), [
    ("epc   : 80283a4c mydrv_submit+0x2c/0x90", "mydrv_submit"),
    ("epc   : ffffffffc0123456 mydrv_submit+0x2c/0x90 [mydrv]", "mydrv_submit"),
    ("epc : ffffffff80001234 ra : ffffffff80001200 sp : ffffffe0001f3e70", None),
    ("epc   : 80283a4c", None),
])
def test_mips_pc_line(line: str, function: str | None) -> None:
    # arch/mips/kernel/traps.c __show_regs `epc   : %0*lx %pS`; riscv's `epc : %016lx ra : ..` names none.
    assert frames.fault_pc(line) == function


def test_badness_is_a_warning_named_by_its_function() -> None:
    report = analyze((EDGE / "badness.log").read_bytes())
    assert (report.title, report.kind) == ("WARNING in mydrv_reset", "warning")


def test_lookalikes_of_the_old_headers_are_no_crash() -> None:
    for line in ("mydrv: Kernel bug detected in firmware log, resetting\n",
                 "mydrv: Badness in link quality at 3 dB, retraining\n"):
        assert analyze(line).kind == "none"


# --- KASAN of 4.0-4.5: SLUB's object description before the report's own stack -----------------------

KASAN_44 = """\
[   24.121420] ==================================================================
[   24.121993] BUG: KASAN: use-after-free in memcpy+0x2e/0x40 at addr ffff88006b1c2a48
[   24.122581] Read of size 8 by task mytool/1689
[   24.122850] =============================================================================
[   24.123333] BUG kmalloc-128 (Tainted: G    B      O   ): kasan: bad access detected
[   24.123770] -----------------------------------------------------------------------------
[   24.124340] INFO: Allocated in mydrv_open+0x3d/0xbc [mydrv] age=3 cpu=0 pid=1689
[   24.124747] \t___slab_alloc+0x4b4/0x4f0
[   24.125204] \tkmem_cache_alloc_trace+0x10b/0x190
[   24.125475] \tmydrv_open+0x3d/0xbc [mydrv]
[   24.125730] \tchrdev_open+0x10c/0x2d0
[   24.126196] INFO: Freed in mydrv_release+0x20/0x30 [mydrv] age=1 cpu=0 pid=1689
[   24.126811] \tkfree+0x150/0x160
[   24.127000] \tmydrv_release+0x20/0x30 [mydrv]
[   24.127450] INFO: Slab 0xffffea0001ac7080 objects=17 used=7 fp=0xffff88006b1c2b40 flags=0x4000000000004080
[   24.129095] CPU: 0 PID: 1689 Comm: mytool Tainted: G    B      O    4.4.0 #1
[   24.129095] Call Trace:
[   24.129095]  [<ffffffff81cc68ae>] dump_stack+0x44/0x55
[   24.129095]  [<ffffffff811fb37c>] print_trailer+0x11c/0x1a0
[   24.129095]  [<ffffffff811ff5b6>] object_err+0x36/0x40
[   24.129095]  [<ffffffff81200d42>] kasan_report_error+0x1e2/0x500
[   24.129095]  [<ffffffff812011a8>] kasan_report+0x58/0x60
[   24.129095]  [<ffffffff811ffb4d>] memcpy+0x2e/0x40
[   24.129095]  [<ffffffffa0002268>] mydrv_read_status+0x5e/0x70 [mydrv]
[   24.129095]  [<ffffffffa00022f4>] mydrv_ioctl+0x74/0x90 [mydrv]
[   24.129095] ==================================================================
"""


def test_kasan_with_slub_object_description_reads_its_own_call_trace() -> None:
    # mm/kasan/report.c (4.0-4.5) print_address_description -> mm/slub.c object_err -> print_trailer, then
    # dump_stack: the allocation's stack (mydrv_open) comes first and is not the access's.
    report = analyze(KASAN_44)
    assert report.title == "KASAN: use-after-free Read in mydrv_read_status"


def test_kasan_with_slub_object_description_of_a_built_in_allocator_reads_its_own_call_trace() -> None:
    # The same report where the allocating and freeing callers are built in (no `[mydrv]` tag between the
    # offset and `age=`): print_tracking's `INFO: Allocated in` line is the KASAN report's trailer, not a
    # report of its own that would cut the access's stack off (data162's 4.15 f_fs report).
    text = KASAN_44.replace(" [mydrv] age=", " age=")
    assert "INFO: Allocated in mydrv_open+0x3d/0xbc age=" in text
    report = analyze(text)
    assert (report.title, report.function, report.corrupted) == (
        "KASAN: use-after-free Read in mydrv_read_status", "mydrv_read_status", False)


def test_a_slub_tracking_line_after_another_kind_of_report_stays_a_report() -> None:
    # Only SLUB's checks and a SLUB-backed KASAN report print the object trailer: after a WARNING the
    # `INFO: Allocated in` line is still a report of its own (info-allocated), listed beside the WARNING.
    warning = ("WARNING: CPU: 0 PID: 1 at drivers/net/mydrv.c:12 mydrv_open+0x3d/0xbc\n"
               "Call Trace:\n mydrv_open+0x3d/0xbc\n chrdev_open+0x10c/0x2d0\n")
    text = warning + "INFO: Allocated in fasync_helper+0x29/0x90 age=1 cpu=1 pid=6024\n"
    report = analyze(text)
    assert report.title == "WARNING in mydrv_open"
    assert [p.title for p in report.preceding] == ["INFO: Allocated in fasync_helper age=NUM cpu=NUM pid=NUM"]


@pytest.mark.parametrize("name", ["cache_alloc_refill", "____cache_alloc", "__cache_alloc", "cache_grow",
                                  "kmem_getpages", "kmem_freepages", "fallback_alloc", "cache_flusharray",
                                  "free_block", "object_err", "slab_err"])
def test_slab_allocator_internals_are_skipped(name: str) -> None:
    assert frames.is_skipped(name) and frames.SKIPPED_SINCE_V4.match(name)


@pytest.mark.parametrize("name", ["mydrv_cache_alloc", "cache_grow_table", "ext4_free_blocks", "object_error_count"])
def test_functions_named_like_slab_internals_are_kept(name: str) -> None:
    assert not frames.is_skipped(name)


# --- the 2.6-3.x x86_64 oops summary above a `Fatal exception` panic ----------------------------------

PANIC_AFTER_SUMMARY = """\
Process mytool (pid: 2211, threadinfo ffff88003a200000, task ffff88003b5ea040)
Code: 48 89 e5 53 48 83 ec 08 0f 1f 44 00 00 48 89 fb <48> 8b 43 10 48 8b 7b 08 e8 0f 00 00 00
RIP  [<ffffffffa0152a13>] mydrv_poll+0x13/0x60 [mydrv]
 RSP <ffff88003a201e58>
CR2: 0000000000000010
---[ end trace 5ba0ee89b2a1b6a2 ]---
Kernel panic - not syncing: Fatal exception
Pid: 2211, comm: mytool Tainted: G      D    2.6.32-431.el6.x86_64 #1
Call Trace:
 [<ffffffff815271ea>] panic+0xa7/0x16f
 [<ffffffff8152c2b4>] oops_end+0xe4/0x100
 [<ffffffff8104fe0b>] no_context+0xfb/0x260
 [<ffffffff8152c135>] page_fault+0x25/0x30
"""


def test_headerless_panic_reads_the_oops_summary_above_it() -> None:
    # arch/x86/kernel/dumpstack_64.c __die: `RIP ` printk_address(regs->ip), ` RSP <%016lx>`.
    report = analyze(PANIC_AFTER_SUMMARY)
    assert (report.title, report.function) == ("kernel panic: Fatal exception", "mydrv_poll")


@pytest.mark.parametrize(("line", "function", "module"), [
    (" [<ffffffff880a0189>] :saa7146:saa7146_wait_for_debi_done+0x159/0x260", "saa7146_wait_for_debi_done", "saa7146"),
    (" [<ffffffff8843c2a3>] ? :mydrv:mydrv_walk_tree+0x13/0x60", "mydrv_walk_tree", "mydrv"),
    (" [<ffffffff8006b2b5>] do_gettimeofday+0x40/0x8f", "do_gettimeofday", None),
])
def test_module_symbols_of_x86_64_before_2_6_24(line: str, function: str, module: str | None) -> None:
    found = frames.parse_frames(line)
    assert (found[0].function, found[0].module) == (function, module)


def test_module_prefix_without_offset_is_no_frame() -> None:
    assert frames.parse_frames(" [<ffffffff880a0189>] :saa7146:") == ()


# --- arm's BUG() before GENERIC_BUG: arch/arm/kernel/traps.c __bug prints `kernel BUG at` and writes to NULL ---

ARM_BUG = """\
<2>kernel BUG at drivers/mydrv/mydrv.c:412!
<1>Unable to handle kernel NULL pointer dereference at virtual address 00000000
<1>pgd = c7a34000
<0>Internal error: Oops: 817 [#1] PREEMPT
CPU: 0    Not tainted  (2.6.32 #1)
PC is at __bug+0x20/0x2c
LR is at __bug+0x1c/0x2c
Backtrace:
[<c002e8a4>] (__bug+0x0/0x2c) from [<bf012344>] (mydrv_start+0x44/0x80 [mydrv])
[<bf012300>] (mydrv_start+0x0/0x80 [mydrv]) from [<bf0124f0>] (mydrv_ioctl+0xb0/0x140 [mydrv])
Code: e1a01000 e59f000c eb00e2e8 e3a03000 (e5833000)
---[ end trace 1b75b31a2719ed1c ]---
"""


def test_arm_bug_and_its_null_write_are_one_report() -> None:
    report = analyze(ARM_BUG)
    assert (report.title, report.kind) == ("kernel BUG in mydrv_start", "bug")
    assert report.corrupted_reason is None


def test_a_null_dereference_far_below_a_bug_is_its_own_report() -> None:
    # Negative: only the fault printed right below the BUG line is __bug's.
    log = ARM_BUG.replace("<1>Unable to handle", "<4>mydrv: resetting\n<4>mydrv: retry 1\n<4>mydrv: retry 2\n<1>Unable to handle")
    assert analyze(log).title != "kernel BUG in mydrv_start"


# --- the spinlock and rwlock API before 2.6.33 (kernel/spinlock.c _spin_lock, _spin_lock_irqsave, _read_lock ...) ---

SOFT_LOCKUP_26 = """\
BUG: soft lockup - CPU#1 stuck for 67s! [mytool:2211]
Modules linked in: mydrv(U) ext4 jbd2
CPU 1
Pid: 2211, comm: mytool Not tainted 2.6.32-431.el6.x86_64 #1 Red Hat KVM
RIP: 0010:[<ffffffff8152a3be>]  [<ffffffff8152a3be>] _spin_lock+0x1e/0x30
RSP: 0018:ffff88003a201e48  EFLAGS: 00000297
Call Trace:
 [<ffffffffa0152b6d>] ? mydrv_update+0x2d/0x90 [mydrv]
 [<ffffffffa0152b6d>] mydrv_update+0x2d/0x90 [mydrv]
 [<ffffffffa0152c9e>] mydrv_ioctl+0xfe/0x1a0 [mydrv]
 [<ffffffff8119e872>] vfs_ioctl+0x22/0xa0
 [<ffffffff8119ea14>] do_vfs_ioctl+0x84/0x580
 [<ffffffff8119ef91>] sys_ioctl+0x81/0xa0
 [<ffffffff8100b072>] system_call_fastpath+0x16/0x1b
"""


def test_soft_lockup_spinning_in_a_2_6_spinlock_names_the_locker() -> None:
    assert analyze(SOFT_LOCKUP_26).title == "BUG: soft lockup in mydrv_update"


def test_null_dereference_in_a_2_6_spinlock_names_the_locker() -> None:
    log = (
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000010\n"
        "IP: [<ffffffff8152a4e5>] _spin_lock_irqsave+0x25/0x40\n"
        "Oops: 0002 [#1] SMP\n"
        "Pid: 2211, comm: mytool Not tainted 2.6.32-431.el6.x86_64 #1\n"
        "RIP: 0010:[<ffffffff8152a4e5>]  [<ffffffff8152a4e5>] _spin_lock_irqsave+0x25/0x40\n"
        "Call Trace:\n"
        " [<ffffffffa0152b6d>] mydrv_update+0x2d/0x90 [mydrv]\n"
        " [<ffffffffa0152c9e>] mydrv_ioctl+0xfe/0x1a0 [mydrv]\n"
    )
    report = analyze(log)
    assert report.function == "mydrv_update"
    assert _v3_key("bad-access in _spin_lock_irqsave") in report.fingerprint_aliases


@pytest.mark.parametrize("name", ["_spin_lock", "_spin_lock_irqsave", "__spin_lock", "_spin_unlock_irqrestore",
                                  "_spin_trylock_bh", "_read_lock_bh", "_write_lock_irq", "_write_unlock",
                                  "__read_lock_failed", "__write_lock_failed"])
def test_the_2_6_lock_api_is_a_lock_primitive(name: str) -> None:
    assert frames.is_skipped(name) and frames.LOCK_PRIMITIVE.search(name)


@pytest.mark.parametrize("name", ["mydrv_spin_lock_all", "btrfs_tree_read_lock_done", "my_read_lock_table"])
def test_functions_named_like_the_2_6_lock_api_are_kept(name: str) -> None:
    assert not frames.is_skipped(name)


# --- x86_64 of 2.6.0-2.6.17: `<addr>{[:mod:]sym+offset}` (arch/x86_64/kernel/traps.c printk_address) -------------


def test_x86_64_2_6_9_fault_reads_its_brace_symbols() -> None:
    # arch/x86_64/mm/fault.c: `Unable to handle kernel NULL pointer dereference at %016lx RIP: ` and the address
    # below it; the trace's first frames on the `Call Trace:` line.
    report = analyze((EDGE / "x86-64-2.6.9-null-deref.log").read_bytes())
    assert (report.title, report.kind) == ("BUG: unable to handle kernel NULL pointer dereference in mydrv_poll",
                                           "null-deref")
    assert _v3_key("bad-access in corrupted") in report.fingerprint_aliases


def test_x86_64_2_6_9_trace_on_the_call_trace_line() -> None:
    log = (EDGE / "x86-64-2.6.9-null-deref.log").read_text().replace(":mydrv:mydrv_poll+30", "strlen+30")
    assert analyze(log).function == "mydrv_ioctl"


@pytest.mark.parametrize(("line", "found"), [
    ("Call Trace:<ffffffffa01d3c9e>{:mydrv:mydrv_ioctl+254} <ffffffff8017a1b2>{sys_ioctl+878}",
     [("mydrv_ioctl", "mydrv"), ("sys_ioctl", None)]),
    ("       <ffffffff80110236>{system_call+126}", [("system_call", None)]),
    ("mydrv: table <ffff>{size+12}", []),
    ("json: {\"a\": 1} <b>{c}", []),
])
def test_brace_frames(line: str, found: list[tuple[str, str | None]]) -> None:
    assert [(fr.function, fr.module) for fr in frames.parse_frames(line)] == found


def test_module_prefix_frames_keep_version_3_key() -> None:
    # 2.6.18's `[#1]` header version 3 read, with a `:mod:f` RIP it could not.
    report = analyze(DOUBLE_FAULT_26.replace("[1]", "[#1]"))
    assert report.title == "PANIC: double fault in mydrv_walk_tree"
    assert _v3_key("PANIC: double fault in corrupted") in report.fingerprint_aliases


def test_soft_lockup_of_2_6_18_reads_module_frames() -> None:
    log = SOFT_LOCKUP_26.replace(
        " [<ffffffffa0152b6d>] ? mydrv_update+0x2d/0x90 [mydrv]\n [<ffffffffa0152b6d>] mydrv_update+0x2d/0x90 [mydrv]\n"
        " [<ffffffffa0152c9e>] mydrv_ioctl+0xfe/0x1a0 [mydrv]\n",
        " [<ffffffff8843cb6d>] :mydrv:mydrv_update+0x2d/0x90\n [<ffffffff8843cc9e>] :mydrv:mydrv_ioctl+0xfe/0x1a0\n",
    )
    assert analyze(log).title == "BUG: soft lockup in mydrv_update"
    # Version 3 could not read the `:mod:` frames: the frame it walked to (the PC, spinning in no lock) continues.
    report = analyze(log.replace("_spin_lock+0x1e/0x30", "__const_udelay+0x1e/0x30"))
    assert report.title == "BUG: soft lockup in mydrv_ioctl"
    assert _v3_key("stall in __const_udelay") in report.fingerprint_aliases


# --- lib/vsprintf.c ptr_to_id (4.15+): a `%p` printed before the hashing key is ready ----------------------


@pytest.mark.parametrize("line", ["    [<(____ptrval____)>] unpack_to_rootfs+0x3d/0x304", "    [<(ptrval)>] unpack_to_rootfs+0x3d/0x304"])
def test_unhashed_pointer_frames(line: str) -> None:
    assert [fr.function for fr in frames.parse_frames(line)] == ["unpack_to_rootfs"]


def test_kmemleak_of_an_early_boot_scan_names_the_leaker() -> None:
    log = (
        "unreferenced object 0xffff8df92908ff80 (size 128):\n"
        '  comm "swapper/0", pid 1, jiffies 4294668105 (age 37.813s)\n'
        "  backtrace:\n"
        "    [<(____ptrval____)>] kmem_cache_alloc_trace+0x12f/0x250\n"
        "    [<(____ptrval____)>] mydrv_init_table+0x3d/0x304\n"
        "    [<(____ptrval____)>] do_one_initcall+0x46/0x220\n"
    )
    report = analyze(log)
    assert report.title == "memory leak in mydrv_init_table"
    assert _v3_key("memory leak in corrupted") in report.fingerprint_aliases


def test_ptrval_outside_a_frame_is_no_frame() -> None:
    assert frames.parse_frames("mydrv: table at [<(____ptrval____)>] ready") == ()


# --- mm/filemap.c unaccount_page_cache_page: `BUG: Bad page cache in process %s  pfn:%05lx` ---------------------


def test_bad_page_cache_names_the_checker_s_caller_not_the_task() -> None:
    report = analyze((EDGE / "bad-page-cache.log").read_bytes())
    assert (report.title, report.kind) == ("BUG: Bad page cache in __delete_from_page_cache", "bug")
    other = analyze((EDGE / "bad-page-cache.log").read_text().replace("process mytool", "process systemd-journal"))
    assert other.fingerprint == report.fingerprint


def test_another_bad_page_message_keeps_its_text() -> None:
    # Negative: a `BUG: Bad page ...` message that is not the page cache's check stays with the generic row.
    log = "BUG: Bad page cachet state\nCall Trace:\n dump_stack+0x6b/0x83\n mydrv_free+0x1e/0x40\n"
    assert analyze(log).title == "BUG: Bad page cachet state in mydrv_free"


# --- mm/oom_kill.c's panics are the OOM killer's; a caller's bare panic("Out of memory") is not -----------------


@pytest.mark.parametrize(("line", "kind"), [
    ("Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled", "oom"),
    ("Kernel panic - not syncing: Out of memory and no killable processes...", "oom"),
    ("Kernel panic - not syncing: out of memory. panic_on_oom is selected", "oom"),
    ("Kernel panic - not syncing: System is deadlocked on memory", "oom"),
    ("Kernel panic - not syncing: Out of memory", "panic"),
])
def test_oom_panics(line: str, kind: str) -> None:
    # Titled as syzkaller titles any panic (`kernel panic: ` and panic()'s own words); the OOM killer's are keyed on
    # one bucket (test_fingerprint_version), a caller's bare panic("Out of memory") on its title.
    log = f"{line}\nCall Trace:\n dump_stack+0x6b/0x83\n panic+0x101/0x2e3\n mydrv_init+0x1e/0x40\n"
    report = analyze(log)
    assert (report.kind, report.title) == (kind, "kernel panic: " + line.split("not syncing: ", 1)[1])
    assert ("oom in out_of_memory" in report.alt_titles) == (kind == "oom")


# --- a fatal machine check ends in its own panic (arch/x86_64/kernel/mce.c mce_panic, i386 mcheck/p4.c) ---------


@pytest.mark.parametrize(("panic", "title"), [
    ("Kernel panic - not syncing: Unable to continue", "kernel panic: Unable to continue"),
    ("Kernel panic: CPU context corrupt", "kernel panic: CPU context corrupt"),
    ("Kernel panic - not syncing: Fatal machine check", "kernel panic: fatal machine check"),
])
def test_fatal_machine_check_is_titled_by_its_panic(panic: str, title: str) -> None:
    log = f"CPU 0: Machine Check Exception: 0000000000000007\nBank 3: b40000000000083b at 000000fdfc000cfc\n{panic}\n"
    report = analyze(log)
    assert (report.title, report.kind) == (title, "machine-check")
    assert _v3_key("machine check exception") in report.fingerprint_aliases


def test_machine_check_without_its_panic_keeps_the_fixed_title() -> None:
    log = "CPU 0: Machine Check Exception: 0000000000000007\nBank 3: b40000000000083b at 000000fdfc000cfc\n"
    assert analyze(log).title == "machine check exception"


# --- kernel/lockdep.c (before 3.15 moved it to kernel/locking/): a WARN in lockdep is a locking bug -------------
# kernel/panic.c warn_slowpath_common: `WARNING: CPU: %d PID: %d at %s:%d %pS()`, then lockdep's DEBUG_LOCKS_WARN_ON.

_LOCKDEP_WARN_3X = """\
------------[ cut here ]------------
WARNING: CPU: 1 PID: 1 at kernel/{file}:2740 lockdep_trace_alloc+0x104/0x110()
DEBUG_LOCKS_WARN_ON(irqs_disabled_flags(flags))
Modules linked in:
CPU: 1 PID: 1 Comm: mytool Not tainted 3.11.0 #2
Call Trace:
 [<ffffffff816614a5>] dump_stack+0x54/0x74
 [<ffffffff8105510d>] warn_slowpath_common+0x7d/0xa0
 [<ffffffff8105517c>] warn_slowpath_fmt+0x4c/0x50
 [<ffffffff810bbd74>] lockdep_trace_alloc+0x104/0x110
 [<ffffffff81192da0>] __kmalloc+0x50/0x280
 [<ffffffff815147bb>] mydrv_read_records+0x12b/0x170
 [<ffffffff8128d7ba>] mydrv_fill_super+0x9a/0x150
---[ end trace 1d5a4ff4f2f2a3c1 ]---
"""


def test_a_warning_in_the_old_lockdep_file_is_a_locking_bug() -> None:
    report = analyze(_LOCKDEP_WARN_3X.format(file="lockdep.c"))
    assert (report.title, report.kind) == ("WARNING: locking bug in mydrv_read_records", "lockdep")
    # Negative: another file of kernel/ named like it (kernel/lockdep_proc.c) is a plain WARNING.
    assert analyze(_LOCKDEP_WARN_3X.format(file="lockdep_proc.c")).title == "WARNING in mydrv_read_records"


# --- SLAB debugging (mm/slab.c __slab_error `slab error in %s(): cache `%s': %s`, then dump_stack) -----------------------


def test_slab_error_names_the_code_past_the_allocator_free_path() -> None:
    real = analyze((CORPUS / "production" / "kernel-labs" / "slab-error-redzone-buffer-overflow.txt").read_bytes())
    assert (real.title, real.function, real.kind) == (
        "BUG: slab error: memory outside object was overwritten in buffer_overflow", "buffer_overflow", "bug")
    old = analyze((CORPUS / "edge" / "slab-error-redzone.log").read_bytes())  # 2.6 i386: no `Call Trace:` line
    assert (old.title, old.function) == ("BUG: slab error: memory outside object was overwritten in mydrv_close", "mydrv_close")


def test_slab_double_free_has_the_invalid_free_bucket() -> None:
    report = analyze((CORPUS / "edge" / "slab-double-free.log").read_bytes())
    assert (report.title, report.function) == ("BUG: slab error: double free detected in mydrv_release", "mydrv_release")
    assert report.alt_titles == ["invalid-free in mydrv_release"]
    # KASAN's report of the same double free is one key with it (fingerprint.BUCKETS).
    kasan = analyze("BUG: KASAN: double-free in mydrv_release+0x61/0x90 [mydrv]\nCall Trace:\n mydrv_release+0x61/0x90 [mydrv]\n")
    assert kasan.fingerprint == report.fingerprint


@pytest.mark.parametrize("line", [
    "mydrv: reported slab error in verify_redzone_free(): cache `size-512': double free detected",  # not at a line's start
    "slab error in verify_redzone_free(): cache `size-512': some message no kernel prints",
    "slab error in verify_redzone_free()",  # cut before its cache and message
])
def test_slab_error_lookalikes_are_no_report(line: str) -> None:
    assert analyze(line + "\n [<c016b610>] kfree+0x50/0xa0\n [<e0b348d3>] mydrv_close+0xf3/0x160 [mydrv]\n").kind == "none"


# --- parisc's kernel fault (arch/parisc/kernel/traps.c parisc_terminate `%s: Code=%d (%s) at addr ...`) ------------------


def test_parisc_fault_is_a_paging_request_at_its_faulting_pc() -> None:
    real = analyze((CORPUS / "production" / "patches" / "stable-4.19.231-parisc-sba-unmap-sg-data-tlb-miss-parisc.txt").read_bytes())
    assert (real.title, real.function, real.kind) == (
        "BUG: unable to handle kernel paging request in sba_unmap_sg", "sba_unmap_sg", "paging-fault")
    old = analyze((EDGE / "parisc-fault-old.log").read_bytes())  # 2.6: `Kernel Fault: Code=15 regs=... (Addr=...)`
    assert (old.title, old.kind) == ("BUG: unable to handle kernel paging request in mydrv_poll", "paging-fault")


def test_parisc_fault_in_the_first_page_is_a_null_dereference() -> None:
    report = analyze((EDGE / "parisc-null-deref.log").read_bytes())  # 6.x: `Page fault: bad address`, addr 0x10
    assert (report.title, report.kind) == ("BUG: unable to handle kernel NULL pointer dereference in mydrv_read_reg", "null-deref")
    assert report.alt_titles == ["bad-access in mydrv_read_reg"]


def test_parisc_terminates_panic_repeats_the_fault_and_is_no_report_of_its_own() -> None:
    # panic(msg) after the report: the panic's reason is the report's message (signatures.CONSEQUENCE_PANIC).
    panic_first = analyze((CORPUS / "production" / "patches" / "stable-4.14.183-parisc-mem-init-bad-address-panic-parisc.txt").read_bytes())
    assert panic_first.title == "kernel panic: Bad Address (null pointer deref?)"


@pytest.mark.parametrize("line", [
    "mydrv: firmware said: Kernel Fault: Code=15 seen on the previous boot",  # not at a line's start
    "Kernel Fault: something else entirely",  # no `Code=`
])
def test_parisc_fault_lookalikes_are_no_report(line: str) -> None:
    assert analyze(line + "\n IAOQ[0]: mydrv_poll+0x30/0x98 [mydrv]\n").kind == "none"
