"""Culprit walks past primitives under their older or subsystem names (issue 13, "Culprit frame"): the
scheduler's cond_resched of 3.x-6.2, PREEMPT_RT's local locks and the socket lock, vmalloc's internals, bcache's
closure wait, the 2.6 soft-lockup detector's own stack, and arm64's link register over work-item plumbing.
Each rule reads the kernel's code (named beside the rule in kcrashd/core/frames.py); negatives sit beside
the positives.
"""

from __future__ import annotations

import pytest

from kcrashd.core import analyze, frames
from tests.core.golden import CORPUS
from tests.core.test_miss_families import _v3_key

PRODUCTION = CORPUS / "production"


# --- kernel/sched/core.c `int __sched _cond_resched(void)` (3.x-6.2; __cond_resched since 6.3) -----------------

_SCHED_ATOMIC = (
    "BUG: scheduling while atomic: swapper/2/0/0x10000100\n"
    "Call Trace:\n"
    " dump_stack+0x19/0x1b\n"
    " __schedule_bug+0x64/0x72\n"
    " __schedule+0x782/0x840\n"
    " {resched}+0x3a/0x50\n"
    " mempool_alloc+0xa0/0x170\n"
    " mydrv_unreg+0x151/0x630 [mydrv]\n"
    " irq_poll_softirq+0xc7/0x100\n"
)


def test_scheduling_while_atomic_walks_past_cond_resched_and_the_allocator() -> None:
    report = analyze((PRODUCTION / "patches" / "suse-lpfc-softirq-sched-atomic.txt").read_bytes())
    assert (report.title, report.function) == ("BUG: scheduling while atomic in lpfc_unreg_rpi", "lpfc_unreg_rpi")
    assert len(report.fingerprint_aliases) >= 1  # version 3 named `_cond_resched`: its key continues


@pytest.mark.parametrize("name", ["_cond_resched", "cond_resched", "__cond_resched_lock", "__cond_resched_softirq"])
def test_cond_resched_under_its_names_is_a_sleeping_primitive(name: str) -> None:
    assert analyze(_SCHED_ATOMIC.format(resched=name)).function == "mydrv_unreg"
    assert frames.SLEEPING.match(name)


@pytest.mark.parametrize("name", ["mydrv_cond_resched", "cond_resched_mydrv_loop", "_cond_reschedule_all"])
def test_a_function_named_like_cond_resched_is_not_skipped(name: str) -> None:
    assert analyze(_SCHED_ATOMIC.format(resched=name)).function == name
    assert not frames.SLEEPING.match(name)


# --- PREEMPT_RT locallock.h / local_lock_internal.h, net/core/sock.c lock_sock_nested -----------------------------


def test_lockdep_on_an_rt_local_lock_names_the_socket_code() -> None:
    # 3.0-rt: `at: __local_lock`, held `at: lock_sock`; the stack runs local_bh_disable, _raw_write_lock_bh, tcp_close.
    report = analyze((PRODUCTION / "patches" / "danos-rt-net-flip-lockdep.txt").read_bytes())
    assert (report.title, report.function) == ("possible deadlock in tcp_close", "tcp_close")
    assert _v3_key("possible deadlock in __local_lock") in report.fingerprint_aliases


@pytest.mark.parametrize(
    "name",
    ["__local_lock", "__local_lock_irqsave", "local_lock_irq", "__local_unlock_irqrestore", "local_trylock",
     "lock_sock_nested", "lock_sock", "lock_sock_fast", "__lock_sock", "release_sock"],
)
def test_local_and_socket_locks_are_lock_primitives(name: str) -> None:
    assert frames.is_skipped(name)
    assert frames.LOCK_PRIMITIVE.search(name)


@pytest.mark.parametrize("name", ["mydrv_local_lock", "block_sock_lookup", "sock_release", "release_socket_buf"])
def test_functions_named_like_them_are_not_skipped(name: str) -> None:
    assert not frames.is_skipped(name)


# --- mm/vmalloc.c below vmalloc: __get_vm_area_node -> alloc_vmap_area ------------------------------------------

_VMALLOC_FAULT = (
    "BUG: unable to handle kernel paging request at ffffffe8\n"
    "IP: [<c131ef5a>] {pc}.isra.20+0x12a/0x2c0\n"
    "Oops: 0000 [#1] PREEMPT SMP\n"
    "EIP is at {pc}.isra.20+0x12a/0x2c0\n"
    "Call Trace:\n"
    " [<c131f177>] __get_vm_area_node.isra.21+0x87/0x160\n"
    " [<c131fe47>] __vmalloc_node_range+0x57/0x200\n"
    " [<c1320278>] vzalloc+0x38/0x40\n"
    " [<f8123da6>] mydrv_get_table+0x1a6/0x320 [mydrv]\n"
    " [<c195e698>] syscall_call+0x7/0xb\n"
)


def test_fault_inside_vmalloc_names_its_caller() -> None:
    report = analyze((PRODUCTION / "cki" / "skt-x86-one-trace.txt").read_bytes())
    assert (report.title, report.function) == ("BUG: unable to handle kernel paging request in do_ipt_get_ctl", "do_ipt_get_ctl")
    assert _v3_key("bad-access in alloc_vmap_area") in report.fingerprint_aliases


@pytest.mark.parametrize("pc", ["alloc_vmap_area", "__alloc_vmap_area", "__insert_vmap_area", "__vmalloc_area_node"])
def test_vmalloc_internals_are_allocator_frames(pc: str) -> None:
    assert analyze(_VMALLOC_FAULT.format(pc=pc)).function == "mydrv_get_table"


@pytest.mark.parametrize("pc", ["mydrv_alloc_vmap_area_cache", "vmap_mydrv"])
def test_functions_named_like_vmalloc_internals_are_the_culprit(pc: str) -> None:
    assert analyze(_VMALLOC_FAULT.format(pc=pc)).function == pc


# mm/vmalloc.c vunmap (`BUG_ON(in_interrupt()); might_sleep();`) and vm_unmap_ram check their caller's context
# themselves; syzkaller's titles name them (its skip list has no vmalloc entry).  __vunmap, their worker, stays skipped.
_VUNMAP_BUG = (
    "kernel BUG at mm/vmalloc.c:1621!\n"
    "invalid opcode: 0000 [#1] SMP\n"
    "RIP: 0010:{pc}+0x3e/0x50\n"
    "Call Trace:\n"
    " {caller}+0x8e/0x120\n"
    " mydrv_free_ring+0x31/0x80 [mydrv]\n"
    " mydrv_irq+0x54/0x90 [mydrv]\n"
)


@pytest.mark.parametrize("pc", ["vunmap", "vm_unmap_ram"])
def test_vunmap_checks_its_caller_and_is_named(pc: str) -> None:
    assert analyze(_VUNMAP_BUG.format(pc=pc, caller="mydrv_unmap")).function == pc


def test_vunmaps_worker_is_skipped() -> None:
    assert analyze(_VUNMAP_BUG.format(pc="__vunmap", caller="vfree")).function == "mydrv_free_ring"


# --- drivers/md/bcache/closure.c __closure_sync (closure_sync before 4.16): set_current_state + schedule() ---------

_HUNG = (
    "INFO: task bcache-register:2330 blocked for more than 120 seconds.\n"
    "Call Trace:\n"
    " __schedule+0x24e/0x890\n"
    " schedule+0x2c/0x80\n"
    " {wait}+0x18/0x90 [bcache]\n"
    " bch_journal+0x123/0x380 [bcache]\n"
    " bch_journal_meta+0x47/0x70 [bcache]\n"
)


def test_hung_task_in_a_closure_wait_names_the_code_that_waits() -> None:
    report = analyze((PRODUCTION / "hotsos" / "kernlog-calltrace-bcache-deadlock.txt").read_bytes())
    assert (report.title, report.function) == ("INFO: task hung in bch_journal", "bch_journal")
    assert len(report.fingerprint_aliases) >= 1  # version 3 named closure_sync: its key continues


@pytest.mark.parametrize("wait", ["closure_sync", "__closure_sync", "closure_return_sync"])
def test_closure_waits_are_sleeping_primitives(wait: str) -> None:
    assert analyze(_HUNG.format(wait=wait)).function == "bch_journal"


@pytest.mark.parametrize("wait", ["closure_put", "bch_closure_sync_all", "closure_sync_fn"])
def test_other_closure_functions_are_the_culprit(wait: str) -> None:
    assert analyze(_HUNG.format(wait=wait)).function == wait


# --- kernel/softlockup.c softlockup_tick (2.6.x): the detector's own stack --------------------------------------

_SOFTLOCKUP = (
    "BUG: soft lockup detected on CPU#0!\n"
    " [<c014e31b>] softlockup_tick+0xbb/0x100\n"
    " [<c01290e2>] update_process_times+0x32/0x80\n"
    " [<c013c5bf>] tick_sched_timer+0x7f/0x110\n"
    " [<c013749f>] hrtimer_interrupt+0x17f/0x210\n"
    " [<c0107244>] timer_interrupt+0x14/0x50\n"
    " [<c014e685>] handle_IRQ_event+0x25/0x60\n"
    " [<c015027f>] handle_edge_irq+0xbf/0x170\n"
    " [<c0106265>] do_IRQ+0x45/0x80\n"
    " [<c0104b2f>] common_interrupt+0x23/0x28\n"
    "{more}"
    " =======================\n"
)


def test_soft_lockup_with_only_the_detectors_stack_names_no_function() -> None:
    report = analyze((PRODUCTION / "kerneloops" / "i386-softlockup-excerpt.txt").read_bytes())
    assert (report.title, report.function, report.corrupted) == ("BUG: soft lockup", None, False)
    assert _v3_key("stall in softlockup_tick") in report.fingerprint_aliases


def test_soft_lockup_with_the_interrupted_code_names_it() -> None:
    # Negative: a frame below the interrupt that is not the detector's is the looping code.
    report = analyze(_SOFTLOCKUP.format(more=" [<f8123456>] mydrv_poll+0x23/0x28 [mydrv]\n"))
    assert (report.title, report.function) == ("BUG: soft lockup in mydrv_poll", "mydrv_poll")


def test_soft_lockup_detector_stack_synthetic() -> None:
    report = analyze(_SOFTLOCKUP.format(more=""))
    assert (report.title, report.function, report.corrupted) == ("BUG: soft lockup", None, False)


def test_soft_lockup_without_the_detectors_frames_stays_corrupted() -> None:
    # Negative: a stack of only skipped frames that is not the detector's own names nothing and is not whole.
    report = analyze("BUG: soft lockup - CPU#0 stuck for 22s! [swapper:0]\nCall Trace:\n [<c0106265>] do_IRQ+0x45/0x80\n")
    assert report.title == "BUG: soft lockup in corrupted"


# --- arch/arm64/kernel/process.c __show_regs `lr : %pS` over work-item plumbing ----------------------------------

_ARM64_FRAGMENT = (
    "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000\n"
    "{pc}"
    "lr : {lr}+0x6ac/0x718 [nvmet_tcp]\n"
    "Call trace:\n"
    "{frames}"
    "  process_one_work+0x174/0x3c8\n"
    "  worker_thread+0x2d0/0x3e8\n"
    "  kthread+0x104/0x110\n"
)


def test_fragment_with_only_plumbing_names_the_link_register() -> None:
    report = analyze((PRODUCTION / "patches" / "suse-nvmet-tcp-arm64-null-deref-fragment.txt").read_bytes())
    assert report.function == "nvmet_tcp_io_work"
    assert _v3_key("bad-access in process_one_work") in report.fingerprint_aliases


def test_fragment_with_only_plumbing_synthetic() -> None:
    assert analyze(_ARM64_FRAGMENT.format(pc="", lr="mydrv_io_work", frames="")).function == "mydrv_io_work"


def test_a_pc_line_wins_over_the_link_register() -> None:
    # Negative: the pc names the faulting function.
    log = _ARM64_FRAGMENT.format(pc="pc : mydrv_recv+0x10/0x80 [mydrv]\n", lr="mydrv_io_work", frames="")
    assert analyze(log).function == "mydrv_recv"


def test_a_reliable_frame_above_the_plumbing_wins_over_the_link_register() -> None:
    # Negative: the unwinder showed the work function.
    log = _ARM64_FRAGMENT.format(pc="", lr="mydrv_helper", frames="  mydrv_io_work+0x6ac/0x718 [mydrv]\n")
    assert analyze(log).function == "mydrv_io_work"


# --- block/bio.c bio_put -> bio_free -> mempool_free: the bio's free side ------------------------------------------

_BIO_FAULT = (
    "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000\n"
    "pc : mempool_free+0x70/0xa0\n"
    "lr : mempool_free+0x4c/0xa0\n"
    "Call trace:\n"
    " mempool_free+0x70/0xa0\n"
    " {put}+0xf8/0x110\n"
    " mydrv_end_io+0x13c/0x230 [mydrv]\n"
    " bio_endio+0x198/0x1b8\n"
)


def test_fault_freeing_a_bio_names_the_code_that_put_it() -> None:
    report = analyze((PRODUCTION / "patches" / "suse-dm-mempool-arm64-null-deref.txt").read_bytes())
    assert report.function == "dec_pending"
    assert _v3_key("bad-access in bio_put") in report.fingerprint_aliases


@pytest.mark.parametrize(("put", "want"), [("bio_put", "mydrv_end_io"), ("bio_free", "mydrv_end_io"),
                                           ("bio_put_pages", "bio_put_pages"), ("mydrv_bio_put", "mydrv_bio_put")])
def test_only_the_bio_free_side_is_skipped(put: str, want: str) -> None:
    assert analyze(_BIO_FAULT.format(put=put)).function == want
