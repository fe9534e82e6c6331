"""Test harnesses and debugfs plumbing are never the culprit (issue 13, families of misses).

KUnit (lib/kunit/test.c kunit_try_run_case -> `test_case->run_case(test)`, in the kthread of
lib/kunit/try-catch.c kunit_generic_run_threadfn_adapter) and lkdtm (drivers/misc/lkdtm/core.c
direct_entry -> lkdtm_do_action -> `crashtype->func()`) call a test case through a pointer: the case is
the culprit, even when its name fits a skip rule (`kmalloc_oob_right` looks like an allocator).
debugfs's full_proxy_write (fs/debugfs/file.c FULL_PROXY_FUNC) only forwards a write to the file's own
handler, like vfs_write: a stall's walk stops at it.
"""

from __future__ import annotations

import hashlib

from kcrashd.core import analyze
from kcrashd.core.fingerprint import fingerprint_title
from tests.core.golden import CORPUS

PRODUCTION = CORPUS / "production"


def _key(version: int, title: str, alts: list[str]) -> str:
    return f"kc{version}-" + fingerprint_title(title, alts).split("-", 1)[1]


def test_kunit_kasan_test_named_like_an_allocator_is_the_culprit() -> None:
    # x86 4-era trace (lkp-tests) and arm32 `callee from caller` trace (lava): the same test case.
    for name in ("lkp-tests/stats-kunit-2.txt", "lava/kernel-kasan-and-reset-overlap.txt"):
        report = analyze((PRODUCTION / name).read_bytes())
        assert report.title == "KASAN: slab-out-of-bounds Write in kmalloc_oob_right", name
        old = "KASAN: slab-out-of-bounds Write in kunit_try_run_case"
        assert _key(3, old, ["bad-access in kunit_try_run_case"]) in report.fingerprint_aliases


def test_kunit_kfence_test_is_the_culprit() -> None:
    # Documentation/dev-tools/kfence.rst: the test case right above kunit_try_run_case.
    report = analyze((PRODUCTION / "kernel-docs" / "kfence-memory-corruption.txt").read_bytes())
    assert report.function == "test_kmalloc_aligned_oob_write"
    assert _key(3, "KFENCE: memory corruption in kunit_try_run_case", []) in report.fingerprint_aliases


def test_lkdtm_soft_lockup_names_the_looping_test_on_x86_and_arm64() -> None:
    # x86 walks past `lkdtm_do_action` (the PC is the loop); arm64's trace shows direct_entry instead.
    for name in ("TEST_X86_64_PROVOKE_KERNEL_SOFTLOCKUP.txt", "TEST_ARM64_PROVOKE_KERNEL_SOFTLOCKUP.txt"):
        report = analyze((PRODUCTION / "chromiumos" / name).read_bytes())
        assert report.function == "lkdtm_SOFTLOCKUP", name
        old = "BUG: soft lockup in full_proxy_write"
        assert _key(3, old, ["stall in full_proxy_write"]) in report.fingerprint_aliases


_DEBUGFS_LOCKUP = """\
watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [sh:5431]
CPU: 1 PID: 5431 Comm: sh Not tainted 6.1.73 #1
RIP: 0010:mydbg_write+0x12/0x40
RSP: 0018:ffffac09c791fda8 EFLAGS: 00000282
Call Trace:
 <IRQ>
 ? watchdog_timer_fn+0x238/0x29f
 ? __hrtimer_run_queues+0xcd/0x247
 ? hrtimer_interrupt+0xf7/0x202
 ? sysvec_apic_timer_interrupt+0x70/0x80
 </IRQ>
 <TASK>
 ? asm_sysvec_apic_timer_interrupt+0x16/0x20
 ? mydbg_write+0x12/0x40
 full_proxy_write+0x56/0x7b
 vfs_write+0x10b/0x31d
 ksys_write+0x71/0xd6
 do_syscall_64+0x4e/0x9b
 entry_SYSCALL_64_after_hwframe+0x5e/0xc8
 </TASK>
"""


def test_debugfs_proxy_ends_a_stall_walk_like_vfs_write() -> None:
    report = analyze(_DEBUGFS_LOCKUP)
    assert report.title == "BUG: soft lockup in mydbg_write"


def test_a_harness_frame_below_the_reporter_is_kept() -> None:
    # Negative: a WARN raised by kunit_try_run_case itself (the frame above it is the WARN machinery).
    log = (
        "------------[ cut here ]------------\n"
        "WARNING: CPU: 0 PID: 120 at lib/kunit/test.c:410 kunit_try_run_case+0x14c/0x3d0\n"
        "Modules linked in:\n"
        "CPU: 0 PID: 120 Comm: kunit_try_catch Not tainted 6.9.9 #1\n"
        "Call Trace:\n"
        " __warn+0x8a/0x100\n"
        " kunit_try_run_case+0x14c/0x3d0\n"
        " kunit_generic_run_threadfn_adapter+0x88/0x100\n"
        " kthread+0x10/0x20\n"
        " ret_from_fork+0x10/0x20\n"
        "---[ end trace 0000000000000000 ]---\n"
    )
    assert analyze(log).function == "kunit_try_run_case"


def test_the_thread_that_waits_for_a_test_is_no_harness_frame() -> None:
    # Negative: kunit_try_catch_run only starts the test's kthread and waits for it; a NULL
    # dereference in its wait (tuxparse's kernelpanic-multiline, the oops that killed init) is its own.
    report = analyze((PRODUCTION / "tuxparse" / "kernelpanic-multiline.txt").read_bytes())
    assert report.function == "kunit_try_catch_run"


def test_kmemleak_trace_with_ptrval_addresses_names_the_allocating_code() -> None:
    # lib/vsprintf.c ptr_to_id prints `%p` as `(____ptrval____)` (`(ptrval)` on 32-bit) before the hashing
    # key is ready; mm/kmemleak.c prints each backtrace entry as `[<%p>] %pS`.
    report = analyze((PRODUCTION / "lkp-tests" / "stats-kmemleak-01.txt").read_bytes())
    assert report.title == "memory leak in unpack_to_rootfs"
    assert _key(3, "memory leak in corrupted", []) in report.fingerprint_aliases
    short = (
        "unreferenced object 0xc5a85500 (size 64):\n"
        '  comm "swapper/0", pid 1, jiffies 4294668105 (age 37.813s)\n'
        "  backtrace:\n"
        "    [<(ptrval)>] mydrv_probe+0x3d/0x304\n"
        "    [<(ptrval)>] platform_probe+0x19/0x106\n"
    )
    assert analyze(short).function == "mydrv_probe"


def test_a_word_in_parentheses_is_no_frame_address() -> None:
    # Negative: only the two spellings ptr_to_id prints stand for an address.
    from kcrashd.core import frames

    assert frames.parse_frames("    [<(____ptrval____)>] unpack_to_rootfs+0x3d/0x304")
    assert not frames.parse_frames("    [<(pointer)>] unpack_to_rootfs+0x3d/0x304")


def test_bad_page_cache_title_holds_no_task_name_and_names_the_checkers_caller() -> None:
    # mm/filemap.c unaccount_page_cache_page (filemap_unaccount_folio since 5.16): `BUG: Bad page cache in
    # process %s  pfn:%05lx` names the current task; the checker only vets the page its caller drops.
    report = analyze((PRODUCTION / "lkp-tests" / "stats-dmesg-73.txt").read_bytes())
    assert (report.title, report.kind) == ("BUG: Bad page cache in __delete_from_page_cache", "bug")
    text = (CORPUS / "edge" / "bad-page-cache.log").read_text()
    renamed = analyze(text.replace("in process mytool ", "in process kworker/u8:3 "))
    assert renamed.title == analyze(text).title == "BUG: Bad page cache in __delete_from_page_cache"


def test_bad_page_state_keeps_its_own_row() -> None:
    # Negative: mm/page_alloc.c bad_page `BUG: Bad page state in process %s  pfn:%05lx` is another row.
    report = analyze((CORPUS / "edge" / "bad-page-cache.log").read_text().replace("Bad page cache", "Bad page state"))
    assert report.signature == "bad-page-state"


def test_bad_page_state_names_the_driver_below_the_dma_apis_free_path() -> None:
    # mm/page_alloc.c __free_pages_ok -> 5.x check_free_page -> check_free_page_bad -> bad_page; the pages were freed
    # for the driver by kernel/dma/direct.c dma_direct_free -> kernel/dma/contiguous.c dma_free_contiguous.
    path = PRODUCTION / "patches" / "stable-6.1.14-ath11k-qmi-mem-chunk-bad-page-state.txt"
    report = analyze(path.read_bytes())
    assert (report.title, report.function) == ("BUG: Bad page state in ath11k_qmi_msg_mem_request_cb",
                                                "ath11k_qmi_msg_mem_request_cb")
    # Version 3 named the checker: its key continues.
    v3 = "kc3-" + hashlib.sha256(b"BUG: Bad page state in check_free_page_bad").hexdigest()[:16]
    assert v3 in report.fingerprint_aliases
    # Negative: a driver's own function named like a DMA helper is no part of the DMA API's free path.
    renamed = analyze(path.read_text().replace("ath11k_qmi_msg_mem_request_cb", "mydrv_dma_free_chunks"))
    assert renamed.function == "mydrv_dma_free_chunks"


def test_a_bare_out_of_memory_panic_at_boot_is_no_oom_kill() -> None:
    # mm/page_ext.c page_ext_init_flatmem `panic("Out of memory")`: no OOM killer ran.
    report = analyze((PRODUCTION / "lkp-tests" / "stats-dmesg-boot-stage-03.txt").read_bytes())
    assert (report.title, report.kind, report.function) == ("kernel panic: Out of memory", "panic", "page_ext_init_flatmem")


def test_the_oom_killers_panics_stay_oom() -> None:
    # Negative: mm/oom_kill.c check_panic_on_oom and out_of_memory give a reason after the words.
    for reason in ("Out of memory: system-wide panic_on_oom is enabled", "Out of memory and no killable processes...",
                   "System is deadlocked on memory"):
        assert analyze(f"[    5.000000] Kernel panic - not syncing: {reason}\n").kind == "oom", reason


# --- LKDTM's direct entry names the test case a tail call hid -------------------------------------------------------

_LAB = CORPUS / "lab"


def test_a_tail_called_sleep_hides_the_lkdtm_case_its_entry_line_names() -> None:
    # drivers/misc/lkdtm/bugs.c lkdtm_HUNG_TASK ends in `schedule()`, compiled as a jump on Debian's 6.1: the trace
    # goes from schedule to direct_entry.  direct_entry printed `Performing direct entry HUNG_TASK` before the call.
    report = analyze((_LAB / "deb12-6.1_lkdtm-hung-task_run1" / "console.log").read_bytes())
    assert (report.title, report.function) == ("INFO: task hung in lkdtm_HUNG_TASK", "lkdtm_HUNG_TASK")
    # Debian 13's build kept the frame: the same case keys the same.
    other = analyze((_LAB / "deb13-6.12_lkdtm-hung-task_run1" / "console.log").read_bytes())
    assert other.fingerprint == report.fingerprint


def test_a_tail_called_free_hides_the_lkdtm_case_its_entry_line_names() -> None:
    report = analyze((_LAB / "deb12-6.1_lkdtm-slab-free-double_run2" / "vmcore-dmesg.txt").read_bytes())
    assert report.function == "lkdtm_SLAB_FREE_DOUBLE"
    assert report.fingerprint_aliases  # version 3 named kmem_cache_free: its key continues


_OLD_LKDTM = (
    "[   20.100000] lkdtm: Performing direct entry BUG\n"
    "[   20.100100] ------------[ cut here ]------------\n"
    "[   20.100200] kernel BUG at drivers/misc/lkdtm.c:371!\n"
    "[   20.100300] invalid opcode: 0000 [#1] SMP\n"
    "[   20.100400] RIP: 0010:[<ffffffffa0012345>]  [<ffffffffa0012345>] lkdtm_do_action+0x25/0x1f0 [lkdtm]\n"
    "[   20.100500] Call Trace:\n"
    "[   20.100600]  [<ffffffffa00125a1>] direct_entry+0xd1/0x110 [lkdtm]\n"
    "[   20.100700]  [<ffffffff811c4a2b>] vfs_write+0xbb/0x1e0\n"
)


def test_old_lkdtm_that_crashed_in_its_harness_names_the_harness() -> None:
    # Before 4.9 drivers/misc/lkdtm.c ran every type inline in lkdtm_do_action's switch: no lkdtm_BUG exists there.
    assert analyze(_OLD_LKDTM).function == "lkdtm_do_action"


def test_a_report_without_the_entry_line_keeps_the_walk_s_answer() -> None:
    log = (_LAB / "deb12-6.1_lkdtm-slab-free-double_run2" / "vmcore-dmesg.txt").read_text()
    without = "\n".join(line for line in log.splitlines() if "Performing direct entry" not in line)
    assert analyze(without).function == "kmem_cache_free"


LAB = CORPUS / "lab"


def test_lkdtm_spinlockup_names_the_test_that_tail_called_spin_lock() -> None:
    # drivers/misc/lkdtm/bugs.c lkdtm_SPINLOCKUP ends in `spin_lock(&lock_me_up)`, a tail call (jmp _raw_spin_lock in
    # Debian's 6.12 build): the lockup's PC is x86's paravirt slow path, below it only _raw_spin_lock and the harness.
    report = analyze((LAB / "deb13-6.12_lkdtm-spinlockup_run1" / "vmcore-dmesg.txt").read_bytes())
    assert (report.title, report.function) == ("BUG: soft lockup in lkdtm_SPINLOCKUP", "lkdtm_SPINLOCKUP")
    # Version 3 stopped at no debugfs proxy and named it: its key continues.
    assert _key(3, "BUG: soft lockup in full_proxy_write", ["stall in full_proxy_write"]) in report.fingerprint_aliases


_SPIN_LOCKUP = """\
watchdog: BUG: soft lockup - CPU#3 stuck for 23s! [kworker/3:1:214]
CPU: 3 PID: 214 Comm: kworker/3:1 Tainted: G           OE    --------- -  - 4.18.0-513.el8.x86_64 #1
RIP: 0010:{pc}+0x1d1/0x2e0
RSP: 0018:ffffac09c791fda8 EFLAGS: 00000246
Call Trace:
 _raw_spin_lock+0x1e/0x30
 mydrv_poll_status+0x44/0x1a0 [mydrv]
 mydrv_watch_work+0x2b/0x90 [mydrv]
 process_one_work+0x1d3/0x390
 worker_thread+0x30/0x390
 kthread+0x10a/0x120
 ret_from_fork+0x1f/0x40
"""


def test_a_lockup_spinning_in_either_name_of_the_spinlock_slow_path_names_the_lock_taker() -> None:
    # arch/x86/include/asm/qspinlock.h: with PARAVIRT_SPINLOCKS (RHEL's, Debian's, Fedora's builds) the slow path
    # is native_queued_spin_lock_slowpath, elsewhere queued_spin_lock_slowpath: one bug, one key.
    native, plain = (analyze(_SPIN_LOCKUP.format(pc=pc)) for pc in ("native_queued_spin_lock_slowpath",
                                                                     "queued_spin_lock_slowpath"))
    assert native.function == plain.function == "mydrv_poll_status"
    assert native.fingerprint == plain.fingerprint
    # Version 3 walked past the paravirt slow path to the work dispatcher: the work function's key continues.
    assert _key(3, "BUG: soft lockup in mydrv_watch_work", ["stall in mydrv_watch_work"]) in native.fingerprint_aliases


def test_a_fault_in_the_paravirt_slow_path_still_names_it() -> None:
    # Only a stall's spinning PC passes to the lock's taker: syzkaller titles a KASAN report in the slow path by it.
    report = analyze(
        "BUG: unable to handle page fault for address: ffffed1015ce45c9\nOops: 0000 [#1] SMP NOPTI\n"
        "RIP: 0010:native_queued_spin_lock_slowpath+0x1d1/0x2e0\nCall Trace:\n _raw_spin_lock+0x1e/0x30\n"
        " mydrv_poll_status+0x44/0x1a0 [mydrv]\n"
    )
    assert report.function == "native_queued_spin_lock_slowpath"
