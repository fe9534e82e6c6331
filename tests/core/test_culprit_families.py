"""Culprit and fatal-event families that follow what the kernel prints (issue 13 item 3).

Each test names the kernel code that prints the lines the rule reads.
"""

from __future__ import annotations

import hashlib

import pytest

from kcrashd.core import analyze, frames
from kcrashd.core.culprit import past_its_symbol
from kcrashd.core.fingerprint import fingerprint_title
from tests.core.golden import CORPUS

EDGE = CORPUS / "edge"
PRODUCTION = CORPUS / "production"


def test_the_report_the_panic_line_names_wins_over_an_earlier_stall() -> None:
    # kernel/watchdog.c watchdog_timer_fn: panic("softlockup: hung tasks") right after its report;
    # the RCU stall printed before it on the same spinning CPU was survived.
    report = analyze((EDGE / "rcu-stall-then-softlockup-panic.log").read_bytes())
    assert report.kind == "soft-lockup"
    assert report.function == "lab_trigger_rcu_stall_lockup"


def test_self_detected_rcu_stall_names_the_interrupted_pc() -> None:
    # kernel/rcu/tree_stall.h print_cpu_stall dumps the registers the timer interrupt saved.
    text = (EDGE / "rcu-stall-then-softlockup-panic.log").read_text()
    stall_only = text.split("watchdog: BUG: soft lockup")[0]
    report = analyze(stall_only)
    assert report.kind == "rcu-stall"
    assert report.function == "lab_trigger_rcu_stall_lockup"


def test_bare_pc_falls_back_to_the_module_question_frame() -> None:
    # RIP: 0010:0xffff... (a jump into data): the caller's return address is the first `?` frame.
    report = analyze((EDGE / "exec-nx.log").read_bytes())
    assert report.function == "lab_trigger_exec_nx"
    assert "corrupted" not in report.title


def test_corrupted_stack_end_names_the_task_code_below_the_scheduler() -> None:
    # kernel/sched/core.c schedule_debug panics inside schedule() called from msleep.
    report = analyze((EDGE / "stack-end-msleep.log").read_bytes())
    assert report.kind == "stack-overflow"
    assert report.function == "lab_trigger_corrupted_stack_end"


def test_guard_page_overflow_keeps_its_own_signature() -> None:
    # Negative sample of the stack-end row: a guard-page overflow is not a corrupted stack end.
    log = (CORPUS / "lab" / "deb13-6.12_stack-overflow_run2" / "vmcore-dmesg.txt").read_bytes()
    report = analyze(log)
    assert report.signature == "stack-overflow"


def test_pasted_fragment_names_the_pc_function() -> None:
    fragment = (
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n"
        "IP: [<ffffffffa0123456>] mydrv_poll+0x16/0x40 [mydrv]\n"
    )
    report = analyze(fragment)
    assert report.function == "mydrv_poll"


def test_old_eip_is_at_line_names_the_function_when_every_frame_is_questioned() -> None:
    # 2.6-era x86_32 show_regs: `EIP is at %s`; the trace is all `?` frames.
    report = analyze((PRODUCTION / "abrt" / "oops_no_reliable_frame.txt").read_bytes())
    assert report.function == "radeon_cp_init_ring_buffer"


def test_warn_site_names_the_function_when_every_frame_is_questioned() -> None:
    # kernel/panic.c __warn prints `at %s:%d %pS`: the WARN site.
    report = analyze((PRODUCTION / "kernel-docs" / "bug-hunting-warning.txt").read_bytes())
    assert report.title == "WARNING in module_put"


def test_soft_lockup_spinning_in_a_lock_names_the_lock_taker() -> None:
    # The RIP (watchdog_timer_fn -> show_regs) is the rwlock slowpath (kernel/locking/qrwlock.c): the
    # first frame outside the kernel's lock primitives took the lock, even a subsystem's own lock
    # function (fs/btrfs/locking.c btrfs_tree_read_lock -> read_lock).
    text = (PRODUCTION / "telemetrics-client" / "soft_lockup.txt").read_text()
    second = text[text.rindex("\n", 0, text.index("BUG: soft lockup - CPU#9")) + 1 :]
    report = analyze(second)
    assert report.function == "btrfs_tree_read_lock"


_BTRFS_TRACE = (
    "[   50.000010] Call Trace:\n"
    "[   50.000011]  [<ffffffffa04fdceb>] btrfs_tree_read_lock+0x6b/0x140 [btrfs]\n"
    "[   50.000012]  [<ffffffffa049b7ab>] btrfs_read_lock_root_node+0x3b/0x50 [btrfs]\n"
    "[   50.000013]  [<ffffffffa04a087e>] btrfs_search_slot+0x52e/0xa50 [btrfs]\n"
    "[   50.000014]  [<ffffffff8121989c>] SyS_fgetxattr+0x8c/0xd0\n"
)


def test_soft_lockup_in_a_subsystem_lock_function_names_it() -> None:
    # The PC in the subsystem's lock function itself: the same lock taker as when the CPU is caught in
    # the kernel primitive it calls.
    stall = (
        "[   50.000000] BUG: soft lockup - CPU#8 stuck for 22s! [ceph-osd:12347]\n"
        "[   50.000001] RIP: 0010:[<ffffffffa04fdc00>]  [<ffffffffa04fdc00>] btrfs_tree_read_lock+0x20/0x140 [btrfs]\n"
        + "".join(line + "\n" for line in _BTRFS_TRACE.splitlines() if "btrfs_tree_read_lock" not in line)
    )
    assert analyze(stall).function == "btrfs_tree_read_lock"


def test_subsystem_lock_function_is_skipped_where_no_cpu_spins_in_a_lock() -> None:
    # Negative: a WARN()'s trace passes over the lock function to its caller.
    warn = (
        "[   50.000000] WARNING: CPU: 1 PID: 7 at kernel/locking/qrwlock.c:50 queued_read_lock_slowpath+0x86/0x90\n"
        + _BTRFS_TRACE
    )
    assert analyze(warn).function == "btrfs_read_lock_root_node"


def test_dma_debug_checker_names_the_driver_call() -> None:
    # kernel/dma/debug.c check_unmap WARNs about the driver's dma_free_coherent (dma-mapping.h): the title is the
    # check's (syzkaller's), the driver is the function and the key (signatures.py warn-dma-debug).
    report = analyze((PRODUCTION / "abrt" / "oops-kernel-3.x.x.txt").read_bytes())
    assert (report.title, report.function) == ("WARNING in check_unmap", "ohci_enable")


def test_string_duplicating_helper_names_its_user() -> None:
    # mm/util.c strndup_user -> memdup_user copies on behalf of copy_mount_string.
    report = analyze((PRODUCTION / "lkp-tests" / "dmesg-030.txt").read_bytes())
    assert report.function == "copy_mount_string"


def test_lockdep_and_percpu_allocator_internals_are_skipped() -> None:
    # kernel/locking/lockdep.c mark_irqflags and mm/percpu.c __alloc_percpu are not the culprit.
    report = analyze((PRODUCTION / "satyr" / "gitlog-27.txt").read_bytes())
    assert report.function == "schedule_on_each_cpu"


@pytest.mark.parametrize(
    ("path", "function"),
    [
        # scripts/decode_stacktrace.sh output: `EIP: balance_push (kernel/sched/core.c:7244)`.
        ("lkp-tests/calltrace-dmesg-009.txt", "balance_push"),
        # klogd's translation `EIP: 0010:[oops:_oops+16/3868]` (Documentation/admin-guide/bug-hunting.rst).
        ("kernel-docs/bug-hunting-klogd-paging.txt", "_oops"),
    ],
)
def test_pc_lines_in_other_notations_name_the_function(path: str, function: str) -> None:
    assert analyze((PRODUCTION / path).read_bytes()).function == function


def test_hard_lockup_carried_by_an_old_warn_is_the_hard_lockup() -> None:
    # 3.x kernel/watchdog.c: WARN(1, "Watchdog detected hard LOCKUP on cpu %d"); the interrupted
    # code follows the NMI stack's ` <<EOE>> ` marker (arch/x86/kernel/dumpstack_64.c).
    report = analyze((PRODUCTION / "abrt" / "nmi_oops_hash.txt").read_bytes())
    assert (report.kind, report.function) == ("hard-lockup", "account_idle_ticks")


@pytest.mark.parametrize(
    ("path", "title"),
    [
        # mm/slub.c check_bytes_and_report: the object was written after `INFO: Freed in` freed it.
        ("satyr/19.txt", "BUG: Poison overwritten in __mpol_put"),
        ("satyr/gitlog-30.txt", "BUG: Poison overwritten in scsi_host_dev_release"),
        # kmem_cache_close: the caller of kmem_cache_destroy left objects behind.
        ("satyr/gitlog-29.txt", "BUG: Objects remaining on kmem_cache_close() in sas_class_exit"),
        # A redzone checked when the object is freed: the freeing trace, not the `Freed in` of the object's earlier
        # lifetime (mm/slub.c print_track without `INFO: ` since 2021).
        ("patches/stable-6.1.21-s390-iucv-cpu-dead-kmalloc-redzone.txt", "BUG: kmalloc Redzone overwritten in iucv_cpu_dead"),
    ],
)
def test_slub_debug_reports(path: str, title: str) -> None:
    report = analyze((PRODUCTION / path).read_bytes())
    assert (report.title, report.kind) == (title, "bug")


def test_slub_phrase_in_ordinary_text_is_no_crash() -> None:
    report = analyze("[   13.120000] kmemleak: 12 Objects remaining to scan after the first pass\n")
    assert report.kind == "none"


def test_lone_slub_allocated_line_keeps_its_own_report() -> None:
    # After dropped messages only `INFO: Allocated in` is left: it is still reported (info-allocated).
    line = "** 4491 printk messages dropped ** [   50.750742] INFO: Allocated in fasync_helper+0x29/0x90 age=1 cpu=1 pid=6024\n"
    assert analyze(line).signature == "info-allocated"


def test_kfence_invalid_free_is_a_kfence_report() -> None:
    report = analyze((EDGE / "kfence-invalid-free.log").read_bytes())
    assert (report.kind, report.function) == ("kfence", "ringbuf_destroy")
    assert not report.corrupted


def test_pr_warn_line_is_not_the_report_before_a_real_warn() -> None:
    # `WARNING: strange, CPU MTRRs all blank?` is a pr_warn; the WARN() after it prints its site.
    report = analyze((PRODUCTION / "telemetrics-client" / "two_warnings.txt").read_bytes())
    assert report.title == "WARNING in mtrr_trim_uncached_memory"


def test_pr_warn_line_alone_is_still_reported() -> None:
    report = analyze("[    1.000000] WARNING: strange, CPU MTRRs all blank?\n")
    assert report.signature == "warning-text"


def test_workqueue_lockup_is_a_stuck_work_report() -> None:
    report = analyze((EDGE / "workqueue-lockup.log").read_bytes())
    assert (report.title, report.kind) == ("BUG: workqueue lockup", "hung-task")


def test_arm_null_pointer_dereference_is_a_null_deref() -> None:
    report = analyze((PRODUCTION / "satyr" / "arm-hung-task-oops-2.txt").read_bytes())
    assert (report.kind, report.function) == ("null-deref", "shmem_getpage_gfp")


def test_list_debug_warning_is_list_corruption() -> None:
    report = analyze((PRODUCTION / "lkp-tests" / "dmesg-101.txt").read_bytes())
    assert (report.title, report.kind) == ("WARNING in device_shutdown", "list-corruption")


@pytest.mark.parametrize(
    ("path", "title"),
    [
        # 2.6.38-3.2 kernel/lockdep.c: `[ INFO: suspicious rcu_dereference_check() usage. ]`
        ("satyr/gitlog-18.txt", "INFO: suspicious RCU usage in sta_rx_agg_session_timer_expired"),
        # 3.x kernel/lockdep.c lockdep_sys_exit: `[ BUG: lock held when returning to user space! ]`
        ("satyr/gitlog-23.txt", "BUG: lock held when returning to user space in l2tp_ip_sendmsg"),
    ],
)
def test_old_bracketed_lockdep_headers(path: str, title: str) -> None:
    report = analyze((PRODUCTION / path).read_bytes())
    assert (report.title, report.kind) == (title, "lockdep")


def test_percpu_counter_and_lockdep_state_checks_name_the_lock_user() -> None:
    # lib/percpu_counter.c takes the lock for __sk_mem_schedule; lockdep.c valid_state only reports.
    report = analyze((PRODUCTION / "satyr" / "gitlog-24.txt").read_bytes())
    assert report.function == "__sk_mem_schedule"


def test_arm64_serror_panic_names_the_interrupted_code() -> None:
    # arch/arm64/kernel/traps.c arm64_serror_panic (noreturn) -> nmi_panic; below el1h_64_error is
    # the code the SError interrupted.
    report = analyze((PRODUCTION / "chromiumos" / "TEST_ARM64_SERROR.txt").read_bytes())
    assert report.function == "__gsi_channel_start"


def test_arm64_bare_pc_names_the_link_register_function() -> None:
    # `pc : 0x0` (a call through a NULL pointer): `lr :` is the return address into the caller.
    log = CORPUS / "lab" / "deb12-6.1-arm64_null-fn-call_run1" / "console.log"
    assert analyze(log.read_bytes()).function == "lab_trigger_null_fn_call"


# --- Sleeping in atomic context (kernel/sched/core.c schedule_debug -> __schedule_bug) --------------
# With panic_on_warn the report is `BUG: scheduling while atomic: %s/%d/0x%08x`, then panic()'s own
# trace, which runs up through the sleep primitive the task called (here msleep -> schedule_timeout).
_SCHED_ATOMIC = (
    "[    5.903306] BUG: scheduling while atomic: init/1/0x00000202\n"
    "[    5.909515] Modules linked in: mydrv(OE) 9p 9pnet_virtio 9pnet netfs\n"
    "[    5.909970] Kernel panic - not syncing: scheduling while atomic: panic_on_warn set ...\n"
    "[    5.910360] CPU: 0 UID: 0 PID: 1 Comm: init Tainted: G           OE      6.12.118+deb13-amd64 #1\n"
    "[    5.910790] Call Trace:\n"
    "[    5.911308]  <TASK>\n"
    "[    5.911432]  dump_stack_lvl+0x5d/0x80\n"
    "[    5.911693]  vpanic+0xc5/0x283\n"
    "[    5.911726]  panic+0x6c/0x6c\n"
    "[    5.911757]  check_panic_on_warn.cold+0xf/0x1e\n"
    "[    5.911804]  __schedule_bug.cold+0x3d/0x4e\n"
    "[    5.911837]  __schedule+0x999/0xbe0\n"
    "[    5.911873]  schedule+0x27/0xc0\n"
    "[    5.911900]  schedule_timeout+0x9e/0x160\n"
    "[    5.911937]  ? __pfx_process_timeout+0x10/0x10\n"
    "[    5.911978]  msleep+0x2b/0x40\n"
    "[    5.912011]  mydrv_reset_hw+0x1f/0x40 [mydrv]\n"
    "[    5.912129]  mydrv_write+0x68/0xa0 [mydrv]\n"
    "[    5.912168]  proc_reg_write+0x5a/0xa0\n"
    "[    5.912201]  vfs_write+0xf8/0x440\n"
    "[    5.912237]  ksys_write+0x6d/0xf0\n"
    "[    5.912265]  do_syscall_64+0x87/0x1b0\n"
    "[    5.912373]  entry_SYSCALL_64_after_hwframe+0x76/0x7e\n"
)


def test_scheduling_while_atomic_names_the_code_that_chose_to_sleep() -> None:
    report = analyze(_SCHED_ATOMIC)
    assert report.kind == "atomic-sleep"
    assert report.title == "BUG: scheduling while atomic in mydrv_reset_hw"


def test_scheduling_while_atomic_through_a_mutex_or_a_completion_too() -> None:
    for sleep in ("mutex_lock+0x1f/0x30", "wait_for_completion+0x8c/0x100", "usleep_range_state+0x60/0x90"):
        report = analyze(_SCHED_ATOMIC.replace("msleep+0x2b/0x40", sleep))
        assert report.function == "mydrv_reset_hw", sleep


def test_scheduling_while_atomic_keeps_a_direct_caller_of_schedule() -> None:
    # Negative sample: code that calls schedule() itself (the return-to-user path) is the culprit.
    log = _SCHED_ATOMIC.replace("  schedule_timeout+0x9e/0x160\n", "  exit_to_user_mode_prepare+0x9e/0x160\n")
    log = log.replace("  msleep+0x2b/0x40\n", "")
    assert analyze(log).function == "exit_to_user_mode_prepare"


# --- SLUB debugging, 6.11+ (mm/slub.c check_bytes_and_report `[%s overwritten] 0x%p-0x%p @offset=%tu.
# First byte 0x%x instead of 0x%x`, then object_err's `BUG <cache> (<taint>): Object corrupt`); with
# panic_on_taint the only trace is panic()'s, called by kernel/panic.c add_taint for the SLUB check.
_SLUB_BRACKET = (
    "[    5.577691] [Right Redzone overwritten] 0xffff8e32381af080-0xffff8e32381af083 @offset=128. First byte 0x41 instead of 0xcc\n"
    "[    5.578550] =============================================================================\n"
    "[    5.579031] BUG kmalloc-64 (Tainted: G           OE     ): Object corrupt\n"
    "[    5.579288] -----------------------------------------------------------------------------\n"
    "[    5.579776] Slab 0xfffff39940e06bc0 objects=21 used=9 fp=0xffff8e32381af880 flags=0xfffffc0000200(workingset|node=0|zone=1)\n"
    "[    5.580424] Object 0xffff8e32381af040 @offset=64 fp=0x0f96033f438a5e91\n"
    "[    5.583848] Redzone  ffff8e32381af080: 41 41 41 41 cc cc cc cc                          AAAA....\n"
    "[    5.584635] Disabling lock debugging due to kernel taint\n"
    "[    5.584831] Kernel panic - not syncing: panic_on_taint set ...\n"
    "[    5.585067] CPU: 0 UID: 0 PID: 1 Comm: init Tainted: G    B      OE      6.12.118+deb13-amd64 #1\n"
    "[    5.585486] Call Trace:\n"
    "[    5.586179]  <TASK>\n"
    "[    5.586427]  dump_stack_lvl+0x5d/0x80\n"
    "[    5.586790]  vpanic+0xc5/0x283\n"
    "[    5.586921]  panic+0x6c/0x6c\n"
    "[    5.587041]  add_taint.cold+0x26/0x26\n"
    "[    5.587214]  object_err+0x1d2/0x1df\n"
    "[    5.587358]  check_bytes_and_report.cold+0x66/0x84\n"
    "[    5.587540]  check_object+0x1a4/0x310\n"
    "[    5.587688]  free_to_partial_list+0x1cd/0x490\n"
    "[    5.588397]  kfree+0x2ea/0x350\n"
    "[    5.588521]  mydrv_fill_ring+0x40/0x50 [mydrv]\n"
    "[    5.588766]  mydrv_write+0x68/0xa0 [mydrv]\n"
    "[    5.589080]  vfs_write+0xf8/0x440\n"
    "[    5.589544]  do_syscall_64+0x87/0x1b0\n"
)


def test_a_bracketed_slub_redzone_line_starts_the_slub_report() -> None:
    report = analyze(_SLUB_BRACKET)
    assert report.signature == "slub-debug"
    assert report.title == "BUG: Right Redzone overwritten in mydrv_fill_ring"


def test_a_bracketed_phrase_without_the_address_range_is_no_slub_report() -> None:
    # Negative sample: a driver's own `[... overwritten]` notice has no `0x..-0x..` range after it.
    assert analyze("[    3.1] [Right Redzone overwritten] by firmware update, retrying\n").kind == "none"


def test_panic_on_taint_blames_the_caller_of_add_taint() -> None:
    # Without the SLUB lines only the panic remains: add_taint reported for its caller, it is no culprit.
    panic_only = _SLUB_BRACKET.split("[    5.584831] ")[1]
    assert analyze("[    5.584831] " + panic_only).function != "add_taint"


# --- A call to a __noreturn hardening report that ends its caller (arm64 lays the fortify check's
# cold path out last): the return address is the next function's start, `f+0x0/`, never the culprit.
_ARM64_FORTIFY = (
    "[    3.256747] detected buffer overflow in memcpy\n"
    "[    3.258439] ------------[ cut here ]------------\n"
    "[    3.258511] kernel BUG at lib/string_helpers.c:1027!\n"
    "[    3.258763] Internal error: Oops - BUG: 00000000f2000800 [#1] SMP\n"
    "[    3.258964] Modules linked in: mydrv(OE) 9p fscache netfs\n"
    "[    3.262064] CPU: 0 PID: 1 Comm: init Tainted: G           OE      6.1.0-57-arm64 #1  Debian 6.1.192-3\n"
    "[    3.262619] pc : fortify_panic+0x1c/0x20\n"
    "[    3.262742] lr : fortify_panic+0x1c/0x20\n"
    "[    3.262789] sp : ffff80000800ba80\n"
    "[    3.264023] Call trace:\n"
    "[    3.264272]  fortify_panic+0x1c/0x20\n"
    "[    3.264598]  mydrv_reset_ring+0x0/0x60 [mydrv]\n"
    "[    3.265164]  mydrv_ioctl+0x78/0xbc [mydrv]\n"
    "[    3.265287]  vfs_ioctl+0xdc/0x3a0\n"
    "[    3.265415]  __arm64_sys_ioctl+0x24/0x30\n"
    "[    3.265459]  invoke_syscall+0x68/0xe0\n"
)


def test_a_fortify_panic_ending_its_caller_does_not_blame_the_next_function() -> None:
    report = analyze(_ARM64_FORTIFY)
    assert report.kind == "bug"
    assert report.function == "mydrv_ioctl"


def test_a_frame_inside_its_function_below_fortify_panic_is_the_culprit() -> None:
    # Negative sample: the return address lies inside the caller (x86, or a check mid-function).
    log = _ARM64_FORTIFY.replace("mydrv_reset_ring+0x0/0x60", "mydrv_fill_ring.cold+0xf/0xf")
    assert analyze(log).function == "mydrv_fill_ring"


# --- a fault on fetching an instruction: the PC is where the kernel jumped, not code that ran -----------------------

_EXEC_DATA = (
    "[    9.826429] lkdtm: attempting bad execution at ffffffffc04a3920\n"
    "[    9.827257] kernel tried to execute NX-protected page - exploit attempt? (uid: 0)\n"
    "[    9.827612] BUG: unable to handle page fault for address: ffffffffc04a3920\n"
    "[    9.827930] #PF: supervisor instruction fetch in kernel mode\n"
    "[    9.828241] #PF: error_code(0x0011) - permissions violation\n"
    "[    9.834227] Oops: 0011 [#1] PREEMPT SMP NOPTI\n"
    "[    9.834655] CPU: 0 PID: 1 Comm: init Tainted: G           OE      6.1.0-57-amd64 #1  Debian 6.1.192-3\n"
    "[    9.835832] RIP: 0010:data_area+0x0/0xffffffffffff76e0 [lkdtm]\n"
    "[    9.852865] RSP: 0018:ffffd08380013d70 EFLAGS: 00000246\n"
    "[    9.859915] CR2: ffffffffc04a3920 CR3: 0000000001062000 CR4: 0000000000750ef0\n"
    "[    9.860491] Call Trace:\n"
    "[    9.861025]  <TASK>\n"
    "[    9.861226]  ? execute_location+0x49/0x57 [lkdtm]\n"
    "[    9.861450]  ? direct_entry.cold+0x18/0x24 [lkdtm]\n"
    "[    9.865740]  ? full_proxy_write+0x53/0x80\n"
    "[    9.865989]  ? vfs_write+0xc7/0x3f0\n"
    "[    9.866411]  ? ksys_write+0x6b/0xf0\n"
    "[    9.867100]  </TASK>\n"
)


def test_an_instruction_fetch_from_a_data_symbol_names_the_code_that_jumped_there() -> None:
    # LKDTM's EXEC_DATA (drivers/misc/lkdtm/perms.c execute_location calls a copy of a function in data_area): the
    # RIP names the data symbol the address falls in; the caller's return address is the `?` frame below.
    report = analyze(_EXEC_DATA)
    assert (report.title, report.function) == ("BUG: unable to handle kernel paging request in execute_location",
                                               "execute_location")  # fmt: skip
    assert report.fingerprint_aliases  # version 3 named data_area: its key continues


def test_a_data_fault_at_a_symbol_still_names_the_pc() -> None:
    # Negative sample: a read or write fault (not an instruction fetch) faulted in the code the RIP names.
    log = _EXEC_DATA.replace("supervisor instruction fetch", "supervisor read access").replace(
        "kernel tried to execute NX-protected page - exploit attempt? (uid: 0)", "mydrv: reading")
    assert analyze(log).function == "data_area"


_ARM64_EXEC_DATA = (
    "[    2.450425] Unable to handle kernel execute from non-executable memory at virtual address ffffb1aaf3b7bc10\n"
    "[    2.450816] Mem abort info:\n"
    "[    2.450878]   ESR = 0x000000008600000f\n"
    "[    2.450965]   EC = 0x21: IABT (current EL), IL = 32 bits\n"
    "[    2.451185]   FSC = 0x0f: level 3 permission fault\n"
    "[    2.453319] Internal error: Oops: 000000008600000f [#1] SMP\n"
    "[    2.454619] CPU: 0 PID: 1 Comm: init Tainted: G           OE      6.1.0-57-arm64 #1  Debian 6.1.192-3\n"
    "[    2.455184] pc : lkdtm_FORTIFY_STR_OBJECT+0x7ea8/0x1298 [lkdtm]\n"
    "[    2.456247] lr : execute_location+0x74/0x94 [lkdtm]\n"
    "[    2.456720] sp : ffff80000800b860\n"
    "[    2.460187] Call trace:\n"
    "[    2.460397]  lkdtm_FORTIFY_STR_OBJECT+0x7ea8/0x1298 [lkdtm]\n"
    "[    2.460679]  lkdtm_EXEC_DATA+0x24/0x30 [lkdtm]\n"
    "[    2.460805]  lkdtm_do_action+0x24/0x40 [lkdtm]\n"
    "[    2.460895]  direct_entry+0x158/0x170 [lkdtm]\n"
)


def test_an_arm64_instruction_abort_names_the_link_register_s_function() -> None:
    # arch/arm64/mm/fault.c: the pc is the address the branch went to (named after the nearest text symbol, far past
    # its size); `lr :` is the return address into the function that branched (the `blr` saved none on the stack).
    report = analyze(_ARM64_EXEC_DATA)
    assert report.function == "execute_location"
    assert report.fingerprint_aliases  # version 3 named the pc's symbol: its key continues


def test_an_arm64_data_abort_still_names_the_pc() -> None:
    # Negative sample: a data abort (EC 0x25, DABT) faulted in the function its pc names.
    log = _ARM64_EXEC_DATA.replace("execute from non-executable memory", "paging request").replace(
        "EC = 0x21: IABT (current EL)", "EC = 0x25: DABT (current EL)").replace("+0x7ea8/0x1298", "+0x28/0x1298")
    assert analyze(log).function == "lkdtm_FORTIFY_STR_OBJECT"


# powerpc's jump into module data (LKDTM's EXEC_DATA on deb12-6.1-ppc64el, lab corpus): the NIP names the nearest
# text symbol below the address, far past its size; LR is the return address into the function that branched.
_PPC_EXEC_DATA = (
    "[    5.451084] kernel tried to execute exec-protected page (c0080000008e2208) - exploit attempt? (uid: 0)\n"
    "[    5.451387] BUG: Unable to handle kernel instruction fetch\n"
    "[    5.451425] Faulting instruction address: 0xc0080000008e2208\n"
    "[    5.451672] Oops: Kernel access of bad area, sig: 11 [#1]\n"
    "[    5.452524] NIP:  c0080000008e2208 LR: c0080000008b4ed0 CTR: c0080000008e2208\n"
    "[    5.453086] NIP [c0080000008e2208] lkdtm_usercopy_exit+0x2b80c/0x9604 [lkdtm]\n"
    "[    5.453530] LR [c0080000008b4ed0] execute_location+0xcc/0x104 [lkdtm]\n"
    "[    5.453709] Call Trace:\n"
    "[    5.453779] [c000000003a1b830] [c0080000008b4ebc] execute_location+0xb8/0x104 [lkdtm] (unreliable)\n"
    "[    5.453954] [c000000003a1b8b0] [c0080000008b040c] lkdtm_do_action+0x44/0x80 [lkdtm]\n"
    "[    5.454013] [c000000003a1b8d0] [c0080000008b06d4] direct_entry+0x14c/0x170 [lkdtm]\n"
)
# s390's (deb12-6.1-s390x): the PSW names such a symbol; the Last Breaking-Event-Address the branch that went there.
_S390_EXEC_DATA = (
    "[    4.818522] Unable to handle kernel pointer dereference in virtual kernel address space\n"
    "[    4.818544] Failing address: 000003ff7fdcb000 TEID: 000003ff7fdcb887\n"
    "[    4.818921] Oops: 0004 ilc:1 [#1] SMP \n"
    "[    4.821864] Krnl PSW : 0704c00180000000 000003ff7fdcba78 (lkdtm_FORTIFY_STR_OBJECT+0x6e40/0x3c8 [lkdtm])\n"
    "[    4.823040] Call Trace:\n"
    "[    4.827342]  [<000003ff7fdcba78>] lkdtm_FORTIFY_STR_OBJECT+0x6e40/0x3c8 [lkdtm] \n"
    "[    4.827500] ([<000003ff7fdc3d70>] execute_location+0x58/0x70 [lkdtm])\n"
    "[    4.827537]  [<000003ff7fdc0972>] direct_entry+0x142/0x160 [lkdtm] \n"
    "[    4.827692] Last Breaking-Event-Address:\n"
    "[    4.827702]  [<000003ff7fdc3d70>] execute_location+0x58/0x70 [lkdtm]\n"
)


@pytest.mark.parametrize("log", [_PPC_EXEC_DATA, _S390_EXEC_DATA])
def test_a_pc_past_its_symbol_names_the_code_that_branched_there(log: str) -> None:
    report = analyze(log)
    assert report.function == "execute_location"
    assert report.fingerprint_aliases  # version 3 named the PC's symbol: its key continues


# powerpc's data access fault (arch/powerpc/mm/fault.c __bad_page_fault `BUG: Unable to handle kernel data access on
# read at 0x%08lx`): the NIP is code that ran.
_PPC_DATA_ACCESS = _PPC_EXEC_DATA.replace(
    "[    5.451084] kernel tried to execute exec-protected page (c0080000008e2208) - exploit attempt? (uid: 0)\n", ""
).replace("instruction fetch", "data access on read at 0xc0080000008e2208")


@pytest.mark.parametrize("log", [_PPC_DATA_ACCESS, _S390_EXEC_DATA])
def test_a_pc_inside_its_symbol_still_names_it(log: str) -> None:
    # Negative sample: an offset below the symbol's size is an address in that function.
    inside = log.replace("+0x2b80c/0x9604", "+0x80c/0x9604").replace("+0x6e40/0x3c8", "+0x40/0x3c8")
    assert analyze(inside).function in ("lkdtm_usercopy_exit", "lkdtm_FORTIFY_STR_OBJECT")


def test_a_powerpc_instruction_fetch_names_the_link_register_s_function_even_inside_a_symbol() -> None:
    # Since 7.x module data has kallsyms names (sid-7.2-ppc64el's EXEC_DATA: `NIP [..] data_area+0x0/0x40 [lkdtm]`):
    # an instruction fetch fault's NIP is the address jumped to whatever it is named, as x86's and arm64's PC.
    report = analyze(_PPC_EXEC_DATA.replace("lkdtm_usercopy_exit+0x2b80c/0x9604", "data_area+0x0/0x40"))
    assert (report.title, report.function) == ("BUG: unable to handle kernel paging request in execute_location",
                                               "execute_location")



@pytest.mark.parametrize(
    ("line", "past"),
    [
        ("NIP [c0080000008e2208] lkdtm_usercopy_exit+0x2b80c/0x9604 [lkdtm]", True),
        ("Krnl PSW : 0704c00180000000 000003ff7fdcba78 (f+0x3c8/0x3c8 [m])", True),  # one past the end
        ("pc : lkdtm_FORTIFY_STR_OBJECT+0x7ea8/0x1298 [lkdtm]", True),
        ("RIP: 0010:mydrv_probe+0x3a/0x120 [mydrv]", False),
        ("NIP [c000000000639624] full_proxy_write+0x84/0xc0", False),
        ("NIP [0000000000000000] 0x0", False),  # no symbol at all (a raw PC: _RAW_ARM_PC)
        ("pc : f+0x10/0x0", False),  # no size to be past
    ],
)
def test_past_its_symbol_samples(line: str, past: bool) -> None:
    assert past_its_symbol(line) is past


def test_the_sanitizer_runtime_under_more_underscores_is_passed() -> None:
    # mm/kasan/common.c ____kasan_slab_free (5.12-6.7) reports a double free for kfree's caller, as __kasan_slab_free.
    path = CORPUS / "production" / "patches" / "stable-6.3.7-mailbox-test-message-write-kasan-double-free.txt"
    report = analyze(path.read_bytes())
    assert (report.title, report.function) == ("KASAN: double-free in mbox_test_message_write", "mbox_test_message_write")
    assert frames.is_skipped("____kasan_slab_free") and frames.is_skipped("___kasan_kmalloc")
    # Its 6.11+ successor, check_slab_allocation, under a name without the word (mm/kasan/common.c).
    assert frames.is_skipped("check_slab_allocation") and not frames.is_skipped("check_slab_allocation_order")
    # Negative: a function that only contains the word is no sanitizer runtime.
    assert not frames.is_skipped("mydrv_kasan_selftest") and not frames.is_skipped("_kasan_like_helper")


def _slub_poison_log(trace: list[str], dump_lines: int, own_trace: bool) -> str:
    """A SLUB poison report found as the object is allocated again (mm/slub.c alloc_debug_processing ->
    check_object -> check_bytes_and_report, then object_err's header and print_trailer's hex dump), with
    panic_on_taint: add_taint panics inside object_err, before (6.12) or after (6.1) the stack dump."""
    head = [
        "[Poison overwritten] 0xffff8962c2642a00-0xffff8962c2642a03 @offset=10752. First byte 0xf0 instead of 0x6b",
        "=============================================================================",
        "BUG kmalloc-1k (Tainted: G           OE     ): Object corrupt",
        "-----------------------------------------------------------------------------",
        "Slab 0xffffee6340099000 objects=8 used=3 fp=0xffff8962c2641000 flags=0xfffffc0000240(workingset|head|node=0)",
        "Object 0xffff8962c2642800 @offset=10240 fp=0xffff8962c2641000",
    ]
    dump = [f"Object   ffff8962c26428{i:02x}: 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk"
            for i in range(dump_lines)]
    stack = ["CPU: 0 PID: 1 Comm: init Tainted: G    B      OE      6.12.118+deb13-amd64 #1", "Call Trace:", " <TASK>",
             " dump_stack_lvl+0x5d/0x80", *trace, " </TASK>"]
    panic = ["Disabling lock debugging due to kernel taint", "Kernel panic - not syncing: panic_on_taint set ..."]
    if own_trace:
        return "\n".join([*head, *dump, *stack, *panic, *stack]) + "\n"
    return "\n".join([*head, *dump, *panic, stack[0], stack[1], stack[2], " vpanic+0xc5/0x283", " panic+0x6c/0x6c",
                      " add_taint.cold+0x26/0x26", " object_err+0x1d2/0x1df", *trace[0:], " </TASK>"]) + "\n"


_ALLOC_PATH = [" check_bytes_and_report.cold+0x66/0x84", " check_object+0x24a/0x310",
               " alloc_debug_processing+0xa6/0x110", " get_partial_node.part.0+0x14e/0x2c0", " ___slab_alloc+0x409/0xc80",
               " __kmalloc_cache_noprof+0x2b4/0x310", " mydrv_reopen+0x54/0x76 [mydrv]", " mydrv_ioctl+0x18/0x30 [mydrv]"]


@pytest.mark.parametrize("own_trace", [True, False], ids=["trace-then-panic", "panic-inside-the-reporter"])
@pytest.mark.parametrize("dump_lines", [4, 64, 256])
def test_slub_poison_found_at_allocation_names_the_allocating_caller(dump_lines: int, own_trace: bool) -> None:
    # The allocator's checkers and partial-list pickers (alloc_debug_processing, get_partial_node) check for their
    # caller; add_taint's panic_on_taint panic runs inside object_err, so when the report printed no trace of its own
    # (however long its object's hex dump), the panic's trace is its own.
    report = analyze(_slub_poison_log(_ALLOC_PATH, dump_lines, own_trace))
    assert (report.title, report.function) == ("BUG: Poison overwritten in mydrv_reopen", "mydrv_reopen")


@pytest.mark.parametrize("picker", ["get_from_partial_node+0x1b8/0x400", "get_from_any_partial+0x80/0x1c0"])
def test_slub_poison_found_by_the_7x_partial_pickers_names_the_allocating_caller(picker: str) -> None:
    # 7.x's sheaves renamed the partial-list pickers (mm/slub.c get_from_partial_node, get_from_any_partial; the lab's
    # sid-7.2-arm64 WRITE_AFTER_FREE runs).
    path = [*_ALLOC_PATH[:3], f" {picker}", *_ALLOC_PATH[4:]]
    report = analyze(_slub_poison_log(path, 4, True))
    assert (report.title, report.function) == ("BUG: Poison overwritten in mydrv_reopen", "mydrv_reopen")


def test_slub_poison_found_in_a_driver_picker_named_like_them_names_the_driver() -> None:
    # Negative: a driver's own `get_from_partial_node_cache` is no allocator frame.
    path = [*_ALLOC_PATH[:3], " mydrv_get_from_partial_node+0x20/0x80 [mydrv]", *_ALLOC_PATH[4:]]
    report = analyze(_slub_poison_log(path, 4, True))
    assert report.function == "mydrv_get_from_partial_node"



def test_a_kcsan_title_leaves_out_the_module_tags_of_its_functions() -> None:
    # kernel/kcsan/report.c prints the two functions as `%ps` strings: a module's carries ` [mod]`, which the same
    # code built into the kernel prints without.  One race, one title and key; version 3's tagged key continues.
    log = ("BUG: KCSAN: data-race in ext4_do_update_inode [ext4] / inode_add_bytes\n\n"
           "write to 0xffff9a00a4f7c9b8 of 8 bytes by task 4131 on cpu 3:\n inode_add_bytes+0x65/0xf0\n")
    module, built_in = analyze(log), analyze(log.replace(" [ext4]", ""))
    assert module.title == built_in.title == "KCSAN: data-race in ext4_do_update_inode / inode_add_bytes"
    assert module.fingerprint == built_in.fingerprint
    tagged = "kc3-" + hashlib.sha256(b"KCSAN: data-race in ext4_do_update_inode [ext4] / inode_add_bytes").hexdigest()[:16]
    assert tagged in module.fingerprint_aliases


def test_a_bad_page_freed_through_the_skb_free_path_names_the_driver() -> None:
    # mm/page_alloc.c bad_page on the free path; net/core/skbuff.c frees the skb's head page for the driver, which
    # freed it twice (the skb helpers are the free path, as page_frag_free and __free_pages_ok are).
    log = ("BUG: Bad page state in process ethtool  pfn:2047f8\n"
           "page:ffff7fe00811fe00 refcount:-1 mapcount:0 mapping:0000000000000000 index:0x0\n"
           "Call trace:\n dump_backtrace+0x0/0x1e0\n show_stack+0x24/0x30\n dump_stack+0xac/0xe8\n bad_page+0xe4/0x110\n"
           " free_pages_check_bad+0x6c/0x88\n __free_pages_ok+0x2d8/0x300\n page_frag_free+0x60/0x78\n"
           " skb_free_head+0x34/0x40\n skb_release_data+0x12c/0x158\n skb_release_all+0x30/0x40\n consume_skb+0x4c/0x100\n"
           " __dev_kfree_skb_any+0x54/0x60\n mydrv_fini_ring+0x48/0x58 [mydrv]\n mydrv_set_ringparam+0x1a4/0x2b0 [mydrv]\n")
    report = analyze(log)
    assert (report.title, report.function) == ("BUG: Bad page state in mydrv_fini_ring", "mydrv_fini_ring")


_FLUSH_WARNING = (
    "[ 6174.010216] WARNING: CPU: 20 PID: 14456 at kernel/workqueue.c:2628 check_flush_dependency+0x110/0x14c\n"
    "[ 6174.010220] Modules linked in: nvmet_tcp nvmet\n"
)


@pytest.mark.parametrize(
    ("message", "culprit"),
    [
        # kernel/workqueue.c check_flush_dependency: `WQ_MEM_RECLAIM %s:%ps is flushing !WQ_MEM_RECLAIM %s:%ps`, the
        # first %ps the flushing worker's work function (a module's with its ` [mod]`), on one line or wrapped
        ("workqueue: WQ_MEM_RECLAIM nvmet-wq:nvmet_tcp_release_queue_work [nvmet_tcp] is flushing "
         "!WQ_MEM_RECLAIM nvmet_tcp_wq:nvmet_tcp_io_work [nvmet_tcp]", "nvmet_tcp_release_queue_work"),
        ("workqueue: WQ_MEM_RECLAIM\nnvme-wq:nvme_scan_work is flushing\n!WQ_MEM_RECLAIM events_unbound:kfree_rcu_work",
         "nvme_scan_work"),
        # a reclaiming task that is no worker names a task, no code: the site stays
        ("workqueue: PF_MEMALLOC task 231(kswapd0) is flushing !WQ_MEM_RECLAIM events:foo_work [foo]",
         "check_flush_dependency"),
    ],
)
def test_a_flush_dependency_warning_without_a_stack_names_the_flusher_its_message_names(
    message: str, culprit: str
) -> None:
    report = analyze("[ 6174.010200] ------------[ cut here ]------------\n[ 6174.010201] " + message + "\n" + _FLUSH_WARNING)
    assert report.title == "WARNING in check_flush_dependency"
    assert report.function == culprit


def test_a_flush_dependency_warning_with_a_stack_keeps_the_flusher_its_stack_names() -> None:
    # The walk past the flush API names the code that flushed; the message's work function only runs it.
    report = analyze((EDGE / "warn-flush-dependency.log").read_bytes())
    assert report.function == "mydrv_reclaim_stats"
    assert "mydrv_reclaim_work" in (EDGE / "warn-flush-dependency.log").read_text()


def test_a_vendor_warn_soft_lockup_is_the_soft_lockup() -> None:
    # kernel/watchdog.c watchdog_timer_fn's line as some vendor kernels print it (`WARN:` for `BUG:`): the same
    # report, title and key; a `WARN: soft lockup` notice that is not the watchdog's line is no crash.
    log = (EDGE / "soft-lockup-warn-arm64.log").read_bytes()
    vendor, mainline = analyze(log), analyze(log.replace(b"WARN: soft lockup", b"BUG: soft lockup"))
    assert (vendor.kind, vendor.title) == ("soft-lockup", "BUG: soft lockup in rcache_scan_bucket")
    assert vendor.fingerprint == mainline.fingerprint
    assert analyze("[    1.000000] watchdog: WARN: soft lockup detector reset on CPU#1\n").kind == "none"


def test_a_warn_quoted_without_its_warning_line_is_the_warning() -> None:
    # kernel/panic.c __warn_printk prints the rule and the message, __warn the `WARNING: ... at %pS` line: with that
    # line cut, the register dump's PC names the site, and the key is the whole report's.
    log = (EDGE / "warn-cut-headless.log").read_bytes()
    whole = log.replace(
        b"[ 3301.118211] mydrv",
        b"[ 3301.118209] WARNING: CPU: 2 PID: 911 at drivers/net/mydrv/ring.c:212 mydrv_ring_stop+0x9e/0xc0 [mydrv]\n"
        b"[ 3301.118211] mydrv",
    )
    cut, full = analyze(log), analyze(whole)
    assert (cut.title, cut.signature, cut.corrupted) == ("WARNING in mydrv_ring_stop", "warn-cut-headless", True)
    assert (full.signature, full.fingerprint) == ("warning", cut.fingerprint)
    # Negatives: the rule with no register dump below, and the rule inside other text, start no report.
    assert analyze("[    3.1] ------------[ cut here ]------------\n[    3.2] mydrv: odd state\n").kind == "none"
    assert analyze('- {"msg": "Setting prompt string to [\'-+\\\\[ cut here \\\\]-+\\\\s+(.*)\']"}\n').kind == "none"


def test_a_flush_taken_through_its_lockdep_helper_names_the_flusher() -> None:
    # kernel/workqueue.c (6.10+) takes a flush's lockdep map in touch_wq_lockdep_map, and the lock held is the running
    # work's, taken by process_one_work: past both, and __flush_work, the code that flushed its own workqueue.
    report = analyze((PRODUCTION / "patches" / "stable-6.12.88-nvmet-ctrl-free-flush-work-recursive-locking.txt").read_bytes())
    assert (report.title, report.function) == ("possible deadlock in nvmet_ctrl_free", "nvmet_ctrl_free")


def test_the_skb_free_entry_points_are_frees() -> None:
    # consume_skb and its NAPI and deferred forms free an skb for their caller, as kfree_skb does: a WARN raised under
    # them (kernel/softirq.c __local_bh_enable_ip with interrupts off) is the freeing driver's.
    path = PRODUCTION / "patches" / "stable-6.18.21-macb-tx-poll-napi-consume-skb-local-bh-enable-warning-arm64.txt"
    report = analyze(path.read_bytes())
    assert (report.title, report.function) == ("WARNING in macb_tx_poll", "macb_tx_poll")
    assert frames.is_skipped("napi_consume_skb") and frames.is_skipped("skb_attempt_defer_free")
    assert frames.is_skipped("__dev_kfree_skb_any") and frames.is_skipped("consume_skb")
    # Negatives: a fault inside the release internals stays there (syzkaller's report 21: skb_release_data), and a
    # function that only holds the words is no free.
    assert not frames.is_skipped("skb_release_data") and not frames.is_skipped("mydrv_consume_skb_ring")


def test_a_dma_debug_check_inlined_into_its_mapping_hook_is_the_site() -> None:
    # kernel/dma/debug.c check_sg_segment's err_printk WARN, inlined into debug_dma_map_sg: the WARNING line names the
    # hook, which the title keeps as it keeps check_unmap; past the DMA API the mapping's caller is the function.
    path = PRODUCTION / "patches" / "stable-6.1.165-v3d-bo-create-dma-api-map-sg-segment-warning-arm64.txt"
    report = analyze(path.read_bytes())
    assert (report.title, report.signature) == ("WARNING in debug_dma_map_sg", "warn-dma-debug")
    assert report.function not in ("debug_dma_map_sg", "__dma_map_sg_attrs", "dma_map_sgtable")
    # Negative: a WARNING elsewhere in a function of that name's file prefix is no DMA-debug site.
    other = analyze("WARNING: CPU: 0 PID: 1 at kernel/dma/mapping.c:200 __dma_map_sg_attrs+0x1/0x2\n"
                    "Call trace:\n __dma_map_sg_attrs+0x1/0x2\n mydrv_map+0x10/0x40\n")
    assert other.signature != "warn-dma-debug"


def test_a_hung_task_quoted_from_its_note_is_the_hung_task() -> None:
    # kernel/hung_task.c check_hung_task prints the header, the taint line, then the timeout knob's note, which no
    # other report prints: quoted from the note down, it is the same report and key; below the header, one report.
    log = (EDGE / "hung-task-headless.log").read_bytes()
    header = (b"[ 2417.337201] INFO: task kworker/u8:3:1187 blocked for more than 122 seconds.\n"
              b"[ 2417.337811]       Not tainted 6.1.0-21-amd64 #1 Debian 6.1.90-1\n")
    cut, whole = analyze(log), analyze(header + log)
    assert (cut.title, cut.signature, cut.corrupted) == ("INFO: task hung in mydev_flush_queue", "hung-task-body", True)
    assert (whole.signature, whole.fingerprint, whole.preceding, whole.corrupted) == ("hung-task", cut.fingerprint, [], False)
    # Negative: the note with no trace below starts no report.
    note = b'[    1.0] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.\n'
    assert analyze(note).kind == "none"
    # A quote that wrapped the note after `disables` (`this message.` alone below) is the same report.
    wrapped = log.replace(b" disables this message.", b" disables\n this message.")
    assert wrapped != log and analyze(wrapped).title == cut.title
    # A line that merely ends in the words is no note.
    assert analyze(b"[    1.0] setting hung_task_timeout_secs disables\n").kind == "none"


def test_a_ubsan_trap_is_titled_as_the_handler_mode_titles_the_same_check() -> None:
    # lib/ubsan.c report_ubsan_failure names the trapped check (`UBSAN: array index out of bounds`); arm64's die()
    # prints it as `Internal error: %s: %016lx [#%d]`, x86's handle_bug as `%s at %pS` above the invalid-opcode oops.
    # The title takes ubsan_prologue's class for the same check, so the two builds of one bug share a key.
    log = (EDGE / "ubsan-trap-arm64.log").read_text()
    trap = analyze(log)
    assert (trap.kind, trap.title) == ("ubsan", "UBSAN: array-index-out-of-bounds in tas2562_set_bias_level")
    handler = log.replace(
        "Internal error: UBSAN: array index out of bounds: 00000000f2005512 [#1] PREEMPT SMP",
        "UBSAN: array-index-out-of-bounds in sound/soc/codecs/tas2562.c:172:24",
    ).replace("pc : ", "").replace("lr : ", "")
    assert analyze(handler).fingerprint == trap.fingerprint
    x86 = "\n".join([
        "[    9.101] UBSAN: shift out of bounds at tas2562_set_bias_level+0x94/0xb0 [snd_soc_tas2562]",
        "[    9.102] Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
        "[    9.103] RIP: 0010:tas2562_set_bias_level+0x94/0xb0 [snd_soc_tas2562]",
        "[    9.104] Call Trace:",
        "[    9.105]  snd_soc_component_set_bias_level+0x2c/0x80",
    ])
    assert analyze(x86).title == "UBSAN: shift-out-of-bounds in tas2562_set_bias_level"
    # A line that names a UBSAN check in other words is no trap report.
    assert analyze("[    1.0] test_ubsan: UBSAN: array index out of bounds test skipped\n").kind == "none"


def test_a_kasan_report_cut_before_its_access_line_walks_past_a_skipped_helper() -> None:
    # mm/kasan/report.c prints `BUG: KASAN: %s in %pS`, then `%s of size %zu at addr %px by task %s/%d`, then the
    # trace.  A quote that cut the access line keeps the header's type; its culprit is the whole report's: the walk
    # passes the string helper the header names (memcmp) to the caller that handed it the buffer.
    trace = [
        "Call trace:", " kasan_check_range+0xe8/0x190", " __asan_loadN+0x1c/0x28", " memcmp+0x98/0xd0",
        " efivarfs_d_compare+0x68/0xd8", " __d_lookup_rcu_op_compare+0x178/0x218", " __d_lookup_rcu+0x1f8/0x228",
    ]
    cut = "\n".join(["BUG: KASAN: slab-out-of-bounds in memcmp+0x98/0xd0", *trace])
    whole = "\n".join(["BUG: KASAN: slab-out-of-bounds in memcmp+0x98/0xd0",
                       "Read of size 8 at addr ffff0000c5a3b6f8 by task systemd/1", *trace])
    assert (analyze(cut).title, analyze(cut).function) == (
        "KASAN: slab-out-of-bounds in efivarfs_d_compare", "efivarfs_d_compare")
    assert analyze(whole).function == "efivarfs_d_compare"
    # A header naming no skipped helper keeps it; 4.x's `in f at addr ADDR` keeps syzkaller's spelling.
    own = cut.replace("memcmp+0x98/0xd0", "efivarfs_hash+0x10/0x40")
    assert analyze(own).title == "KASAN: slab-out-of-bounds in efivarfs_hash"
    old = cut.replace("memcmp+0x98/0xd0", "memcmp+0x98/0xd0 at addr ffff0000c5a3b6f8")
    assert analyze(old).title == "KASAN: slab-out-of-bounds in memcmp at addr ADDR"


def test_a_btrfs_assertion_bug_names_the_reporter_and_keys_on_the_caller() -> None:
    # fs/btrfs/ctree.h assertfail (fs/btrfs/messages.c btrfs_assertfail since 6.2) prints `assertion failed: %s, in
    # %s:%d` and BUG()s for its caller's ASSERT(): syzkaller titles the BUG by the reporter, the caller is the bug.
    lines = [
        "[  198.980839] assertion failed: ret != -EEXIST, in fs/btrfs/tree-log.c:3857",
        "[  198.981666] kernel BUG at fs/btrfs/ctree.h:3617!",
        "[  198.983141] invalid opcode: 0000 [#1] PREEMPT SMP KASAN PTI",
        "[  198.988600] RIP: 0010:assertfail.constprop.0+0x1c/0x1e [btrfs]",
        "[  199.015239] Call Trace:",
        "[  199.016313]  log_dir_items.cold+0x16/0x2c [btrfs]",
        "[  199.018858]  log_directory_changes+0x1b0/0x2c0 [btrfs]",
    ]
    report = analyze("\n".join(lines))
    assert (report.title, report.function) == ("kernel BUG in assertfail", "log_dir_items")
    # keyed on the caller: another caller's failed assertion is another bug
    other = analyze("\n".join(lines).replace("log_dir_items.cold", "btrfs_reserve_data_bytes"))
    assert other.title == report.title and other.fingerprint != report.fingerprint
    assert report.fingerprint == fingerprint_title("kernel BUG in log_dir_items")
    # A BUG() of btrfs's own code is titled by it, as before.
    own = analyze("\n".join(lines).replace("assertfail.constprop.0+0x1c/0x1e", "btrfs_set_item_key_safe+0x1e/0x30"))
    assert own.title == "kernel BUG in btrfs_set_item_key_safe"
