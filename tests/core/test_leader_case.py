"""Line leaders a patch tool re-cased (`Bug:`, `Cpu:`, `Rip:`) read as the kernel prints them
(kcrashd.core.leader_case), and a symbolizer's inline levels of one header read as one report
(kcrashd.core.events._inline_expansion)."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.leader_case import LEADERS, recased, restore_leaders
from tests.core.log_variants import tag_cased

# A scheduling-while-atomic report as a patch file's commit message keeps it, its leaders re-cased
# (the shape of production patches/suse-ppc64-idle-sched-atomic-mangled-case).
_SCHED = """\
Bug: scheduling while atomic: swapper/1/0/0x00000000
no locks held by swapper/1/0.
Cpu: 1 PID: 0 Comm: swapper/1 Not tainted 5.15.0-rc2+ #100
Call Trace:
 dump_stack_lvl+0xac/0x108
 __schedule_bug+0xac/0xe0
 __schedule+0xcf8/0x10d0
 schedule_idle+0x3c/0x70
 do_idle+0x2d8/0x4a0
 cpu_startup_entry+0x38/0x40
"""

# A page fault of the 3.x era (IP line, then the RIP register line), re-cased.
_FAULT = """\
Bug: unable to handle kernel NULL pointer dereference at 0000000000000360
Ip: [<ffffffff81196aab>] get_mem_cgroup_from_mm.isra.42+0x2b/0x60
PGD 5082067 PUD 83c3067 PMD 0
Oops: 0000 [#1] SMP
Cpu: 0 PID: 97 Comm: loop1 Not tainted 3.15.0-rc5-5-default #1
Rip: 0010:[<ffffffff81196aab>]  [<ffffffff81196aab>] get_mem_cgroup_from_mm.isra.42+0x2b/0x60
Rsp: 0018:ffff880038effa40  EFLAGS: 00010246
Call Trace:
 [<ffffffff8119b2c1>] __mem_cgroup_try_charge_swapin+0x41/0x80
 [<ffffffff8119c0d7>] mem_cgroup_charge_file+0x87/0xd0
 [<ffffffff8114f6e8>] shmem_getpage_gfp+0x558/0x7b0
"""

# A lockdep report cut to its header block and first chain (no trace within BODY_LINES of the header).
_LOCKDEP = """\
======================================================
Warning: possible circular locking dependency detected
5.10.0 #1 Not tainted
------------------------------------------------------
kworker/0:1/12 is trying to acquire lock:
ffff888012345678 (&a->lock){+.+.}-{3:3}, at: thread_b+0x10/0x40 [ab]

but task is already holding lock:
ffff888012345600 (&b->lock){+.+.}-{3:3}, at: thread_b+0x8/0x40 [ab]

which lock already depends on the new lock.

the existing dependency chain (in reverse order) is:

-> #1 (&b->lock){+.+.}-{3:3}:
       __mutex_lock+0x8a/0x9a0
       thread_a+0x20/0x40 [ab]
"""


@pytest.mark.parametrize("log, title", [
    (_SCHED, "BUG: scheduling while atomic in do_idle"),
    (_FAULT, "BUG: unable to handle kernel NULL pointer dereference in get_mem_cgroup_from_mm"),
])
def test_a_recased_quote_reads_as_the_kernel_printed_it(log: str, title: str) -> None:
    assert recased(log)
    assert analyze(log.encode()).title == title
    upper = restore_leaders(log)
    assert analyze(upper.encode()).fingerprint == analyze(log.encode()).fingerprint


def test_every_leader_of_the_table_is_restored_in_a_recased_quote() -> None:
    proof = "Cpu: 0 PID: 1 Comm: init\n"
    block = "\n".join(f"{leader.word.capitalize()}: x" for leader in LEADERS)
    assert restore_leaders(proof + block) == "CPU: 0 PID: 1 Comm: init\n" + "\n".join(f"{leader.word}: x" for leader in LEADERS)


def test_a_lone_recased_header_is_restored_above_its_trace() -> None:
    quote = "Bug: sleeping function called from invalid context at mm/slab.h:494\nCall Trace:\n f+0x1/0x2\n g+0x3/0x4\n"
    assert restore_leaders(quote).startswith("BUG: sleeping function called")
    assert restore_leaders(_LOCKDEP).split("\n")[1] == "WARNING: possible circular locking dependency detected"
    decoded = "Odebug: free active (active state 0) object type: hrtimer\n\ndebug_object_free (lib/debugobjects.c:603)\n"
    assert restore_leaders(decoded).startswith("ODEBUG: free active")


def test_a_lone_recased_lockdep_header_is_restored_above_its_dashes() -> None:
    # kernel/locking/lockdep.c lockdep_sys_exit: the header, print_kernel_ident, a `-` rule; no trace follows.
    quote = ("Warning: lock held when returning to user space!\n6.6.0-rc3 #213 Not tainted\n"
             "------------------------------------------------\nmytool/673 is leaving the kernel with locks still held!\n")
    assert restore_leaders(quote).startswith("WARNING: lock held when returning")


def test_a_lone_recased_lockdep_header_is_restored_above_its_first_body_line() -> None:
    # A quote that dropped lockdep's rules and ident line: print_deadlock_bug's `%s/%d is trying to acquire lock:`.
    quote = ("Warning: possible recursive locking detected\ntest_progs/1393 is trying to acquire lock:\n"
             "ffff88811ec25f58 (slock-AF_UNIX){+...}-{3:3}, at: sock_map_update_elem+0xdb/0x1f0\n")
    assert restore_leaders(quote).startswith("WARNING: possible recursive locking detected")
    spaced = "Warning: possible circular locking dependency detected\nWeb Content/4242 is trying to acquire lock:\n"
    assert restore_leaders(spaced).startswith("WARNING: possible circular")
    # Negative: prose below a user-space warning is no lockdep body line.
    prose = "Warning: the lock is stale\nthe tool is trying to acquire lock again\n"
    assert restore_leaders(prose) == prose


@pytest.mark.parametrize("text", [
    # a user-space line, no trace below: the kernel prints no such leader
    # a tool's heading underlined three lines below, or by a short rule, is no lockdep header
    "Warning: disk almost full\nused 95%\nfree 5%\n--------------------------\n",
    "Warning: check config\n-----\n",
    "Warning: unable to resolve host\nsomething else\n",
    "Info: starting service\nBug: none found\n",
    # one body leader alone is no quote of a report: `Cpu:` a tool's output
    "Cpu: 4 cores\nMemory: 8 GiB\n",
    # the kernel's own spelling is left as it is, and words not in the table are not touched
    "CPU: 1 PID: 2 Comm: x\nRIP: 0010:f+0x1/0x2\nCode: 48 89\nLoop0: detected capacity change\n",
    # a tag with no blank after its colon is no re-cased leader (sched_show_task's `task:%s state:%c`)
    "Cpu:1 Rip:2\n",
])
def test_text_that_is_no_recased_report_stays_as_it_is(text: str) -> None:
    assert restore_leaders(text) == text


@pytest.mark.parametrize("line", [
    "Cpu: 0 PID: 1 Comm: init Not tainted",
    "Cpu: 0 UID: 0 PID: 176 Comm: mptcp_connect Not tainted 6.12.0-rc2+ #11",
    "Rip: 0010:ext4_mb_mark_diskspace_used.cold+0x85/0x136f",
    "Rip: 0010:[<ffffffff81196aab>]  [<ffffffff81196aab>] f+0x2b/0x60",
    "Ip: [<ffffffff81196aab>] get_mem_cgroup_from_mm.isra.42+0x2b/0x60",
    "Ip: holder_class_store+0x253/0x2b0 [libnvdimm]",  # later 4.x no_context: `IP: %pS`
    "Eip: 0060:[<c04a5b6c>] EFLAGS: 00010246 CPU: 0",
    "Eip: ioread32+0x2a/0x40",
    "Rsp: 0018:ffff880038effa40  EFLAGS: 00010246",
    "Tpc: <dma_supported+0x20/0x80>",  # sparc64 show_regs
])
def test_one_body_leader_in_its_kernel_shape_is_a_recased_quote(line: str) -> None:
    assert recased(f"kernel BUG at fs/x.c:1!\n{line}\n")


@pytest.mark.parametrize("line", [
    "Cpu: 0", "Cpu: 4 cores", "Rip: ok", "Ip: 10.0.0.1", "Ip: eth0 up", "Eip: none", "Rsp: 12 ms", "Tpc: <5ms>",
    "Bug: KASAN: use-after-free in f+0x1/0x2",  # a header alone is no proof of the whole quote
])
def test_a_leader_out_of_its_kernel_shape_is_no_recased_quote(line: str) -> None:
    assert not recased(f"{line}\nsomething\n")


@pytest.mark.parametrize("log", [_SCHED, _FAULT, _LOCKDEP])
def test_tag_casing_a_restored_quote_changes_no_answer(log: str) -> None:
    plain = restore_leaders(log)
    assert analyze(tag_cased(plain).encode()).fingerprint == analyze(plain.encode()).fingerprint


# A syzbot KASAN report whose faulting access was inlined: the symbolizer prints the header once per
# inline level, innermost first (the shape of production patches/suse-ext4-search-dir-kasan-mangled).
_INLINE = """\
==================================================================
BUG: KASAN: use-after-free in ext4_search_dir fs/ext4/namei.c:1394 [inline]
BUG: KASAN: use-after-free in search_dirblock fs/ext4/namei.c:1199 [inline]
BUG: KASAN: use-after-free in __ext4_find_entry+0xdca/0x1210 fs/ext4/namei.c:1553
Read of size 1 at addr ffff8881317c3005 by task syz-executor117/2331

CPU: 1 PID: 2331 Comm: syz-executor117 Not tainted 5.10.0+ #1
Call Trace:
 __dump_stack lib/dump_stack.c:83 [inline]
 dump_stack+0x144/0x187 lib/dump_stack.c:124
 print_address_description+0x7d/0x630 mm/kasan/report.c:387
 kasan_report+0x47/0x60 mm/kasan/report.c:564
 ext4_search_dir fs/ext4/namei.c:1394 [inline]
 search_dirblock fs/ext4/namei.c:1199 [inline]
 __ext4_find_entry+0xdca/0x1210 fs/ext4/namei.c:1553
 ext4_lookup+0xb8/0x3a0 fs/ext4/namei.c:1690
"""


def test_the_inline_levels_of_one_header_are_one_report() -> None:
    rep = analyze(_INLINE.encode())
    assert rep.title == "KASAN: use-after-free Read in ext4_search_dir"


def test_two_reports_one_below_the_other_stay_two() -> None:
    # the first header names no inline level: the second is a report of its own
    two = _INLINE.replace(" fs/ext4/namei.c:1394 [inline]\nBUG", "+0x1/0x2\nBUG", 1)
    rep = analyze(two.encode())
    assert rep.title != "KASAN: use-after-free Read in ext4_search_dir"
