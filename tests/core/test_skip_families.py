"""Skip, hang and stall-anchor families of the culprit walk that syzkaller's report parser skips too
(pkg/report/linux.go learned as families, never copied): each rule names the kernel code it reads.

Every family added in fingerprint version 4 keeps version 3's key as an alias (frames.SKIPPED_SINCE_V4,
HANG_RTNL_V3, STALL_ANCHOR_RULES_SINCE_V4, a row's `v3_skip`).
"""

from __future__ import annotations

import hashlib

import pytest

from kcrashd.core import analyze, frames
from kcrashd.core.fingerprint import fingerprint_key
from tests.core.golden import CORPUS

PRODUCTION = CORPUS / "production"


def _v3_key(title: str, alts: list[str]) -> str:
    return "kc3-" + hashlib.sha256(fingerprint_key(title, alts, version=3).encode()).hexdigest()[:16]


def _trace(head: str, *called: str) -> str:
    """A report: its header lines, `Call Trace:`, then a frame line per function (`f [mod]` for a module's)."""
    lines = [f" {name}+0x2a/0x90{' ' + mod if mod else ''}" for name, _, mod in (f.partition(" ") for f in called)]
    return "\n".join((head, "Call Trace:", *lines)) + "\n"


# --- the global skip lists -----------------------------------------------------------------------------------------

SKIPPED_SINCE_V4 = [
    # lib/atomic64.c and arch/x86/lib/atomic64_{cx8,386}_32.S
    "atomic64_read", "atomic64_add_return", "generic_atomic64_add", "atomic64_add_return_cx8", "atomic64_inc_386",
    # include/asm-generic/bitops
    "change_bit", "__change_bit", "test_bit", "_test_bit", "test_bit_acquire", "arch_test_bit", "generic_test_bit",
    "arch_set_bit", "arch___clear_bit",
    # lib/find_bit.c and arch/arm/lib/findbit.S
    "find_first_bit", "_find_first_bit", "find_next_zero_bit", "_find_next_and_bit", "find_nth_bit", "find_last_bit",
    "_find_first_bit_le", "_find_next_zero_bit_be",
    # include/linux/sched.h owner_on_cpu
    "owner_on_cpu",
    # lib/iov_iter.c, include/linux/uio.h, lib/scatterlist.c
    "copyin", "copyout", "copyout_mc", "_copy_mc_to_iter", "copy_folio_to_iter", "copy_folio_from_iter_atomic",
    "extract_iter_to_sg", "extract_user_to_sg",
    # mm/filemap.c, mm/truncate.c
    "find_or_create_page", "grab_cache_page", "grab_cache_page_write_begin", "grab_cache_page_nowait", "read_cache_folio",
    "lock_page", "__lock_page", "__lock_page_killable", "__lock_page_or_retry", "folio_lock", "__folio_lock",
    "__folio_lock_killable", "truncate_inode_pages", "truncate_inode_pages_range", "truncate_inode_pages_final",
    "find_lock_entries", "find_get_entries",
    # fs/dcache.c, fs/inode.c
    "fast_dput", "iput_final", "ihold",
    # kernel/locking/lockdep.c
    "trace_softirqs_on", "trace_softirqs_off", "reacquire_held_locks", "lock_set_class", "__lock_downgrade", "lock_sync",
    # arch/arm64/mm/fault.c
    "do_tag_recovery", "report_tag_fault",
    # lib/string.c, arch/x86/mm/physaddr.c, arch/arm64/mm/physaddr.c
    "strnstr", "strnchrnul", "__phys_addr", "__phys_addr_symbol", "__virt_to_phys",
    # kernel/workqueue.c
    "insert_work", "insert_wq_barrier", "flush_workqueue", "start_flush_work", "flush_delayed_work", "flush_rcu_work",
    "flush_scheduled_work", "flush_work_sync", "work_grab_pending",
    # drivers/usb/core/urb.c, hcd.c
    "usb_kill_anchored_urbs", "usb_poison_anchored_urbs", "usb_unlink_anchored_urbs", "usb_poison_urb", "usb_unlink_urb",
    "usb_hcd_submit_urb", "usb_hcd_unlink_urb",
    # drivers/tty/tty_io.c, drivers/char/hw_random/core.c, drivers/i2c/i2c-core-base.c, drivers/base/core.c
    "tty_unregister_device", "hwrng_unregister", "i2c_del_adapter", "__unregister_client", "device_for_each_child",
    "device_create", "device_create_with_groups", "device_create_groups_vargs",
    # include/linux/seqlock.h, fs/btrfs/ctree.h and messages.c, fs/xfs/xfs_message.c, mm/slub.c,
    # drivers/usb/gadget/udc/dummy_hcd.c
    "seqprop_assert", "assertfail", "btrfs_assertfail", "assfail", "asswarn", "check_object", "dummy_urb_enqueue",
    # kernel/dma/mapping.c
    "__dma_sync_single_for_cpu", "dma_sync_single_for_device", "dma_sync_single_range_for_cpu", "__dma_sync_sg_for_cpu",
    # lib/plist.c
    "plist_add", "plist_del", "plist_requeue", "plist_check_head",
    # lib/ratelimit.c
    "___ratelimit", "__ratelimit",
    # mm/slab.h (and mm/slab.c before 3.x): the free path's lookup of the object's cache
    "cache_from_obj", "virt_to_cache", "warn_free_bad_obj",
    # thread start and syscall entry: arch/x86/entry/entry_64.S, arch/powerpc/kernel/entry_64.S and interrupt.c,
    # arch/arm64/kernel/entry.S, entry-common.c and syscall.c, arch/arm/kernel/entry-common.S, arch/x86/entry/common.c,
    # arch/s390/kernel/syscall.c
    "ret_from_fork", "ret_from_fork_asm", "ret_from_kernel_thread", "el0t_64_sync", "el0t_64_sync_handler", "el0_sync",
    "el0_svc", "el0_svc_common", "do_el0_svc", "invoke_syscall", "el0t_32_sync", "vector_swi", "ret_fast_syscall",
    "system_call_common", "system_call_exception", "do_fast_syscall_32", "do_int80_syscall_32", "entry_INT80_32",
    "__do_syscall",
]


@pytest.mark.parametrize("name", SKIPPED_SINCE_V4)
def test_helpers_that_work_for_their_caller_are_skipped_since_version_4(name: str) -> None:
    assert frames.is_skipped(name)
    assert frames.SKIPPED_SINCE_V4.match(name)  # version 3's culprit stays an alias


@pytest.mark.parametrize("name", [
    "mydrv_atomic64_read", "atomic64", "ext4_test_bit_range", "bitmap_test_bit_set", "mydrv_copyin", "copyin_table",
    "ext4_lock_page_range", "folio_lock_anon_vma_read", "lock_page_memcg", "truncate_mydrv_pages", "ihold_ref",
    "mydrv_fast_dput", "my_insert_work", "insert_work_item", "mydrv_flush_workqueue", "flush_workqueue_prep_pwqs", "mydrv_start_flush_work", "flush_delayed_work_fn", "usb_hcd_giveback_urb",
    "xhci_urb_enqueue", "strnstr_user", "phys_addr_valid", "lock_sync_state", "tty_unregister_driver", "hwrng_register",
    "i2c_del_driver", "mydrv_unregister_client", "device_for_each_child_reverse_mydrv", "mydrv_device_create", "device_create_mydrv_node", "mydrv_assertfail_count", "xfs_assfail_tag", "mydrv_asswarn", "mydrv_dma_sync_for_cpu",
    "check_object_state", "xhci_urb_enqueue_dummy", "mydrv_plist_add", "plist", "ratelimit_state_init", "mydrv_ratelimit",
    "mydrv_ret_from_fork", "el0_svc_mydrv", "invoke_syscall_hook", "kthread", "worker_thread", "el0_da",
    "exit_to_user_mode_prepare", "mydrv_find_first_bit", "find_first_bit_set_range", "ext4_find_next_zero_bit",
    "find_bit_benchmark", "mydrv_cache_from_obj", "cache_from_obj_table", "virt_to_cache_line", "my_virt_to_cache",
    "mydrv_warn_free_bad_obj", "warn_free_bad_obj_count", "__pi_mydrv_copy", "__pi_init", "mydrv__pi_memcpy",
])  # fmt: skip
def test_functions_named_like_those_helpers_are_kept(name: str) -> None:
    assert not frames.is_skipped(name)


@pytest.mark.parametrize("name", ["atomic_long_add", "atomic_long_read", "set_bit", "__clear_bit", "copy_to_iter",
                                  "copy_page_to_iter", "unlock_page", "folio_unlock", "dput", "iput", "usb_kill_urb",
                                  "__queue_work", "strstr", "trace_hardirqs_on"])  # fmt: skip
def test_what_version_3_skipped_already_is_no_version_4_addition(name: str) -> None:
    # A name both versions skip must not be taken for a version-4 addition: its key would gain a false alias.
    assert frames.is_skipped(name) and not frames.SKIPPED_SINCE_V4.match(name)


_WARN_IN_HELPER = _trace(
    "WARNING: CPU: 1 PID: 3120 at lib/debugobjects.c:505 debug_print_object+0x16e/0x250\n"
    "RIP: 0010:debug_print_object+0x16e/0x250",
    "debug_object_activate", "{helper}", "__queue_work", "queue_work_on", "mydrv_kick [mydrv]", "mydrv_ioctl [mydrv]",
)


def test_odebug_warning_through_insert_work_names_the_queuer() -> None:
    # kernel/workqueue.c __queue_work -> insert_work -> debug_work_activate: the work item is the caller's.
    report = analyze(_WARN_IN_HELPER.format(helper="insert_work"))
    assert (report.title, report.function) == ("WARNING: ODEBUG bug in mydrv_kick", "mydrv_kick")


_FAULT_IN_HELPER = _trace(
    "BUG: kernel NULL pointer dereference, address: 0000000000000008\nOops: 0000 [#1] PREEMPT SMP NOPTI\n"
    "RIP: 0010:{helper}+0x1c/0x40",
    "mydrv_fill [mydrv]", "mydrv_read [mydrv]", "vfs_read",
)


@pytest.mark.parametrize("helper", ["atomic64_read", "test_bit", "copyout", "find_lock_entries", "iput_final", "__phys_addr", "_find_first_bit_le"])
def test_fault_in_a_helper_names_its_caller(helper: str) -> None:
    report = analyze(_FAULT_IN_HELPER.format(helper=helper))
    assert report.function == "mydrv_fill"
    assert report.fingerprint_aliases  # version 3 named the helper: its key continues


@pytest.mark.parametrize("helper", ["mydrv_test_bit", "atomic64"])
def test_fault_in_a_function_named_like_a_helper_names_it(helper: str) -> None:
    assert analyze(_FAULT_IN_HELPER.format(helper=helper)).function == helper


# --- the hung-task walk ---------------------------------------------------------------------------------------------

_HUNG = _trace(
    "INFO: task mytool:2290 blocked for more than 122 seconds.",
    "__schedule", "schedule", "{wait}", "mydrv_sync [mydrv]", "mydrv_ioctl [mydrv]",
)


def test_hung_task_in_rtnl_lock_interruptible_is_the_rtnl_bucket() -> None:
    # net/core/rtnetlink.c rtnl_lock_interruptible (6.x) takes rtnl_mutex like rtnl_lock.
    report = analyze(_HUNG.format(wait="mutex_lock_interruptible+0x20/0x40\n rtnl_lock_interruptible"))
    assert (report.title, report.function) == ("INFO: task hung in rtnl_lock", "rtnl_lock")
    assert report.fingerprint_aliases  # version 3 named rtnl_lock_interruptible: its key continues


def test_hung_task_in_another_subsystems_lock_is_no_rtnl_bucket() -> None:
    report = analyze(_HUNG.format(wait="mutex_lock+0x20/0x40\n mydrv_rtnl_lock_interruptible"))
    assert report.function == "mydrv_rtnl_lock_interruptible"


@pytest.mark.parametrize("wait", ["folio_wait_writeback", "folio_wait_stable", "wait_on_page_writeback",
                                  "wait_on_page_locked_killable", "wb_wait_for_completion", "__inode_wait_for_writeback"])
def test_hung_task_in_a_page_or_writeback_wait_names_the_code_that_waits(wait: str) -> None:
    # mm/page-writeback.c folio_wait_writeback -> folio_wait_bit, fs/fs-writeback.c wb_wait_for_completion
    # -> wait_event: the primitives sleep for their caller.
    report = analyze(_HUNG.format(wait=f"io_schedule+0x12/0x40\n {wait}"))
    assert report.function == "mydrv_sync"
    assert report.fingerprint_aliases


@pytest.mark.parametrize("wait", ["mydrv_wait_writeback", "folio_wait_writeback_mydrv"])
def test_hung_task_in_a_driver_wait_names_it(wait: str) -> None:
    assert analyze(_HUNG.format(wait=f"io_schedule+0x12/0x40\n {wait}")).function == wait


def test_hung_task_in_synchronize_rcu_and_srcu_is_one_bucket() -> None:
    for wait in ("synchronize_rcu", "synchronize_srcu", "synchronize_net", "synchronize_rcu_expedited"):
        report = analyze(_HUNG.format(wait=f"wait_for_completion+0x1a/0x30\n {wait}"))
        assert report.function == "synchronize_rcu", wait


# --- the stall walk's anchors ---------------------------------------------------------------------------------------

_SOFT_LOCKUP = _trace(
    "watchdog: BUG: soft lockup - CPU#2 stuck for 23s! [mytool:2290]\nRIP: 0010:proto_spin+0x2c/0x60",
    "proto_poll_once", "{handler}", "{anchor}", "{below}", "do_syscall_64", "entry_SYSCALL_64_after_hwframe",
)


@pytest.mark.parametrize(("anchor", "below"), [
    ("sock_do_ioctl", "sock_ioctl"), ("__sock_release", "sock_close"), ("__sys_connect_file", "__sys_connect"),
    ("vfs_iter_read", "lo_read_simple"), ("blkdev_ioctl", "__x64_sys_ioctl"), ("do_iter_readv_writev", "vfs_writev"),
])  # fmt: skip
def test_soft_lockup_below_a_dispatcher_names_the_handler_it_called(anchor: str, below: str) -> None:
    # net/socket.c sock_do_ioctl calls sock->ops->ioctl, fs/read_write.c vfs_iter_read the file's read_iter, ...
    report = analyze(_SOFT_LOCKUP.format(handler="proto_op", anchor=anchor, below=below))
    assert report.function == "proto_op"
    assert report.fingerprint_aliases  # version 3 walked on to the syscall entry: its key continues


_KTHREAD_LOCKUP = _trace(
    "watchdog: BUG: soft lockup - CPU#2 stuck for 23s! [cpuhp/2:24]\nRIP: 0010:hotplug_spin+0x2c/0x60",
    "hotplug_cpu_online", "cpuhp_invoke_callback", "cpuhp_thread_fun", "{plumbing}", "kthread", "ret_from_fork",
)


def test_soft_lockup_in_a_per_cpu_thread_names_the_thread_function() -> None:
    # kernel/smpboot.c smpboot_thread_fn calls ht->thread_fn (cpuhp_thread_fun) like kthread calls threadfn.
    assert analyze(_KTHREAD_LOCKUP.format(plumbing="smpboot_thread_fn")).function == "cpuhp_thread_fun"


def test_soft_lockup_in_another_thread_function_walks_on_to_kthread() -> None:
    assert analyze(_KTHREAD_LOCKUP.format(plumbing="mydrv_thread_fn")).function == "mydrv_thread_fn"


# --- the suspicious-RCU-usage rows ----------------------------------------------------------------------------------

_RCU_USAGE = _trace(
    "WARNING: suspicious RCU usage\n6.1.0 #1 Not tainted\n-----------------------------\n"
    "kernel/rcu/tree.c:3560 Illegal synchronize_rcu() in RCU read-side critical section!",
    "dump_stack_lvl", "lockdep_rcu_suspicious", "{checker}", "mydrv_teardown [mydrv]", "mydrv_release [mydrv]",
)


@pytest.mark.parametrize("checker", ["synchronize_rcu", "__synchronize_srcu", "synchronize_rcu_expedited"])
def test_illegal_grace_period_wait_names_its_caller(checker: str) -> None:
    # kernel/rcu/tree.c synchronize_rcu: RCU_LOCKDEP_WARN(lock_is_held(&rcu_lock_map) ..., "Illegal synchronize_rcu()
    # in RCU read-side critical section"): the caller waits inside a read-side section.
    report = analyze(_RCU_USAGE.format(checker=checker))
    assert (report.title, report.function) == ("WARNING: suspicious RCU usage in mydrv_teardown", "mydrv_teardown")
    assert report.fingerprint_aliases


def test_suspicious_rcu_usage_in_a_driver_function_names_it() -> None:
    assert analyze(_RCU_USAGE.format(checker="mydrv_synchronize_rcu_list")).function == "mydrv_synchronize_rcu_list"


# Version 5's families (signatures._RCU_USAGE_SKIP): RCU's read-side accessors and entry points, the slab allocator.
RCU_USAGE_SKIPPED_SINCE_V5 = [
    "__in_dev_get_rcu", "dev_get_by_index_rcu", "list_del_rcu", "hlist_add_head_rcu", "__dev_get_by_name_rcu_bh",
    "__rcu_read_lock", "__srcu_read_lock", "srcu_read_lock_held", "call_rcu", "call_srcu", "kfree_rcu_work",
    "kmem_cache_alloc", "kmem_cache_free", "__kmalloc", "kmalloc_trace", "___slab_alloc", "slab_free", "memcg_kmem_get_cache",
]
# A function of other code whose name holds those letters stays a culprit (syzkaller's rule, which skips any name
# holding `rcu`, `kmem` or `slab`, would pass them).
RCU_USAGE_NAMED = ["mydrv_rcu_lookup", "rcutorture_fakewriter", "kmemleak_scan", "mem_cgroup_slab_stats", "mydrv_srcu_sync"]


@pytest.mark.parametrize("checker", RCU_USAGE_SKIPPED_SINCE_V5)
def test_suspicious_rcu_usage_passes_rcu_accessors_and_the_slab_api(checker: str) -> None:
    report = analyze(_RCU_USAGE.format(checker=checker))
    assert (report.title, report.function) == ("WARNING: suspicious RCU usage in mydrv_teardown", "mydrv_teardown")


@pytest.mark.parametrize("checker", RCU_USAGE_NAMED)
def test_suspicious_rcu_usage_names_other_code_holding_those_letters(checker: str) -> None:
    assert analyze(_RCU_USAGE.format(checker=checker)).function == checker


# --- kmemleak and uevents: the hooks and plumbing are skipped, the scanner and a subsystem's callback are not -----

# mm/kmemleak.c's scanner runs by itself (kmemleak_scan_thread -> kmemleak_scan; the debugfs file's kmemleak_write,
# kmemleak_open, kmemleak_seq_*): a loop there is the scanner's.  Its hooks (kmemleak_alloc, kmemleak_free,
# kmemleak_ignore, kmemleak_scan_area, ...) record an object for the slab or driver code that called them.
KMEMLEAK_SCANNER = ["kmemleak_scan", "kmemleak_scan_thread", "kmemleak_write", "kmemleak_open", "kmemleak_seq_show",
                    "kmemleak_seq_next", "kmemleak_do_cleanup"]  # fmt: skip
KMEMLEAK_HOOKS = ["kmemleak_alloc", "kmemleak_alloc_percpu", "kmemleak_vmalloc", "kmemleak_free", "kmemleak_free_part",
                  "kmemleak_ignore", "kmemleak_not_leak", "kmemleak_scan_area", "kmemleak_update_trace", "kmemleak"]  # fmt: skip


# drivers/base/core.c dev_uevent calls the bus's, class's and device type's `.uevent` callback (usb_udc_uevent,
# dmi_dev_uevent, pci_uevent): that subsystem's code, taking its own locks.  lib/kobject_uevent.c (kobject_uevent_env,
# add_uevent_var, uevent_net_*) and drivers/base/core.c's dev_uevent and uevent_show are the plumbing around it.
UEVENT_CALLBACKS = ["usb_udc_uevent", "dmi_dev_uevent", "pci_uevent", "input_dev_uevent", "mydrv_uevent"]
UEVENT_PLUMBING = ["kobject_uevent", "kobject_uevent_env", "add_uevent_var", "dev_uevent", "uevent_show",
                   "uevent_store", "uevent_net_broadcast"]  # fmt: skip


@pytest.mark.parametrize("name", KMEMLEAK_SCANNER + UEVENT_CALLBACKS)
def test_a_frame_unskipped_since_version_4_keeps_version_3_s_key(name: str) -> None:
    assert not frames.is_skipped(name)
    assert frames.UNSKIPPED_SINCE_V4.match(name)  # version 3 skipped it: its culprit stays an alias


@pytest.mark.parametrize("name", KMEMLEAK_HOOKS + UEVENT_PLUMBING)
def test_the_hooks_and_plumbing_beside_them_are_skipped_as_before(name: str) -> None:
    assert frames.is_skipped(name) and not frames.UNSKIPPED_SINCE_V4.match(name)


def test_soft_lockup_in_the_kmemleak_scan_names_the_scanner_not_the_syscall() -> None:
    # stable 4.9.80 "kmemleak: add scheduling point to kmemleak_scan()": `echo scan > /sys/kernel/debug/kmemleak`
    # looped in kmemleak_scan, called by kmemleak_write; full_proxy_write is debugfs's dispatcher (a stall anchor).
    report = analyze((PRODUCTION / "patches" / "stable-4.9.80-kmemleak-scan-soft-lockup.txt").read_bytes())
    assert (report.title, report.function) == ("BUG: soft lockup in kmemleak_write", "kmemleak_write")
    assert _v3_key("BUG: soft lockup in full_proxy_write", ["stall in full_proxy_write"]) in report.fingerprint_aliases


_WARN_IN_SCANNER = _trace(
    "WARNING: CPU: 3 PID: 112 at mm/kmemleak.c:1530 {top}+0x3c/0x4f0\nRIP: 0010:{top}+0x3c/0x4f0",
    "{top}", "kmemleak_scan_thread", "kthread", "ret_from_fork",
)


def test_warning_in_the_kmemleak_scan_names_it_and_keeps_version_3_s_key() -> None:
    report = analyze(_WARN_IN_SCANNER.format(top="kmemleak_scan"))
    assert (report.title, report.function) == ("WARNING in kmemleak_scan", "kmemleak_scan")
    # Version 3 skipped both scanner frames and walked on to the thread plumbing: its key continues.
    assert _v3_key("WARNING in kthread", []) in report.fingerprint_aliases


def test_warning_in_a_kmemleak_hook_still_names_its_caller() -> None:
    report = analyze(_trace(
        "WARNING: CPU: 3 PID: 112 at mm/kmemleak.c:640 kmemleak_alloc+0x3c/0x90\nRIP: 0010:kmemleak_alloc+0x3c/0x90",
        "kmemleak_alloc", "__kmalloc", "mydrv_probe [mydrv]", "platform_probe",
    ))
    assert report.function == "mydrv_probe"


def test_a_deadlock_taken_in_a_uevent_callback_names_it_and_keeps_version_3_s_key() -> None:
    # stable 5.19.8 "usb: gadget: udc: core: fix deadlock in usb_udc_uevent": `udc_lock` taken under kernfs's
    # kn->active (reading the uevent file) in the udc class's uevent callback.
    report = analyze((PRODUCTION / "patches" / "stable-5.19.8-udc-uevent-kn-active-circular-locking.txt").read_bytes())
    assert (report.title, report.function) == ("possible deadlock in usb_udc_uevent", "usb_udc_uevent")
    assert _v3_key("possible deadlock in kernfs_seq_start", []) in report.fingerprint_aliases


# --- entry code: no architecture's is a culprit -----------------------------------------------------------------------

_ENTRY_ONLY_BELOW = (
    "[  982.357308] BUG: scheduling while atomic: kworker/u64:0/9/0x00000002\n"
    "[  982.437941] CPU: 25 PID: 9 Comm: kworker/u64:0 Tainted: G        W         4.18.0-348.el8.x86_64+debug #1\n"
    "[  982.465622] Call Trace:\n"
    "[  982.468355]  dump_stack+0x8e/0xd0\n"
    "[  982.472056]  __schedule_bug.cold.60+0x3a/0x60\n"
    "[  982.476919]  __schedule+0x147b/0x1bc0\n"
    "[  982.490625]  schedule+0xd9/0x250\n"
    "[  982.528355]  usleep_range+0xdd/0x130\n"
    "[  982.537987]  ? mydrv_put_hw_semaphore+0x17/0x60 [mydrv]\n"
    " ...\n"
    "[  982.728975]  ret_from_fork+0x3a/0x50\n"
)


def test_a_quote_cut_above_the_thread_entry_names_no_entry_code() -> None:
    # A commit message's `...` cut every frame between the sleeping primitive and the thread's start: what is left
    # below is ret_from_fork (arch/x86/entry/entry_64.S), which runs no bug's code.
    report = analyze(_ENTRY_ONLY_BELOW)
    assert report.function != "ret_from_fork" and "ret_from_fork" not in report.title
    # Version 3 named it; a walk that then found nothing to blame keeps that key too (culprit._first_culprit).
    assert _v3_key("BUG: scheduling while atomic in ret_from_fork", []) in report.fingerprint_aliases


# --- workqueue dispatch: process_scheduled_works with process_one_work inlined into it ----------------------------


def test_a_stall_in_a_work_item_names_the_work_function_above_process_scheduled_works() -> None:
    # kernel/workqueue.c worker_thread -> process_scheduled_works -> process_one_work (inlined on this arm64 6.6
    # build) -> the work function: process_scheduled_works is the dispatcher, as process_one_work is when printed.
    # stable 6.6.102 "net: usbnet: Avoid potential RCU stall on LINK_CHANGE event": the expedited stall's walk past
    # the timer interrupt reaches the interrupted work.
    log = (PRODUCTION / "patches" / "stable-usbnet-link-change-rx-submit-arm64-expedited-rcu-stall.txt").read_text()
    inlined = analyze(log)
    printed = analyze(log.replace("process_scheduled_works+", "process_one_work+"))
    assert (inlined.title, inlined.function) == ("INFO: rcu detected stall in usbnet_deferred_kevent", "usbnet_deferred_kevent")
    assert (inlined.title, inlined.fingerprint) == (printed.title, printed.fingerprint)
    # Version 3 walked on to worker_thread and named the frame above it: its key continues.
    assert _v3_key("INFO: rcu detected stall in process_scheduled_works", ["stall in process_scheduled_works"]) in (
        inlined.fingerprint_aliases)


# mm/slab.h cache_from_obj: `WARN_ONCE(cachep && cachep != s, "%s: Wrong slab cache. %s but object is from %s\n", ...)`,
# out of line in Debian's 6.1 amd64 build (the lab's deb12-6.1 LKDTM SLAB_FREE_CROSS runs), inlined into
# kmem_cache_free in 6.12's; virt_to_cache's `Object is not a Slab page!` likewise (inlined into kfree in syzkaller's
# report 474, which syzkaller titles by kfree's caller).
def _slab_lookup_warn(site: str, *called: str) -> str:
    return _trace(
        f"kmem_cache_free: Wrong slab cache. mydrv-a but object is from mydrv-b\n"
        f"WARNING: CPU: 0 PID: 1 at mm/slab.h:665 {site}+0xa1/0x120\nRIP: 0010:{site}+0xa1/0x120",
        *called, "mydrv_release [mydrv]", "mydrv_close [mydrv]", "__fput",
    )


@pytest.mark.parametrize(("site", "called"), [
    ("cache_from_obj", ("kmem_cache_free",)), ("virt_to_cache", ("kfree",)), ("kmem_cache_free", ()),
    ("warn_free_bad_obj", ("kmem_cache_free",)),
])  # fmt: skip
def test_a_warn_in_the_slab_free_lookup_names_the_code_that_freed(site: str, called: tuple[str, ...]) -> None:
    report = analyze(_slab_lookup_warn(site, *called))
    assert (report.title, report.function) == ("WARNING in mydrv_release", "mydrv_release")
    # Version 3 named the out-of-line lookup: its key continues; the inlined one it already skipped.
    assert (_v3_key(f"WARNING in {site}", []) in report.fingerprint_aliases) == (site != "kmem_cache_free")


def test_a_warn_in_a_driver_function_named_like_the_lookup_names_it() -> None:
    report = analyze(_slab_lookup_warn("mydrv_cache_from_obj"))
    assert report.function == "mydrv_cache_from_obj"


# arm64 names its string routines by their position-independent alias (arch/arm64/lib/memcpy.S
# `SYM_FUNC_START(__pi_memcpy_generic)`): a copy faulting there is its caller's (6.14+ traces: `pc :
# __pi_memcpy_generic+0x110/0x22c`, `lr : rproc_start+0x88/0x1e0`; the lab's sid-7.2-arm64 WRITE_KERN runs).
@pytest.mark.parametrize("name", ["__pi_memcpy_generic", "__pi_memset_generic", "__pi_memmove", "__pi_strnlen",
                                  "__pi_strlen", "__pi___memcpy"])  # fmt: skip
def test_arm64_position_independent_string_routines_are_skipped(name: str) -> None:
    assert frames.is_skipped(name)
