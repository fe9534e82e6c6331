"""Formats of issue 13: Rust panics, powerpc and s390 reports, unregister_netdevice waits, syslog files,
and the families of culprits that follow what the kernel prints.  Each test names the kernel code
that prints the lines the rule reads; negatives sit beside the positives.
"""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.fingerprint import fingerprint_aliases, fingerprint_title
from kcrashd.core.frames import parse_frames
from kcrashd.core.headers import HeaderScan
from kcrashd.core.rust_symbols import readable
from kcrashd.core.title import title_type
from tests.core.golden import CORPUS

EDGE = CORPUS / "edge"
PRODUCTION = CORPUS / "production"

# --- Rust panics (rust/kernel/lib.rs #[panic_handler]: pr_emerg!("{}\n", info); BUG()) ---------------


def test_rust_panic_with_the_message_below_names_the_rust_caller() -> None:
    # Rust >= 1.73 prints `panicked at file:line:col:` and the message on the next line.
    log = (
        "[   52.100001] rust_kernel: panicked at drivers/block/rnull.rs:77:13:\n"
        "[   52.100002] index out of bounds: the len is 8 but the index is 10\n"
        "[   52.100010] ------------[ cut here ]------------\n"
        "[   52.100011] kernel BUG at rust/helpers/bug.c:7!\n"
        "[   52.100020] Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI\n"
        "[   52.100030] CPU: 1 PID: 412 Comm: fio Not tainted 6.12.0 #1\n"
        "[   52.100040] RIP: 0010:rust_helper_BUG+0x8/0x10\n"
        "[   52.100050] Call Trace:\n"
        "[   52.100051]  <TASK>\n"
        "[   52.100052]  _RNvCsdC4yMMrTbUi_7___rustc17rust_begin_unwind+0x4c/0x50\n"
        "[   52.100053]  _RNvNtCs9jEwPDbx20M_4core9panicking9panic_fmt+0x2f/0x30\n"
        "[   52.100054]  _RNvNtCs9jEwPDbx20M_4core9panicking18panic_bounds_check+0x73/0x80\n"
        "[   52.100055]  _RNvMs_NtCs1kMEmqzcCJ8_5rnull5queueNtB4_5Queue8queue_rq+0x1b2/0x1c0 [rnull_mod]\n"
        "[   52.100056]  blk_mq_dispatch_rq_list+0x1c1/0x8a0\n"
        "[   52.100057]  </TASK>\n"
        "[   52.100060] ---[ end trace 0000000000000000 ]---\n"
    )
    report = analyze(log)
    assert report.signature == "rust-panic"
    assert report.function == "<rnull::queue::Queue>::queue_rq"
    assert report.title == "index out of bounds: the len is NUM but the index is NUM in <rnull::queue::Queue>::queue_rq"


def test_rust_panic_with_the_quoted_message_and_an_arm64_trace() -> None:
    report = analyze((EDGE / "rust-panic-old.log").read_bytes())
    assert report.title.startswith("called `Option::unwrap()` on a `None` value in ")
    assert report.function == "<e1000_for_linux::Poller as kernel::net::NapiPoller>::poll"


def test_the_rust_helper_bug_alone_stays_a_kernel_bug() -> None:
    # Negative: without the panic handler's line, `kernel BUG at rust/helpers` is an ordinary BUG().
    log = (EDGE / "rust-panic-old.log").read_text().replace("rust_kernel: panicked at", "rust_e1000dev: paniced at")
    assert analyze(log).signature == "kernel-bug"


@pytest.mark.parametrize(
    ("mangled", "name"),
    [
        ("_RNvMs0_NtCshgDM7dBCdno_11rust_binder4nodeNtB5_4Node22update_refcount_locked",
         "<rust_binder::node::Node>::update_refcount_locked"),
        ("_RNvXs2_CsejK4Ne9WL8c_15e1000_for_linuxNtB5_6PollerNtNtCsfATHBUcknU9_6kernel3net10NapiPoller4poll",
         "<e1000_for_linux::Poller as kernel::net::NapiPoller>::poll"),
        ("_RNvNtCs3yuwAp0waWO_4core9panicking9panic_fmt", "core::panicking::panic_fmt"),
        ("__cfi__RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind", "__rustc::rust_begin_unwind"),
        ("_RNvMs7_NtCsfATHBUcknU9_6kernel3netINtB5_11NapiAdapterNtCsejK4Ne9WL8c_15e1000_for_linux6PollerE13poll_callbackBR_",
         "<kernel::net::NapiAdapter<e1000_for_linux::Poller>>::poll_callback"),
    ],
)
def test_rust_v0_names_are_read(mangled: str, name: str) -> None:
    assert readable(mangled) == name


@pytest.mark.parametrize("name", ["rust_helper_BUG", "_RB0_", "_RNvB_3foo", "_R" + "N" * 3000, "_RIC3fooRE", "_R"])
def test_names_that_are_no_v0_symbol_are_left_alone(name: str) -> None:
    assert readable(name) is None


# --- powerpc (arch/powerpc/mm/fault.c __bad_page_fault, arch/powerpc/kernel/traps.c __die) ----------


def test_powerpc_null_dereference_names_the_nip_function() -> None:
    report = analyze((EDGE / "ppc64-null-deref.log").read_bytes())
    assert (report.kind, report.function) == ("null-deref", "ibmvnic_reset_rxq")
    assert report.title == "BUG: unable to handle kernel NULL pointer dereference in ibmvnic_reset_rxq"


def test_powerpc_call_through_null_names_the_link_register() -> None:
    # `NIP [0000000000000000] 0x0`: the LR holds the return address into the caller.
    report = analyze((EDGE / "ppc64-null-call.log").read_bytes())
    assert (report.kind, report.function) == ("null-deref", "opal_prd_msg_notifier")


def test_powerpc_oops_alone_and_a_leaf_helper_at_the_nip() -> None:
    # die("Machine check") with no fault line before it; NIP in memcpy: the LR is its caller.
    report = analyze((EDGE / "ppc64-oops-machine-check.log").read_bytes())
    assert (report.signature, report.kind, report.function) == ("ppc-oops", "machine-check", "pmem_do_read")


def test_powerpc_oops_line_continues_the_fault_report() -> None:
    report = analyze((EDGE / "ppc64-null-deref.log").read_bytes())
    assert report.signature == "null-deref" and not report.preceding


# --- s390 (arch/s390/mm/fault.c, arch/s390/kernel/dumpstack.c show_trace) ---------------------------


def test_s390_fault_names_the_psw_function() -> None:
    report = analyze((EDGE / "s390-fault.log").read_bytes())
    assert (report.signature, report.function) == ("s390-fault", "dasd_eckd_build_cp_tpm_track")


def test_s390_parenthesised_frame_is_unreliable() -> None:
    (frame,) = parse_frames("([<000003ff80193b76>] dasd_eckd_build_cp+0x3c6/0x4b0 [dasd_eckd_mod])")
    assert (frame.function, frame.module, frame.reliable) == ("dasd_eckd_build_cp", "dasd_eckd_mod", False)
    (plain,) = parse_frames(" [<000003ff8013a4f2>] dasd_queue_rq+0x1ca/0x3b8 [dasd_mod] ")
    assert plain.reliable


# --- unregister_netdevice (net/core/dev.c netdev_wait_allrefs_any) ------------------------------------


def test_unregister_netdevice_wait_is_titled_without_the_device() -> None:
    report = analyze((EDGE / "netdev-refcount.log").read_bytes())
    assert report.title == "unregister_netdevice: waiting for DEV to become free"
    assert report.kind == "refcount"


def test_unregister_netdevice_after_a_report_continues_it() -> None:
    log = (CORPUS / "edge" / "warn-kobject.log").read_text() + (
        "[ 9999.000000] unregister_netdevice: waiting for lo to become free. Usage count = 1\n"
    )
    assert analyze(log).signature == "warn-kobject"


# --- line formats ------------------------------------------------------------------------------------


def test_tab_padded_timestamp_is_a_kernel_line() -> None:
    report = analyze((PRODUCTION / "telemetrics-client" / "warning.txt").read_bytes())
    assert report.title == "WARNING in preempt_notifier_register"


def test_syslog_prefixed_kernel_lines_are_read() -> None:
    # rsyslog's `Jan 12 19:08:41 host kernel: ` before each kernel line.
    report = analyze((PRODUCTION / "abrt" / "nmi_oops.txt").read_bytes())
    assert (report.kind, report.function) == ("hard-lockup", "account_idle_ticks")


def test_warning_at_with_its_space_lost_is_a_warn_report() -> None:
    # 3.x warn_slowpath_common `WARNING: at %s:%d %pS()`, the space squeezed out by a syslog relay.
    report = analyze((PRODUCTION / "abrt" / "koops-tainted-insane.txt").read_bytes())
    assert report.signature == "warning-squeezed"


def test_warn_site_of_a_report_printed_to_its_end_names_the_function() -> None:
    # The site is the WARN's own return address (3.x warn_slowpath_common `WARNING: at %s:%d %pS()`),
    # not the unwinder's: a report that printed its end marker (kernel/panic.c print_oops_end_marker)
    # with only entry or reporting frames in its trace still names it.
    for name in ("koops-tainted-insane.txt", "koops-tainted-spaces.txt"):
        report = analyze((PRODUCTION / "abrt" / name).read_bytes())
        assert (report.title, report.corrupted) == ("WARNING in xen_make_pte", False)


def test_warn_site_of_a_report_cut_before_its_trace_stays_corrupted() -> None:
    # Negative: no end marker and no frame past the reporting machinery: the report was cut.
    log = (
        "[   95.000000] WARNING: CPU: 1 PID: 18 at drivers/foo/bar.c:340 foo_bar+0x10/0x20 [foo]\n"
        "[   95.000001] Call Trace:\n"
        "[   95.000002]  warn_slowpath_null+0x10/0x20\n"
    )
    assert analyze(log).title == "WARNING in corrupted"


def test_frame_that_lost_its_first_column_is_read() -> None:
    report = analyze((PRODUCTION / "satyr" / "14.txt").read_bytes())
    assert report.title == "BUG: bad unlock balance in blk_queue_bio"


def test_old_eip_is_at_line_is_the_faulting_pc() -> None:
    # 2.6 x86_32 show_regs: `EIP is at %s`; the reliable trace starts elsewhere.
    report = analyze((PRODUCTION / "abrt" / "debug_messages.txt").read_bytes())
    assert report.function == "acpi_ns_internalize_name"


# --- culprit families --------------------------------------------------------------------------------


def test_out_of_line_header_helper_names_its_caller() -> None:
    # lib/bug.c report_bug: `kernel BUG at include/net/cfg80211.h:2473!`, PC in `wdev_priv.part.8`.
    report = analyze((PRODUCTION / "satyr" / "rhbz-865695-0.txt").read_bytes())
    assert report.function == "wl_cfg80211_scan"


def test_inlined_header_helper_keeps_the_pc_function() -> None:
    # Negative: the helper was inlined (no clone suffix): the PC names the caller itself.
    log = (
        "[   10.000000] kernel BUG at include/linux/skbuff.h:2301!\n"
        "[   10.000001] invalid opcode: 0000 [#1] SMP\n"
        "[   10.000002] RIP: 0010:mydrv_rx+0x99/0x1a0 [mydrv]\n"
        "[   10.000003] Call Trace:\n"
        "[   10.000004]  mydrv_poll+0x55/0x90 [mydrv]\n"
        "[   10.000005]  net_rx_action+0x13b/0x3e0\n"
    )
    assert analyze(log).function == "mydrv_rx"


def test_soft_lockup_polling_a_device_register_names_the_poller() -> None:
    # kernel/watchdog.c watchdog_timer_fn -> show_regs: `EIP is at ioread32+0x32/0x40`; the leaf
    # accessor's caller is the first stack word, printed as `? nouveau_timer_wait_eq+0x5d/0xc0`.
    report = analyze((PRODUCTION / "abrt" / "oops1-module-nouveau.txt").read_bytes())
    assert report.function == "nouveau_timer_wait_eq"


def test_bad_page_map_has_a_fixed_title() -> None:
    # mm/memory.c print_bad_pte: a page-table state, not a code path.
    report = analyze((PRODUCTION / "telemetrics-client" / "bad_page_map.txt").read_bytes())
    assert (report.title, report.function) == ("BUG: Bad page map", None)


def test_two_cpus_reports_of_one_stop_are_one_report() -> None:
    # Two CPUs' soft lockups at once without caller ids (kernel/watchdog.c watchdog_timer_fn prints on
    # each stuck CPU): the first report's registers stop in queued_read_lock_slowpath, then the second
    # report, stopped in the same function, prints the only trace.  It is the trace of the same stop.
    report = analyze((PRODUCTION / "telemetrics-client" / "soft_lockup.txt").read_bytes())
    assert (report.title, report.corrupted) == ("BUG: soft lockup in btrfs_tree_read_lock", False)
    assert report.preceding == []
    assert report.cpu == 8


_CPU_REPORT = (
    "[   68.000000] BUG: soft lockup - CPU#{cpu} stuck for 22s! [task:1{cpu}]\n"
    "[   68.000000] CPU: {cpu} PID: 1{cpu} Comm: task Not tainted 4.4.0 #1\n"
    "[   68.000000] RIP: 0010:[<ffffffff810dabf6>]  [<ffffffff810dabf6>] {pc}+0x86/0x90\n"
)
_TRACE = (
    "[   68.000000] Call Trace:\n"
    "[   68.000000]  [<ffffffff8170fcfc>] _raw_spin_lock+0x1c/0x30\n"
    "[   68.000000]  [<ffffffffa04fdceb>] mydrv_poll+0x6b/0x140 [mydrv]\n"
    "[   68.000000]  [<ffffffff81710329>] system_call_fastpath+0x16/0x1b\n"
)


def test_reports_of_two_stops_cut_into_each_other_stay_apart() -> None:
    # Negatives: a second report stopped elsewhere, and one of another kind, do not lend their trace;
    # the first report keeps its title and says why it has no culprit.
    other_pc = _CPU_REPORT.format(cpu=8, pc="queued_spin_lock_slowpath") + _CPU_REPORT.format(cpu=9, pc="mydrv_loop") + _TRACE
    report = analyze(other_pc)
    assert report.title == "BUG: soft lockup in corrupted"
    assert report.corrupted_reason == "another report cuts into this one before a frame of its trace"
    assert [p.title for p in report.preceding] == ["BUG: soft lockup in mydrv_poll"]
    other_kind = _CPU_REPORT.format(cpu=8, pc="queued_spin_lock_slowpath") + (
        "[   68.000000] BUG: spinlock lockup suspected on CPU#9, task/19\n"
        "[   68.000000] RIP: 0010:[<ffffffff810dabf6>]  [<ffffffff810dabf6>] queued_spin_lock_slowpath+0x86/0x90\n"
    ) + _TRACE
    assert analyze(other_kind).title == "BUG: soft lockup in corrupted"
    same = _CPU_REPORT.format(cpu=8, pc="queued_spin_lock_slowpath") + _CPU_REPORT.format(cpu=9, pc="queued_spin_lock_slowpath")
    assert analyze(same + _TRACE).title == "BUG: soft lockup in mydrv_poll"


def test_unregister_netdevice_waits_before_an_oops_leave_the_oops_the_crash() -> None:
    # The wait repeats forever and never ends: a state, never the start of a later oops's cascade.
    waits = "".join(
        f"[  {100 + 10 * n}.000000] unregister_netdevice: waiting for lo to become free. Usage count = 1\n"
        for n in range(3)
    )
    report = analyze(waits + (CORPUS / "seed" / "rhel8-sysrq.log").read_text())
    assert report.function == "sysrq_handle_crash"
    assert "unregister_netdevice: waiting for DEV to become free" in [p.title for p in report.preceding]


# --- PREEMPT_RT (kernel/locking/spinlock_rt.c, kernel/irq/manage.c) -------------------------------------


def test_preempt_rt_sleeping_spinlock_is_a_lock_primitive_in_a_hung_task() -> None:
    # On PREEMPT_RT spin_lock() is rt_spin_lock, which sleeps in rtlock_slowlock_locked.
    log = (
        "[  245.100000] INFO: task kworker/2:1:88 blocked for more than 122 seconds.\n"
        "[  245.100001]       Not tainted 6.1.0-18-rt-amd64 #1 Debian 6.1.76-1\n"
        "[  245.100010] Call Trace:\n"
        "[  245.100011]  <TASK>\n"
        "[  245.100012]  __schedule+0x3a1/0xb30\n"
        "[  245.100013]  schedule_rtlock+0x1c/0x40\n"
        "[  245.100014]  rtlock_slowlock_locked+0x2e2/0x1120\n"
        "[  245.100015]  rt_spin_lock+0x41/0x60\n"
        "[  245.100016]  mydrv_reset_work+0x3c/0x120 [mydrv]\n"
        "[  245.100017]  process_one_work+0x1e5/0x3b0\n"
        "[  245.100018]  worker_thread+0x50/0x3a0\n"
        "[  245.100019]  kthread+0xe6/0x110\n"
        "[  245.100020]  ret_from_fork+0x1f/0x30\n"
        "[  245.100021]  </TASK>\n"
    )
    assert analyze(log).function == "mydrv_reset_work"


# The PREEMPT_RT queue's rtmutex.c (3.x-5.x): rt_read_lock -> __rt_spin_lock -> might_sleep; a dedented trace
# of the shape Debian's and deepin's RT patch messages quote (mydrv in place of the driver).
RT_SLEEPING = """\
BUG: sleeping function called from invalid context at kernel/locking/rtmutex.c:931
in_atomic(): 1, irqs_disabled(): 0, pid: 3107, name: mytool
CPU: 4 PID: 3107 Comm: mytool Tainted: G        W   E   4.8.0-rt11-rt #106
Call Trace:
 [<ffffffff813436cd>] dump_stack+0x65/0x88
 [<ffffffff8109c425>] ___might_sleep+0xf5/0x180
 [<ffffffff816406b0>] __rt_spin_lock+0x20/0x50
 [<ffffffff81640978>] rt_read_lock+0x28/0x30
 [<ffffffffa03a2979>] mydrv_table_lookup+0x49/0x3f0 [mydrv]
 [<ffffffffa03a355d>] mydrv_ioctl+0x5d/0x120 [mydrv]
 [<ffffffff811937a2>] do_vfs_ioctl+0x322/0x5b0
"""


def test_preempt_rt_inner_lock_entry_is_a_lock_primitive_when_sleeping_in_atomic() -> None:
    # On PREEMPT_RT spinlock_t and rwlock_t sleep: might_sleep() in the rtmutex-based lock reports the
    # lock's caller, as _raw_spin_lock's caller is named elsewhere (syzkaller's own skip list holds
    # `spin_lock` and `read_lock` as substrings, so it names the same frame).
    report = analyze(RT_SLEEPING)
    assert report.title == "BUG: sleeping function called from invalid context in mydrv_table_lookup"
    # Version 3 named __rt_spin_lock: its key continues as an alias.
    v3 = next(a for a in fingerprint_aliases("BUG: sleeping function called from invalid context in __rt_spin_lock")
              if a.startswith("kc3-"))
    assert v3 in report.fingerprint_aliases


def test_preempt_rt_rwlock_slow_path_is_a_lock_primitive_when_scheduling_while_atomic() -> None:
    # The 4.1x RT queue's kernel/locking/rwlock-rt.c: rt_write_lock -> __write_rt_lock -> __rt_spin_lock -> schedule.
    log = (
        "BUG: scheduling while atomic: migration/15/132/0x00000002\n"
        "CPU: 15 PID: 132 Comm: migration/15 Not tainted 4.19.0-rt1-preempt-rt #1\n"
        "Call Trace:\n"
        " schedule+0x3d/0xe0\n"
        " __rt_spin_lock+0x26/0x30\n"
        " __write_rt_lock+0x23/0x1a0\n"
        " rt_write_lock+0x2a/0x30\n"
        " mydrv_forget_object+0x1e/0x80 [mydrv]\n"
        " mydrv_release+0x10/0x20 [mydrv]\n"
    )
    assert analyze(log).function == "mydrv_forget_object"


def test_sleeping_in_the_page_allocator_names_the_code_that_allocated() -> None:
    # mm/page_alloc.c get_page_from_freelist takes the zone lock (a sleeping lock on PREEMPT_RT) for the
    # caller of alloc_pages; lib/cpumask.c alloc_cpumask_var_node kmallocs a cpumask for its caller.
    log = (
        "BUG: sleeping function called from invalid context at kernel/locking/rtmutex.c:931\n"
        "in_atomic(): 1, irqs_disabled(): 0, pid: 2130, name: tar\n"
        "Call Trace:\n"
        " [<ffffffff814d52dc>] dump_stack+0x86/0xca\n"
        " [<ffffffff810a26fb>] ___might_sleep+0x14b/0x240\n"
        " [<ffffffff819bc1d4>] rt_spin_lock+0x24/0x60\n"
        " [<ffffffff81194fba>] get_page_from_freelist+0x83a/0x11b0\n"
        " [<ffffffff81195e8b>] __alloc_pages_nodemask+0x15b/0x1190\n"
        " [<ffffffff811fb447>] __kmalloc_node+0xe7/0x240\n"
        " [<ffffffff814d4ee0>] alloc_cpumask_var_node+0x20/0x50\n"
        " [<ffffffff814d4f3e>] alloc_cpumask_var+0xe/0x10\n"
        " [<ffffffffa00430c1>] mydrv_send_ipi+0x21/0x130 [mydrv]\n"
    )
    assert analyze(log).function == "mydrv_send_ipi"


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        # kernel/locking/spinlock_rt.c and the RT queue's rtmutex.c / rwlock-rt.c, 5.15's rwbase_rt.c
        ("__rt_spin_lock", True), ("__rt_spin_lock_slowlock", True), ("rt_spin_lock_slowlock_locked", True),
        ("__write_rt_lock", True), ("__read_rt_unlock", True), ("rwbase_read_lock", True), ("__rwbase_read_lock", True),
        ("mydrv_write_rt_locked", False), ("__rt_spinner", False), ("rwbased_probe", False),
        # mm/page_alloc.c below alloc_pages; lib/cpumask.c
        ("get_page_from_freelist", True), ("rmqueue", True), ("__rmqueue_smallest", True), ("rmqueue_bulk", True),
        ("buffered_rmqueue", True), ("prep_new_page", True), ("post_alloc_hook", True),
        ("mydrv_get_page_from_freelist", False), ("rmqueue_stats_show", False),
        # 6.10+ names: the `_noprof` rename, 6.14's frozen pages
        ("get_free_pages_noprof", True), ("alloc_frozen_pages_noprof", True), ("alloc_frozen_pages_nolock_noprof", True),
        ("free_frozen_pages", True), ("mydrv_get_free_pages_noprof", False), ("free_frozen_pages_count", False),
        ("alloc_cpumask_var_node", True), ("zalloc_cpumask_var", True), ("free_cpumask_var", True),
        ("mydrv_alloc_cpumask_var", False), ("alloc_cpumask_vars", False),
    ],
)
def test_preempt_rt_lock_and_page_allocator_families(name: str, skipped: bool) -> None:
    from kcrashd.core.frames import is_skipped

    assert is_skipped(name) is skipped


def test_soft_lockup_in_a_threaded_irq_handler_names_the_handler() -> None:
    # threadirqs / PREEMPT_RT: irq_thread -> irq_forced_thread_fn -> the driver's handler.
    log = (
        "[  312.500000] watchdog: BUG: soft lockup - CPU#3 stuck for 26s! [irq/45-mydrv:230]\n"
        "[  312.500010] CPU: 3 PID: 230 Comm: irq/45-mydrv Not tainted 6.1.0-18-rt-amd64 #1 Debian 6.1.76-1\n"
        "[  312.500020] RIP: 0010:mydrv_fifo_read+0x21/0x60 [mydrv]\n"
        "[  312.500030] Call Trace:\n"
        "[  312.500031]  <TASK>\n"
        "[  312.500032]  mydrv_drain+0x4a/0x90 [mydrv]\n"
        "[  312.500033]  mydrv_isr+0x33/0x80 [mydrv]\n"
        "[  312.500034]  irq_forced_thread_fn+0x26/0x80\n"
        "[  312.500035]  irq_thread+0xe9/0x1a0\n"
        "[  312.500036]  kthread+0xe6/0x110\n"
        "[  312.500037]  ret_from_fork+0x1f/0x30\n"
        "[  312.500038]  </TASK>\n"
    )
    report = analyze(log)
    # The PC is in a module (mydrv_fifo_read): a driver looping in its own code is the culprit.
    assert report.function == "mydrv_fifo_read"
    # Without a module PC, the stall walk stops at the threaded-irq dispatcher: the handler above it.
    builtin = log.replace(" [mydrv]", "").replace("mydrv_fifo_read+0x21/0x60", "ioread32+0x21/0x60")
    assert analyze(builtin.replace("mydrv_drain+0x4a/0x90", "? mydrv_drain+0x4a/0x90")).function == "mydrv_drain"
    assert analyze(builtin.replace("RIP: 0010:ioread32", "RIP: 0010:mydrv_spin")).function == "mydrv_isr"


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        # mm/page_alloc.c warn_alloc reports an allocation failure for its caller
        ("warn_alloc", True), ("warn_alloc_show_mem_filter", False),
        # lib/ref_tracker.c checks its user's get/put pairs
        ("ref_tracker_free", True), ("ref_tracker_dir_exit", True), ("netdev_tracker_free", False),
        # string helpers (lib/string.c sized_strscpy since 6.8, strim, skip_spaces)
        ("sized_strscpy", True), ("strscpy_pad", True), ("strim", True), ("strimmer_probe", False),
        ("skip_spaces", True), ("skip_spaces_and_tabs", False),
        # PREEMPT_RT's sleeping spinlocks (kernel/locking/spinlock_rt.c)
        ("rt_spin_lock", True), ("rt_read_unlock", True), ("rt_write_trylock", True),
        ("art_spin_lockup", False),
    ],
)
def test_reporting_and_helper_families(name: str, skipped: bool) -> None:
    from kcrashd.core.frames import is_skipped

    assert is_skipped(name) is skipped


def test_hardened_usercopy_bug_is_a_bad_usercopy_of_the_caller() -> None:
    # mm/usercopy.c usercopy_abort -> BUG(): the caller of the checked copy is the culprit.
    report = analyze((EDGE / "usercopy.log").read_bytes())
    assert (report.title, report.kind) == ("BUG: bad usercopy in mydrv_ioctl", "bug")


def test_lockdep_table_limit_is_titled_by_its_message() -> None:
    report = analyze((EDGE / "lockdep-limit.log").read_bytes())
    assert (report.title, report.kind, report.function) == ("BUG: MAX_STACK_TRACE_ENTRIES too low!", "lockdep", None)


def test_other_bug_lines_are_not_lockdep_limits() -> None:
    # Negative: a driver's `BUG: MAXIMUM retries too low` is a generic BUG, not lockdep's table limit.
    log = "[    5.000000] BUG: MAXIMUM retries too low\n[    5.000001] Call Trace:\n[    5.000002]  mydrv_probe+0x10/0x20\n"
    assert analyze(log).signature == "bug-generic"


def test_panic_on_oom_names_out_of_memory() -> None:
    # mm/oom_kill.c out_of_memory -> check_panic_on_oom -> panic("Out of memory: %s panic_on_oom is enabled").
    log = (
        "[  801.000000] Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled\n"
        "[  801.000010] CPU: 1 PID: 2211 Comm: stress Not tainted 5.14.0-362.8.1.el9_3.x86_64 #1\n"
        "[  801.000020] Call Trace:\n"
        "[  801.000021]  <TASK>\n"
        "[  801.000022]  dump_stack_lvl+0x34/0x48\n"
        "[  801.000023]  panic+0x102/0x2d4\n"
        "[  801.000024]  check_panic_on_oom+0x5e/0x60\n"
        "[  801.000025]  out_of_memory+0xd8/0x540\n"
        "[  801.000026]  __alloc_pages_slowpath.constprop.0+0xbcd/0xd10\n"
        "[  801.000027]  __alloc_pages+0x21d/0x250\n"
        "[  801.000028]  </TASK>\n"
    )
    report = analyze(log)
    assert (report.kind, report.function) == ("oom", "out_of_memory")


def test_old_hard_lockup_panic_with_the_report_words_is_a_hard_lockup() -> None:
    # 3.x kernel/watchdog.c watchdog_overflow_callback: panic("Watchdog detected hard LOCKUP on cpu %d").
    log = (
        "[ 7251.200100] Kernel panic - not syncing: Watchdog detected hard LOCKUP on cpu 2\n"
        "[ 7251.200110] Pid: 0, comm: swapper Not tainted 2.6.32-431.el6.x86_64 #1\n"
        "[ 7251.200120] Call Trace:\n"
        "[ 7251.200121]  <NMI>  [<ffffffff81527823>] ? panic+0xa7/0x16f\n"
        "[ 7251.200122]  [<ffffffff810e6b60>] ? watchdog_overflow_callback+0xe0/0xe0\n"
        "[ 7251.200123]  [<ffffffff8111c4ea>] ? __perf_event_overflow+0x9a/0x240\n"
        "[ 7251.200124]  [<ffffffff8152c8d5>] ? do_nmi+0x1e5/0x3d0\n"
        "[ 7251.200125]  [<ffffffff8152c0f0>] ? nmi+0x20/0x30\n"
        "[ 7251.200126]  <<EOE>>  [<ffffffffa01c2c34>] mydrv_poll_status+0x24/0x60 [mydrv]\n"
        "[ 7251.200127]  [<ffffffffa01c31f0>] mydrv_irq+0x90/0x120 [mydrv]\n"
    )
    report = analyze(log)
    assert (report.kind, report.function) == ("hard-lockup", "mydrv_poll_status")


def test_panic_of_a_task_an_oops_killed_in_an_interrupt_leaves_the_oops_the_crash() -> None:
    # kernel/exit.c do_exit: panic("Aiee, killing interrupt handler!") after the oops killed the task.
    log = (
        "[  300.100000] BUG: unable to handle kernel NULL pointer dereference at 0000000000000010\n"
        "[  300.100001] IP: [<ffffffffa0331a2b>] mydrv_rx+0x1b/0x90 [mydrv]\n"
        "[  300.100002] Oops: 0000 [#1] SMP\n"
        "[  300.100003] Call Trace:\n"
        "[  300.100004]  <IRQ>\n"
        "[  300.100005]  [<ffffffffa0331b40>] mydrv_interrupt+0x40/0x70 [mydrv]\n"
        "[  300.100006]  [<ffffffff810e2a30>] handle_irq_event_percpu+0x40/0x180\n"
        "[  300.100007] ---[ end trace 1e1ad3d7d8d1b6f0 ]---\n"
        "[  300.100008] Kernel panic - not syncing: Aiee, killing interrupt handler!\n"
    )
    report = analyze(log)
    assert (report.kind, report.function) == ("null-deref", "mydrv_rx")


def test_lone_panic_of_a_killed_task_says_its_report_was_lost() -> None:
    # Without the oops before it (a ring buffer that wrapped), the panic only says a report was fatal.
    report = analyze("[  300.100008] Kernel panic - not syncing: Aiee, killing interrupt handler!\n")
    assert report.corrupted and report.signature == "panic-consequence"


def test_s390_call_through_null_names_the_r14_return_address() -> None:
    # `Krnl PSW ... (0x0)`: the PSW is no symbol; the parenthesised first entry is r14, the caller.
    log = (EDGE / "s390-fault.log").read_text()
    log = log.replace("000003ff80192c2e (dasd_eckd_build_cp_tpm_track+0x2e/0x5b8 [dasd_eckd_mod])", "0000000000000000 (0x0)")
    log = "".join(ln for ln in log.splitlines(keepends=True) if "[<000003ff80192c2e>]" not in ln)
    assert analyze(log).function == "dasd_eckd_build_cp"


def test_survived_boot_warning_then_an_oops_without_panic_is_the_oops() -> None:
    # No panic line (panic_on_oops off): the WARNING printed its end marker and the machine went on;
    # the oops (die(): a task killed) later is the crash.
    warning = (CORPUS / "edge" / "warn-kobject.log").read_text()
    oops = (
        "[ 5000.100000] BUG: unable to handle kernel NULL pointer dereference at 0000000000000010\n"
        "[ 5000.100001] IP: [<ffffffffa0331a2b>] mydrv_rx+0x1b/0x90 [mydrv]\n"
        "[ 5000.100002] Oops: 0000 [#1] SMP\n"
        "[ 5000.100003] Call Trace:\n"
        "[ 5000.100005]  [<ffffffffa0331b40>] mydrv_poll+0x40/0x70 [mydrv]\n"
        "[ 5000.100006]  [<ffffffff8150fb10>] net_rx_action+0x140/0x2b0\n"
        "[ 5000.100007] ---[ end trace 1e1ad3d7d8d1b6f0 ]---\n"
    )
    assert "---[ end trace" in warning
    report = analyze(warning + oops)
    assert (report.kind, report.function) == ("null-deref", "mydrv_rx")
    # Negative: a WARNING that never ended (no marker) is where the trouble started: it stays first.
    unfinished = warning.replace("---[ end trace", "---[ trace")
    assert analyze(unfinished + oops).kind == analyze(warning).kind


# --- s390 program checks (arch/s390/kernel/traps.c do_trap, monitor_event_exception, kernel_stack_overflow;
# arch/s390/kernel/dumpstack.c die `"%s: %04x ilc:%d [#%d] "`, show_last_breaking_event) ----------------

S390 = CORPUS / "lab"


def _s390(case: str) -> str:
    return (S390 / f"deb12-6.1-s390x_{case}" / "console.log").read_text()


def test_s390_divide_exception_is_a_divide_error_over_the_later_panic() -> None:
    report = analyze(_s390("divide-error_run1"))
    assert (report.signature, report.kind) == ("s390-trap", "divide-error")
    assert report.title == "divide error in lab_trigger_divide_error"
    assert not report.corrupted


def test_s390_die_lines_that_are_no_program_check_are_no_trap() -> None:
    # Negatives: the fault path's own die() (`Oops`) continues the fault report; a trap line without
    # die()'s counter, and the panic alone, are no program-check report.
    assert analyze((EDGE / "s390-fault.log").read_bytes()).signature == "s390-fault"
    assert not analyze("[    5.058151] fixpoint divide exception: 0009 ilc:2\n").has_crash
    assert not analyze("[    4.509103] Oops: 0004 ilc:3 [#1] SMP \n").has_crash
    assert not analyze("[    5.058151] mydrv: fixpoint divide exception: 0009 ilc:2 [#1] SMP \n").has_crash
    # arch/s390/mm/fault.c report_user_fault: a user task's fault, printed with the same code and ilc.
    assert not analyze("[    7.1] User process fault: interruption code 0011 ilc:3 in libc.so.6[3ff8e080000+1b0000]\n").has_crash
    lone = analyze("[    5.061180] Kernel panic - not syncing: Fatal exception: panic_on_oops\n")
    assert lone.signature == "panic-consequence" and lone.corrupted


def test_s390_illegal_operation_at_a_named_psw_is_an_invalid_opcode() -> None:
    log = _s390("null-fn-call_run1").replace("0000000000000002 (0x2)", "000003ff7fd43368 (lab_trigger_null_fn_call+0x20/0x38)")
    report = analyze(log)
    assert (report.kind, report.title) == ("invalid-opcode", "invalid opcode in lab_trigger_null_fn_call")


def test_s390_call_through_null_is_a_null_deref_of_the_breaking_event_function() -> None:
    # The PSW is in the lowcore page (`0x2`, no code there): the Last Breaking-Event-Address is the branch.
    report = analyze(_s390("null-fn-call_run2"))
    assert (report.signature, report.kind, report.function) == ("s390-trap", "null-deref", "lab_trigger_null_fn_call")
    assert "bad-access in lab_trigger_null_fn_call" in report.alt_titles


def test_s390_bug_is_a_monitor_event_past_its_function() -> None:
    # `kernel BUG at` then `monitor event: 0040 ilc:2`: the PSW is the next function's +0x0.
    assert analyze(_s390("bug_run1")).title == "kernel BUG in lab_trigger_bug"
    assert analyze(_s390("timer-bug_run2")).function == "lab_timer_bug_fire"
    # Without the bug table's `kernel BUG at` line the monitor event is the BUG report itself.
    alone = analyze("".join(ln for ln in _s390("bug_run1").splitlines(keepends=True) if "kernel BUG at" not in ln))
    assert (alone.signature, alone.kind, alone.title) == ("s390-trap", "bug", "kernel BUG in lab_trigger_bug")


def test_s390_bug_without_a_breaking_event_symbol_names_the_r14_caller() -> None:
    assert analyze(_s390("bug_run2")).function == "lab_write"


def test_s390_fault_psw_at_a_function_start_is_that_function() -> None:
    # Negative: a translation exception is nullified (the PSW is the faulting instruction itself), so a
    # PSW at +0x0 of a fault report names the function, whatever the last branch was.
    log = (EDGE / "s390-fault.log").read_text().replace("dasd_eckd_build_cp_tpm_track+0x2e/", "dasd_eckd_build_cp_tpm_track+0x0/")
    assert analyze(log).function == "dasd_eckd_build_cp_tpm_track"


def test_s390_stack_overflow_names_the_psw_function_not_the_handler() -> None:
    report = analyze(_s390("stack-overflow_run1"))
    assert (report.signature, report.kind) == ("s390-stack-overflow", "stack-overflow")
    assert report.title == "kernel stack overflow in lab_trigger_stack_overflow"
    # Negatives: the words inside another message, and the panic without its report.
    assert not analyze("[    5.1] mydrv: Kernel stack overflow.\n").has_crash
    lone = analyze("[    5.104652] Kernel panic - not syncing: Corrupt kernel stack, can't continue.\n")
    assert lone.kind == "panic"


def test_s390_fault_in_page_zero_is_a_null_deref_elsewhere_a_paging_fault() -> None:
    null = analyze(_s390("null-deref_run1"))
    assert (null.kind, null.function) == ("null-deref", "lab_trigger_null_deref")
    assert null.title == "BUG: unable to handle kernel NULL pointer dereference in lab_trigger_null_deref"
    paging = analyze(_s390("paging-fault_run1"))
    assert (paging.kind, paging.title) == ("paging-fault", "BUG: unable to handle kernel paging request in lab_trigger_vmalloc_fault")


def test_s390_trap_and_stack_overflow_lines_are_fatal_candidates() -> None:
    # The header search keeps them with the panics and oopses, whatever flood precedes (headers.py).
    def fatal(line: bytes) -> bool:
        scan = HeaderScan()
        scan.feed(line)
        return scan.candidates()[0].fatal

    assert fatal(b"[    5.058151] fixpoint divide exception: 0009 ilc:2 [#1] SMP \n")
    assert fatal(b"[    5.102326] Kernel stack overflow.\n")
    assert not fatal(b"[    4.509103] Oops: 0004 ilc:3 [#1] SMP \n")


# --- arm32 traces (arch/arm/kernel/traps.c dump_backtrace_entry, unwind.c unwind_backtrace) ------------
# `%pS` and `%ps` append a module symbol's module (`f+0x40/0x80 [mod]`, kernel/kallsyms.c
# __sprint_symbol); since 5.17, without CONFIG_BACKTRACE_VERBOSE, a frame is ` %ps from %pS`; with
# CONFIG_ARM_UNWIND no `Backtrace:` header comes before the trace.


@pytest.mark.parametrize(
    ("line", "want"),
    [
        ("[<c04e4058>] (wait_for_common+0x104/0x180) from [<bf0001a0>] (foo_sync+0x40/0x80 [foo_drv])",
         [("wait_for_common", None), ("foo_sync", None)]),
        ("[<bf0001a0>] (foo_sync+0x40/0x80 [foo_drv]) from [<c0040abc>] (process_one_work+0x1b0/0x4c0)",
         [("foo_sync", "foo_drv"), ("process_one_work", None)]),
        ("[<bf0001a0>] (foo_sync [foo_drv]) from [<c0040abc>] (process_one_work+0x1b0/0x4c0)",
         [("foo_sync", "foo_drv"), ("process_one_work", None)]),
        (" unwind_backtrace from show_stack+0x10/0x14", [("unwind_backtrace", None), ("show_stack", None)]),
        (" foo_sync [foo_drv] from process_one_work+0x1b0/0x4c0", [("foo_sync", "foo_drv"), ("process_one_work", None)]),
        (" wait_for_common from foo_sync+0x40/0x80 [foo_drv]", [("wait_for_common", None), ("foo_sync", None)]),
        # Negatives: prose with `from`, and a frame line of another architecture stays one frame.
        ("usb 1-1: new device from hub+0x1/0x2 ports", []),
        (" rescued from panic+0x10/0x20 after reset", []),
        (" do_syscall_64+0x5c/0x90", [("do_syscall_64", None)]),
    ],
)
def test_arm32_frame_lines(line: str, want: list[tuple[str, str | None]]) -> None:
    assert [(f.function, f.module) for f in parse_frames(line)] == want


_ARM_HUNG = """INFO: task kworker/0:1:25 blocked for more than 120 seconds.
      Not tainted 3.10.0 #1
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
kworker/0:1     D c04e4b5c     0    25      2 0x00000000
[<c04e4b5c>] (__schedule+0x39c/0x7f4) from [<c04e2e40>] (schedule_timeout+0x1d4/0x220)
[<c04e2e40>] (schedule_timeout+0x1d4/0x220) from [<c04e4058>] (wait_for_common+0x104/0x180)
[<c04e4058>] (wait_for_common+0x104/0x180) from [<bf0001a0>] (foo_sync+0x40/0x80 [foo_drv])
[<bf0001a0>] (foo_sync+0x40/0x80 [foo_drv]) from [<c0040abc>] (process_one_work+0x1b0/0x4c0)
"""

_ARM_WARN_517 = """------------[ cut here ]------------
WARNING: CPU: 0 PID: 1 at drivers/foo/foo.c:120 foo_probe+0x58/0x1c0
Modules linked in:
CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1
Hardware name: BCM2835
 unwind_backtrace from show_stack+0x10/0x14
 show_stack from dump_stack_lvl+0x50/0x64
 dump_stack_lvl from __warn+0x80/0x120
 __warn from warn_slowpath_fmt+0x60/0xb0
 warn_slowpath_fmt from foo_probe+0x58/0x1c0
 foo_probe from platform_drv_probe+0x20/0x5c
---[ end trace 0000000000000000 ]---
"""

_ARM_BUG_517 = """------------[ cut here ]------------
kernel BUG at mm/slub.c:123!
Internal error: Oops - BUG: 0 [#1] SMP ARM
Modules linked in:
CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1
PC is at kfree+0x1a4/0x1b0
LR is at foo_release+0x20/0x40
pc : [<c02a1234>]    lr : [<c0300020>]    psr: 60000013
 kfree from foo_release+0x20/0x40
 foo_release from __fput+0x90/0x230
 __fput from task_work_run+0x9c/0xc0
"""


@pytest.mark.parametrize(
    ("log", "kind", "function"),
    [
        (_ARM_HUNG, "hung-task", "foo_sync"),  # a module frame of the %pS trace
        (_ARM_WARN_517, "warning", "foo_probe"),  # the 5.17 trace, no header
        (_ARM_BUG_517, "bug", "foo_release"),  # the allocator at the PC names its caller
    ],
)
def test_arm32_unwinder_traces_name_the_culprit(log: str, kind: str, function: str) -> None:
    for prefix in ("", "[   12.345678] "):
        report = analyze("".join(prefix + line + "\n" for line in log.splitlines()))
        assert (report.kind, report.function, report.corrupted) == (kind, function, False)


def test_arm32_line_without_a_caller_offset_is_no_frame() -> None:
    assert parse_frames(" foo_probe from platform_drv_probe") == ()
    assert parse_frames("[<c0>] (foo_probe) from [<c1>] (platform_drv_probe)") == ()


@pytest.mark.parametrize("log", [_ARM_HUNG, _ARM_WARN_517, _ARM_BUG_517])
def test_arm32_culprits_keep_the_version_3_key_as_an_alias(log: str) -> None:
    # Version 3 read no arm32 trace without a header nor a module inside the parentheses: the key it
    # gave (`in corrupted`, or the allocator's) stays an alias; a log it read alike gets none extra.
    report = analyze(log)
    same = "kc3-" + report.fingerprint.split("-", 1)[1]
    assert [k for k in report.fingerprint_aliases if k.startswith("kc3-") and k != same]
    read_alike = analyze(_ARM_HUNG.replace(" [foo_drv])", ")").replace("kworker/0:1     D", "Call Trace:\nkworker/0:1     D"))
    same = "kc3-" + read_alike.fingerprint.split("-", 1)[1]
    assert read_alike.function == "foo_sync"
    assert not [k for k in read_alike.fingerprint_aliases if k.startswith("kc3-") and k != same]


# --- x86 double fault (arch/x86/kernel/traps.c): 2.6-3.x printed only die()'s header -------------------

_DF_TAIL = (
    "Modules linked in: foo\n"
    "CPU: 0 PID: 1 Comm: x Not tainted 3.10.0 #1\n"
    "RIP: 0010:[<ffffffff81000000>]  [<ffffffff81000000>] foo_fn+0x10/0x20\n"
    "Call Trace:\n"
    " [<ffffffff81000100>] bar_fn+0x10/0x20\n"
    "Kernel panic - not syncing: Fatal exception\n"
)


@pytest.mark.parametrize(
    "head",
    [
        "double fault: 0000 [#1] SMP\n",  # do_double_fault -> die("double fault"): __die's header alone
        "PANIC: double fault, error_code: 0x0\ndouble fault: 0000 [#1] SMP\n",  # later kernels: both lines
    ],
)
def test_double_fault_in_either_kernel_format(head: str) -> None:
    for prefix in ("", "[ 1156.703451] "):
        report = analyze("".join(prefix + line + "\n" for line in (head + _DF_TAIL).splitlines()))
        assert (report.kind, report.function, report.corrupted) == ("double-fault", "foo_fn", False)


def test_double_fault_words_in_a_driver_line_are_no_header() -> None:
    report = analyze("usb 1-1: double fault: retrying\n" + _DF_TAIL)
    assert report.kind != "double-fault"


# --- unstamped headers in stamped logs (normalize.header_lines) ----------------------------------------


def _unstamp(text: str, header: str) -> str:
    """The log with the timestamp (and log level) of the first line holding `header` cut off."""
    lines = text.split("\n")
    n = next(i for i, line in enumerate(lines) if header in line)
    lines[n] = lines[n][lines[n].index(header) :]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("path", "header", "title"),
    [
        # kernel/panic.c __warn: `WARNING: CPU: %d PID: %d at %pS`, then print_modules, dump_stack.
        ("chromiumos/TEST_WARNING.txt", "WARNING: CPU:", "WARNING in ttm_bo_mmap"),
        # arch/x86/mm/fault.c show_fault_oops: `BUG: unable to handle kernel ...`, then `IP:`, __die's `Oops:`.
        ("telemetrics-client/bug_kernel_handle.txt", "BUG: unable", "BUG: unable to handle kernel paging request in _nv007245rm"),
    ],
)
def test_unstamped_header_with_the_kernel_report_body_below_is_a_report(path: str, header: str, title: str) -> None:
    # (a kernel line first: an unstamped first line is a wrapped ring buffer's fragment, normalize.LogLines)
    text = "<6>[    1.000000] Switched to clocksource tsc\n" + (PRODUCTION / path).read_text()
    assert analyze(text).title == title
    report = analyze(_unstamp(text, header))
    assert (report.title, report.corrupted) == (title, False)


def test_unstamped_header_takes_the_context_of_the_first_stamped_body_line() -> None:
    # The header and `Modules linked in:` lost their stamps, the CPU line and the trace kept theirs.
    text = "<6>[    1.000000] Switched to clocksource tsc\n" + (PRODUCTION / "chromiumos" / "TEST_WARNING.txt").read_text()
    report = analyze(_unstamp(_unstamp(text, "WARNING: CPU:"), "Modules linked in:"))
    assert (report.title, report.corrupted) == ("WARNING in ttm_bo_mmap", False)


def test_unstamped_header_words_without_a_report_body_stay_user_space() -> None:
    # Negatives: a program's own `WARNING:`/`BUG:` lines on a console whose kernel lines are stamped,
    # followed by ordinary kernel lines or by more of the program's output, are no crash.
    kernel = "".join(f"[   {10 + n}.000000] e1000e 0000:00:19.0 eth0: NIC Link is Up\n" for n in range(20))
    for quoted in (
        "WARNING: Unsupported flag value(s) of 0x%x in DT_FLAGS_1.\n",
        "BUG: soft lockup reported by the watchdog test suite, see the docs\n",
        "WARNING: CPU: 3 PID: 12 at drivers/foo.c:12 foo+0x1/0x2 (quoted by a bug tracker)\nIP: 10.0.0.1\n",
    ):
        assert analyze(kernel + quoted + kernel).kind == "none"
    # A kernel report body further down than a report's own lines does not count.
    far = kernel + "WARNING: Unsupported flag value\n" + kernel[:400] + "[   40.000000] Modules linked in: e1000e\n"
    assert analyze(far).kind == "none"


# --- crash types of titles (kcrashd.core.title.title_type, syzkaller's crash types) ----------------------


@pytest.mark.parametrize(
    ("title", "crash_type"),
    [
        # mm/kasan/report.c: `Write of size %zu at addr`: a write of any bug type is a KASAN write ...
        ("KASAN: slab-out-of-bounds Write in napi_hash_del", "KASAN-WRITE"),
        ("KASAN: global-out-of-bounds Write in foo", "KASAN-WRITE"),
        # ... but the bug types with rows of their own keep them, and reads stay reads.
        ("KASAN: use-after-free Write in foo", "KASAN-USE-AFTER-FREE-WRITE"),
        ("KASAN: null-ptr-deref Write in foo", "KASAN-NULL-POINTER-DEREFERENCE-WRITE"),
        ("KASAN: slab-out-of-bounds Read in foo", "KASAN-READ"),
        ("KASAN: slab-out-of-bounds in Writeback at addr ADDR", "KASAN-READ"),
        # lockdep's RCU check with a culprit; the bare message (the report was cut) is a WARNING.
        ("WARNING: suspicious RCU usage in foo", "LOCKDEP"),
        ("WARNING: suspicious RCU usage", "WARNING"),
        # the trusty TEE's panics take the machine down
        ("trusty: panic: failed(-NUM) to start app NUM", "DoS"),
        ("trusty: ASSERT FAILED: list_in_list(&ref->ref_node)", "DoS"),
    ],
)
def test_crash_types_of_titles(title: str, crash_type: str) -> None:
    assert title_type(title) == crash_type


# --- `INFO:` lines (events._NEEDS_SIGNATURE): the kernel's INFO reports each have a row ---------------------


@pytest.mark.parametrize(
    "line",
    [
        # a driver's own log-level tag and a daemon's `prog:INFO:func:` prefix
        "CAM_INFO: CAM-ISP: cam_isp_dev_probe: 122 Camera ISP probe complete",
        "rmt_storage:INFO:check_support_using_libmdm: Modem subsystem found on target!",
        "INFO: Camera JPEG probe complete",
    ],
)
def test_info_notices_of_no_kernel_report_are_no_report(line: str) -> None:
    assert analyze(f"[    3.906407] {line}\n").kind == "none"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        # the kernel's own `INFO: ` headers (kernel/hung_task.c `INFO: task %s:%d blocked for more than`,
        # kernel/rcu/tree_stall.h `INFO: %s detected stalls on CPUs/tasks:`)
        ("INFO: task kworker/0:1:12 blocked for more than 120 seconds.", "hung-task"),
        ("INFO: rcu_sched detected stalls on CPUs/tasks:", "rcu-stall"),
    ],
)
def test_kernel_info_headers_stay_reports(line: str, kind: str) -> None:
    assert analyze(f"[  100.000000] {line}\n").kind == kind


# --- the Go runtime's fatal error (a fuzzer or agent in the guest) --------------------------------------


_GO_DUMP = "\ngoroutine 1 [running]:\nruntime.throw({0x4772bc?, 0x20000?})\n\truntime/panic.go:1047 +0x5d\n"


def test_go_fatal_error_with_its_goroutine_dump_is_a_go_runtime_error() -> None:
    # runtime/panic.go throw -> fatalthrow: `fatal error: %s`, then the goroutine traceback.
    report = analyze("[   10.000000] syz-fuzzer started\nfatal error: out of memory\n" + _GO_DUMP)
    assert report.title == "go runtime error"
    report = analyze("fatal error: runtimer: bad p\n\nruntime stack:\nfatal: bad g in signal handler\n")
    assert report.title == "go runtime error"


def test_fatal_error_words_without_a_goroutine_dump_are_no_crash() -> None:
    # Negative: a kernel message's tail split onto a line of its own by interleaved console output
    # (`ALSA: seq fatal error: cannot create timer (-22)`), a goroutine dump too far below.
    log = (
        "[   69.295771][ T2742] ALSA: seq fatal error: cannot create timer (-22)\n"
        "fatal error: cannot create timer (-22)\n"
        "[   69.303665][ T2742] ALSA: seq fatal error: cannot create timer (-22)\n"
    )
    assert analyze(log).kind == "none"
    far = "fatal error: cannot create timer (-22)\n" + "[   70.000000] ok\n" * 12 + _GO_DUMP
    assert analyze(far).kind == "none"


# --- a fault header printed in pieces (2.6-3.x arch/x86/mm/fault.c show_fault_oops, KERN_CONT) ------------


def test_cut_fault_header_takes_its_kind_from_the_continuation_line() -> None:
    # `BUG: unable to handle kernel `, another message, then the KERN_CONT piece on a line of its own:
    # the title stays the cut header's (syzkaller's), the kind is the fault the kernel named.
    report = analyze((PRODUCTION / "telemetrics-client" / "nologlevel_notimestamp.txt").read_bytes())
    assert (report.title, report.kind, report.corrupted) == ("BUG: unable to handle kernel", "null-deref", True)


def test_cut_fault_header_continued_as_a_paging_request_stays_a_paging_fault() -> None:
    # Negative: the continuation names a paging request; and a NULL dereference far below is another report's.
    log = (
        "BUG: unable to handle kernel \n"
        "vboxsf: Successfully loaded version 4.0.4\n"
        "paging request at f9987205\n"
        "IP: [<f9987205>] vbglDriverIOCtl+0x8/0x13 [vboxsf]\n"
    )
    assert analyze(log).kind == "paging-fault"
    far = "BUG: unable to handle kernel \n" + "noise\n" * 10 + "NULL pointer dereference at 00000004\n"
    assert analyze(far).kind == "paging-fault"


# --- A panic that only says an oops was fatal, the oops's header lost (arch/x86/kernel/dumpstack.c
# oops_end: panic("Fatal exception") right after __die's register dump) -------------------------------

_FATAL_AFTER_REGISTERS = (
    "[    5.765287] RIP: 0010:ec_probe_features+0xf/0xed\n"
    "[    5.771229] Code: 00 00 00 89 d8 5b c3 48 8b 7f 08 <83> bf 6c 03 00 00 ff 75 6e\n"
    "[    5.792516] RSP: 0018:ffff9e7f809b7a30 EFLAGS: 00210202\n"
    "[    5.798645] RAX: ffff910046f8f000 RBX: 0000000000000029 RCX: 000000000005db60\n"
    "[    5.849292] CS:  0010 DS: 002b ES: 002b CR0: 0000000080050033\n"
    "[    5.864254] PKRU: 55555554\n"
    "[    5.867574] Kernel panic - not syncing: Fatal exception\n"
    "[    5.873722] Kernel Offset: 0x3bc00000 from 0xffffffff81000000\n"
)


def test_fatal_exception_panic_below_a_headerless_register_dump_names_its_pc() -> None:
    report = analyze(_FATAL_AFTER_REGISTERS)
    assert report.title == "kernel panic: Fatal exception"
    assert report.function == "ec_probe_features"
    assert report.corrupted  # the oops's header is still lost


def test_fatal_exception_panic_with_other_lines_above_names_no_function() -> None:
    log = _FATAL_AFTER_REGISTERS.replace("[    5.864254] PKRU: 55555554\n", "[    5.864254] usb 1-1: new device found\n")
    report = analyze(log)
    assert report.title == "kernel panic: Fatal exception"
    assert report.function is None


def test_fatal_exception_panics_of_two_culprits_are_two_keys() -> None:
    # The message names no bug (syzkaller marks a report titled by it alone corrupted): the key names the culprit
    # where one was read (the signature's `kernel panic: {1} in {F}` alternative), so that two oopses whose headers
    # were lost do not share one ticket; version 3 keyed on the title alone, and that key stays an alias.
    first = analyze(_FATAL_AFTER_REGISTERS)
    other = analyze(_FATAL_AFTER_REGISTERS.replace("ec_probe_features", "mydrv_probe"))
    assert first.title == other.title == "kernel panic: Fatal exception"
    assert first.fingerprint != other.fingerprint
    assert first.fingerprint == fingerprint_title("kernel panic: Fatal exception in ec_probe_features")
    title_key = "kc3-" + fingerprint_title("kernel panic: Fatal exception").split("-", 1)[1]
    assert title_key in first.fingerprint_aliases and title_key in other.fingerprint_aliases
    # Negative: without a culprit the title is the key, as before.
    lone = analyze(_FATAL_AFTER_REGISTERS.replace("[    5.864254] PKRU: 55555554\n", "[    5.864254] usb 1-1: new device\n"))
    assert lone.function is None and lone.fingerprint == fingerprint_title("kernel panic: Fatal exception")


def test_fatal_exception_panic_past_the_end_marker_reads_the_i386_summary_line() -> None:
    log = (
        "<4>[  180.492137]  [<790ac0aa>] vfs_write+0x85/0xe4\n"
        "<0>[  180.492137] Code: c6 44 05 b2 00 89 d8 e8 0c ef 09 00 85 c0 75 04 <0f> 0b eb fe ba 58 47\n"
        "<0>[  180.492137] EIP: [<790e22a4>] breakme_write+0x80/0x108 SS:ESP 0068:aa3e9efc\n"
        "<4>[  180.501800] ---[ end trace 2a6b72965e1b1523 ]---\n"
        "<0>[  180.502026] Kernel panic - not syncing: Fatal exception\n"
    )
    report = analyze(log)
    assert report.title == "kernel panic: Fatal exception"
    assert report.function == "breakme_write"


# --- lib/smp_processor_id.c check_preemption_disabled: `caller is %pS` below its header ---------------

_PREEMPTIBLE = (
    "[   84.600934] BUG: using __this_cpu_read() in preemptible [00000000] code: trinity-c4/1161\n"
    "[   84.603374] caller is lockdep_hardirqs_on_prepare+0x2f/0x1c0\n"
    "[   84.605478] CPU: 1 PID: 1161 Comm: trinity-c4 Not tainted 5.9.0-rc8 #1\n"
    "[   84.610030] Call Trace:\n"
    "[   84.611839]  dump_stack+0x8d/0xb5\n"
    "[   84.613695]  check_preemption_disabled+0xc3/0xe0\n"
    "[   84.615623]  lockdep_hardirqs_on_prepare+0x2f/0x1c0\n"
    "[   84.617562]  trace_hardirqs_on+0x40/0x100\n"
)


def test_preemptible_report_whose_frames_are_all_generic_names_its_caller_line() -> None:
    report = analyze(_PREEMPTIBLE)
    assert report.title == "BUG: using __this_cpu_read() in preemptible code in lockdep_hardirqs_on_prepare"


def test_preemptible_report_without_a_caller_line_or_frame_stays_corrupted() -> None:
    report = analyze(_PREEMPTIBLE.replace("caller is", "callers:"))
    assert report.title.endswith("in corrupted")


def test_slub_double_free_is_titled_as_syzkaller_and_keyed_on_the_invalid_free_bucket() -> None:
    # mm/slub.c free_consistency_checks -> object_err(..., "Object already free") -> slab_bug `BUG %s (%s): %pV`.
    report = analyze((EDGE / "slub-double-free.log").read_bytes())
    assert (report.title, report.function, report.alt_titles) == (
        "BUG: Object already free", "mydrv_ioctl", ["invalid-free in mydrv_ioctl"])
    # Keyed on the bucket, not the title every double free shares.
    other = analyze((EDGE / "slub-double-free.log").read_bytes().replace(b"mydrv_ioctl", b"otherdrv_ioctl"))
    assert other.title == report.title and other.fingerprint != report.fingerprint


def test_object_already_free_outside_slub_is_no_double_free() -> None:
    # Negative: a driver's own message with the phrase is not SLUB's `BUG <cache> (<taint>): ` line.
    log = "[    5.000000] mydrv 0000:00:03.0 Object already freed by firmware\n"
    assert analyze(log).title == ""


def test_dentry_in_use_title_drops_the_dentry_it_names() -> None:
    # fs/dcache.c umount_check: the address, inode number and name change from boot to boot.
    report = analyze((EDGE / "dentry-in-use.log").read_bytes())
    assert (report.title, report.signature) == ("BUG: Dentry still in use in unmount", "dentry-in-use")
    assert report.fingerprint_aliases  # version 3's title (the generic BUG row's) continues


def test_a_dentry_bug_line_of_another_shape_stays_generic() -> None:
    # Negative: no `still in use (N) [unmount of` tail, not umount_check's message.
    log = "[    5.000000] BUG: Dentry cache corrupted\n[    5.000001] Call Trace:\n[    5.000002]  mydrv_probe+0x10/0x20\n"
    assert analyze(log).signature == "bug-generic"


_MM_WARN = (
    "WARNING: CPU: 0 PID: 1 at mm/{file}.c:{line} {site}+0xb8/0x3b0\n"
    "RIP: 0010:{site}+0xb8/0x3b0\n"
    "Call Trace:\n"
    " mydrv_setup+0x5a/0xc0 [mydrv]\n"
    " mydrv_probe+0x47/0x2f0 [mydrv]\n"
)


@pytest.mark.parametrize(("file", "site", "title"), [
    ("util", "kvmalloc_node", "WARNING: kmalloc bug in mydrv_setup"),
    ("slab_common", "kmalloc_slab", "WARNING: kmalloc bug in mydrv_setup"),
    ("page_alloc", "kmalloc_large", "WARNING: kmalloc bug in mydrv_setup"),
    ("vmalloc", "__vmalloc_node_range", "WARNING: zero-size vmalloc in mydrv_setup"),
    ("usercopy", "usercopy_warn", "WARNING: bad usercopy in mydrv_setup"),
])  # fmt: skip
def test_mm_warnings_with_a_class_of_their_own(file: str, site: str, title: str) -> None:
    # An allocator entry's WARN (its name starts with `malloc` after at most two letters) in any mm/ file, the
    # zero-size check of __vmalloc_node*, and mm/usercopy.c's, as syzkaller classes them.
    assert analyze(_MM_WARN.format(file=file, line=107, site=site)).title == title


@pytest.mark.parametrize(("file", "site", "culprit"), [
    ("slab_common", "__kmem_cache_create_args", "mydrv_setup"), ("vmalloc", "vunmap_range", "vunmap_range"),
    ("slub", "free_debug_processing", "mydrv_setup"), ("page_alloc", "__alloc_pages", "mydrv_setup"),
])  # fmt: skip
def test_other_mm_warnings_are_generic_with_version_3s_class_key(file: str, site: str, culprit: str) -> None:
    report = analyze(_MM_WARN.format(file=file, line=107, site=site))
    assert report.title == f"WARNING in {culprit}"
    if file != "page_alloc":  # version 3 classed the files it listed
        assert report.signature == "warn-mm-unclassed" and report.fingerprint_aliases


# --- a report whose trace the log lost is corrupted, as syzkaller's check finds it (its pkg/report isCorrupted) -------

_FAULT_HEADER = (
    "[   55.112844] BUG: unable to handle kernel NULL pointer dereference at 000000000000001a\n"
    "[   55.113569] IP: skb_release_data+0x258/0x470\n"
)


def test_a_fault_quoted_as_its_header_and_pc_line_is_corrupted() -> None:
    # The PC line names the culprit, but no trace follows it: a fragment.
    report = analyze(_FAULT_HEADER)
    assert (report.title, report.corrupted) == ("BUG: unable to handle kernel NULL pointer dereference in skb_release_data", True)
    assert report.corrupted_reason == "no stack trace in report"
    # Negative: the same fault with its trace is whole.
    whole = analyze(_FAULT_HEADER + "[   55.113600] Call Trace:\n[   55.113601]  skb_release_all+0x46/0x60\n"
                    "[   55.113602]  consume_skb+0x9b/0x1a0\n")
    assert not whole.corrupted


def test_a_call_trace_header_with_no_frame_below_it_is_corrupted() -> None:
    # x86's double fault: die() prints `Call Trace:` and then nothing the unwinder found before the panic's own dump.
    log = (
        "[   10.584905] PANIC: double fault, error_code: 0x0\n"
        "[   10.587519] RIP: 0010:compat_sock_ioctl+0xfea/0x103e\n"
        "[   10.593623] Call Trace:\n"
        "[   10.593858] Code: 02 0f ff 65 48 8b 04 25 80 d1 00 00\n"
        "[   10.595705] Kernel panic - not syncing: Machine halted.\n"
        "[   10.597786] Call Trace:\n"
        "[   10.598216]  dump_stack+0x8f/0xc4\n"
        "[   10.598527]  panic+0xda/0x22f\n"
    )
    report = analyze(log)
    assert report.title == "PANIC: double fault in compat_sock_ioctl"
    assert report.corrupted_reason == "no frames in a stack trace"
    # Negatives: a trace of `?` guesses (kernels without frame pointers) and one in a quote's other forms are frames.
    for frame in ("[   10.593900]  [<ffffffff81473d28>] ? compat_sock_ioctl+0xfea/0x103e\n",
                  "[   10.593900]  .compat_sock_ioctl+0xfea/0x103e (unreliable)\n"):
        assert not analyze(log.replace("[   10.593858] Code:", frame + "[   10.593858] Code:")).corrupted, frame
