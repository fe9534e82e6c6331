"""Call-trace lines of every architecture, and the skip lists that pick the culprit frame.

A crash's culprit is the first frame that is not the messenger (reporting, exception entry), nor
shared infrastructure (allocator, locking, string and list helpers) whose caller is the real bug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SYM = r"[A-Za-z_$][A-Za-z0-9_$.]*"
_OFF = r"\+0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?"
_MOD = r"(?:\s+\[(?P<mod>[A-Za-z0-9_\-]+)(?:\s+[0-9a-f]+)?\])?"
_RUST = r"<[^>]{1,200}>::[A-Za-z0-9_]+"

# One entry per frame shape: arm32, x86 (old and new), arm64, riscv, s390x, ppc64.
_FRAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    # arm32 `[<c0>] (callee+0x1/0x2) from [<c0>] (caller+0x1/0x2)` yields two functions
    re.compile(
        rf"^\s*\[<[0-9a-fA-F]+>\]\s+\((?P<fn>{_SYM}|{_RUST})(?:{_OFF})?\) from \[<[0-9a-fA-F]+>\]\s+"
        rf"\((?P<fn2>{_SYM}){_OFF}\)"
    ),
    # x86 <= 4.8, s390x, riscv, arm64 with addresses: `[<ffffffff81167230>] ? func+0x60/0x70 [mod]`
    re.compile(rf"^\s*\(?\[<[0-9a-fA-F]+>\]\s+(?P<q>\?\s+)?(?P<fn>{_SYM}|{_RUST}){_OFF}{_MOD}"),
    # ppc64: `[c000...] [c000...] func+0x1/0x2 (unreliable)`
    re.compile(rf"^\s*\[[0-9a-fA-F]+\]\s+\[[0-9a-fA-F]+\]\s+\.?(?P<fn>{_SYM}){_OFF}{_MOD}(?P<unrel>\s+\(unreliable\))?"),
    # new x86 / arm64 / riscv: ` func+0x1/0x2 [mod]`, `? func+...`, Rust `<T as Tr>::f+0x`
    re.compile(rf"^\s*(?P<q>\?\s+)?(?P<fn>{_SYM}|{_RUST}){_OFF}{_MOD}(?:\s|$)"),
)

# The faulting-PC line of each architecture: x86 RIP/EIP, arm64/riscv pc/epc, arm PC is at, ppc NIP,
# s390 PSW.
FAULT_PC = re.compile(
    rf"(?:\b(?:RIP|EIP|IP): (?:[0-9a-fA-F]{{4}}:)?(?:\[<[0-9a-fA-F]+>\]\s+){{0,2}}|^\s*RIP\s+\[<[0-9a-fA-F]+>\]\s+|"
    rf"^\s*(?:pc|epc)\s*:\s*(?:\[<[0-9a-fA-F]+>\]\s+)?|^PC is at |^\s*NIP\s*:?\s*\[[0-9a-fA-F]+\]\s+\.?|"
    rf"Krnl PSW\s*:\s*[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+\()(?P<fn>{_SYM}){_OFF}"
)
# Lines after which a new stack starts (one culprit list per stack).
STACK_START = re.compile(
    r"^(?:\s*Call Trace:?|\s*Call trace:|\s*Backtrace:|Allocated by task \d+|Freed by task \d+|"
    r"\s*backtrace(?: \(crc [0-9a-f]+\))?:|Uninit was (?:stored to memory|created) at:|"
    r"\s*status: [0-9a-f]+ badaddr: [0-9a-f]+ cause: )"
)

_SUFFIX = re.compile(r"(?:\.(?:isra|constprop|cold|part|llvm|lto_priv|localalias|ipa|specialized)(?:\.\d+)*)+$|\.\d+$")


@dataclass(slots=True, frozen=True)
class FrameLine:
    """A frame found on one line: cleaned name, offset, module, reliability."""

    function: str
    offset: str | None
    module: str | None
    reliable: bool


def clean_function(name: str) -> str:
    """Drop compiler clone suffixes (`.isra.0`, `.cold`, `.constprop.3`, `.part.1`) and ppc dots."""
    if name.startswith(".") and len(name) > 1:
        name = name[1:]
    if "." not in name:
        return name
    if name.startswith("<"):
        return name
    return name.split(".", 1)[0] if not name.startswith("$") else _SUFFIX.sub("", name)


@lru_cache(maxsize=16384)
def parse_frames(text: str) -> tuple[FrameLine, ...]:
    """The frames on one call-trace line (two for arm32 `x from y`), empty if it is no frame line."""
    if "+0x" not in text:
        if "(stack is not available)" in text:
            return (FrameLine("(stack is not available)", None, None, True),)
        return ()
    for pat in _FRAME_PATTERNS:
        m = pat.match(text)
        if m is None:
            continue
        groups = m.groupdict()
        questionable = bool(groups.get("q")) or bool(groups.get("unrel"))
        if "<EOI>" in text:
            questionable = False
        rest = text[m.start("fn") :]
        off = rest.split("+", 1)[1].split()[0].rstrip(")") if "+" in rest else None
        out = [FrameLine(clean_function(m.group("fn")), off, groups.get("mod"), not questionable)]
        if groups.get("fn2"):
            out.append(FrameLine(clean_function(groups["fn2"]), None, None, not questionable))
        return tuple(out)
    return ()


@lru_cache(maxsize=8192)
def fault_pc(text: str) -> str | None:
    """The function of a faulting-PC line (x86 RIP, arm64 pc, ppc NIP, s390 PSW), else None."""
    if "+0x" not in text:
        return None
    m = FAULT_PC.search(text)
    return clean_function(m.group("fn")) if m else None


# --- skip lists (data) ----------------------------------------------------------------------
# Regexps searched in the cleaned function name.  Grouped by why the frame is not the culprit.
SKIP_REPORTING = (
    r"^(?:__)?kasan", r"^__asan", r"^asan_", r"kmsan", r"^__msan", r"hwasan", r"^kcsan_setup_watchpoint",
    r"^check_memory_region", r"^print_address_description", r"^print_report", r"^dump_stack",
    r"^show_stack", r"^dump_backtrace", r"^walk_stack", r"^arch_stack_walk", r"^stack_trace_",
    r"^save_stack", r"^kfence_", r"^__kfence", r"^panic$", r"^vpanic$", r"^__warn", r"^warn_slowpath",
    r"^warn_bogus", r"^report_bug", r"^fixup_bug", r"^handle_bug", r"^do_trap", r"^do_error",
    r"^do_invalid_op", r"^invalid_op", r"^exc_invalid_op", r"^asm_exc_", r"^exc_", r"^program_check",
    r"^__might_sleep", r"^__might_fault", r"^__might_resched", r"^___might_sleep", r"^might_fault",
    r"^__fortify_report", r"^fortify_panic", r"^__fortify_panic", r"^print_tainted", r"^print_hex_dump",
    r"^hex_dump", r"^__dump_stack", r"^show_regs", r"^__show_regs", r"^printk", r"^vprintk",
    r"^_printk", r"^ubsan_", r"^__ubsan", r"^kmemleak", r"^should_fail",
    r"^debug_print_object", r"^lockdep_", r"^__lock_acquire", r"^lock_acquire",
    r"^lock_release", r"^print_usage_bug", r"^mark_lock", r"^__bad_area", r"^bad_area",
    r"^nmi_cpu_backtrace", r"^nmi_trigger_cpumask_backtrace", r"^arch_trigger_cpumask_backtrace",
    r"^check_preemption_disabled", r"^debug_smp_processor_id",
    r"^die$", r"^__die", r"^oops_", r"^crash_kexec", r"^__crash_kexec", r"^machine_kexec",
    r"^no_context", r"^page_fault_oops", r"^kernelmode_fixup_or_oops", r"^__do_kernel_fault",
    r"^do_kernel_fault", r"^die_kernel_fault", r"^do_page_fault", r"^__do_page_fault",
    r"^handle_page_fault", r"^page_fault$", r"^do_user_addr_fault",
    r"^do_general_protection", r"^general_protection", r"^do_divide_error", r"^divide_error",
    r"^do_bad_area", r"^do_translation_fault", r"^do_mem_abort", r"^el1_abort", r"^el1_da",
    r"^el1h_64_sync", r"^el1_sync", r"^el1h_64_error", r"^do_sea", r"^arm64_notify_die",
    r"^__arm64_notify", r"^bug_handler", r"^call_break_hook", r"^brk_handler", r"^do_debug_exception",
    r"^el1_dbg", r"^do_alignment", r"^do_DataAbort", r"^do_PrefetchAbort",
    r"^__dabt_svc", r"^__und_svc", r"^do_undefinstr", r"^__do_user_fault",
    r"^__bug_on", r"^bad_page$", r"^__stack_chk_fail", r"^stack_protector",
    r"^refcount_warn_saturate", r"^refcount_error_report", r"^rust_begin_unwind", r"rust_begin_unwind$",
    r"panic$", r"^panic_", r"panic_on_warn", r"^print_", r"^debug_check_no_", r"^_*debug_object",
    r"_is_static_object$",
    r"^trace_hardirqs", r"^perf_trace", r"^__traceiter", r"^__bpf_trace", r"^__sanitizer_",
    r"^write_comp_data", r"^__tsan",
)
SKIP_ALLOCATOR = (
    r"kmalloc", r"kzalloc", r"kvmalloc", r"kcalloc", r"krealloc", r"kmem_cache", r"^kfree", r"^kvfree",
    r"^__kfree_skb", r"^slab_", r"^___slab", r"^__slab", r"^slub_", r"^alloc_pages",
    r"^__alloc_pages", r"^alloc_page", r"^__get_free_pages", r"^get_zeroed_page", r"^page_alloc",
    r"^free_pages", r"^__free_pages", r"^free_page", r"^folio_alloc", r"^__folio_alloc", r"^vmalloc",
    r"^__vmalloc", r"^vfree", r"^vzalloc", r"^kmemdup", r"^kstrdup", r"^pagecache_get_page",
    r"^__filemap_get_folio", r"^filemap_get_folio", r"^filemap_alloc_folio", r"^read_cache_page",
    r"^do_read_cache", r"^xas_", r"^xa_", r"^dput$", r"^iput$", r"^mempool_",
    r"^__kmalloc", r"^alloc_slab", r"^new_slab", r"^allocate_slab", r"^setup_object",
    r"^__kmem", r"^memdup_user", r"^__free_one_page", r"^free_unref_page", r"^free_pcp",
    r"^free_pages_prepare", r"^free_pcppages_bulk", r"^__free_pages_ok", r"^page_frag_alloc",
    r"^__kvmalloc", r"^kvrealloc", r"^do_slab_free", r"^__do_kmalloc", r"^pcpu_",
    r"^set_freepointer", r"^__set_freepointer", r"^___cache_free", r"^__cache_free", r"^cache_free_debugcheck",
    r"^free_debug_processing", r"^__free_slab", r"^discard_slab", r"^free_to_partial_list", r"^__alloc_frozen_pages",
)
SKIP_LOCKING = (
    r"^_raw_spin", r"^_raw_read", r"^_raw_write", r"^raw_spin", r"^spin_(?:lock|unlock|trylock|is_locked)",
    r"^do_raw_spin", r"^__raw_spin", r"^queued_spin", r"^__pv_queued", r"^pv_queued",
    r"^queued_read", r"^queued_write", r"^do_raw_read", r"^do_raw_write", r"^read_lock", r"^write_lock",
    r"^read_unlock", r"^write_unlock", r"^mutex_", r"^__mutex", r"^ww_mutex", r"^__ww_mutex",
    r"^down_read", r"^down_write", r"^down$", r"^down_(?:interruptible|killable|timeout|trylock)", r"^__down",
    r"^up_read", r"^up_write", r"^up$", r"^rwsem_", r"^__rwsem", r"^rt_mutex", r"^__rt_mutex", r"^rtlock",
    r"^osq_", r"^atomic_", r"^arch_atomic", r"^raw_atomic", r"^__atomic", r"^test_and_", r"^set_bit",
    r"^clear_bit", r"^__set_bit", r"^__clear_bit", r"^refcount_", r"^__refcount", r"^kref_",
    r"^complete(?:_all|_on_|_and_exit)?$", r"^wait_for_completion", r"^__wait_for_common", r"^wait_for_common",
    r"^do_wait_for_common", r"^__wake_up", r"^trace_hardirqs", r"^__local_bh", r"^local_bh",
    r"^seqcount", r"^write_seqcount", r"^read_seqcount", r"^__seqprop", r"^percpu_down", r"^percpu_up",
    r"^__percpu_down", r"^rcu_lock_", r"^rcu_read_lock", r"^rcu_read_unlock", r"^__rcu_read",
    r"^lock_timer_base", r"^_atomic_dec_and_lock", r"^debug_lockdep", r"^check_noncircular",
    r"^check_prev_add", r"^check_prevs_add", r"^validate_chain", r"^__lock_release",
    r"^lock_(?:acquired|contended|timer_base)$", r"_(?:read|write)_lock$", r"^mark_held_locks", r"^bit_wait", r"^out_of_line_wait",
    r"^__wait_on_bit", r"^wait_on_bit", r"^finish_wait", r"^prepare_to_wait",
)
SKIP_HELPERS = (
    r"^mem(?:cpy|move|set|cmp|chr|scan|dup)", r"^__mem(?:cpy|move|set)",
    r"^str(?:cpy|ncpy|lcpy|scpy|cmp|ncmp|len|nlen|cat|ncat|chr|rchr|str|dup|sep|lcat|casecmp|ncasecmp|spn|cspn|pbrk)\b",
    r"^__str", r"^snprintf", r"^vsnprintf", r"^sprintf", r"^vsprintf", r"^scnprintf", r"^vscnprintf",
    r"^string$", r"^pointer$", r"^format_decode", r"^copy_to_user", r"^copy_from_user",
    r"^_copy_to_user", r"^_copy_from_user", r"^__copy_", r"^copy_user", r"^raw_copy", r"^copy_to_iter",
    r"^copy_from_iter", r"^_copy_to_iter", r"^_copy_from_iter", r"^copy_page_to_iter",
    r"^copy_page_from_iter", r"^get_user", r"^put_user", r"^__get_user",
    r"^__put_user", r"^strncpy_from_user", r"copy_(?:to|from)_user$", r"^rb_(?:insert|erase|next|prev|first|last|replace)", r"^__rb_",
    r"^crc", r"^__crc", r"^read[bwlq]$", r"^write[bwlq]$", r"^__raw_read", r"^__raw_write", r"^io(?:read|write)\d",
    r"^(?:logic_)?(?:in|out)[bwl]$",
    r"^rhashtable_lookup",
    r"^dev_(?:err|warn|info|notice|printk|emerg|crit|alert|dbg)$", r"^_dev_(?:err|warn|info|notice|printk|emerg|crit|alert)$",
    r"^__dev_printk", r"^dev_printk_emit", r"^dev_vprintk_emit", r"^netdev_(?:err|warn|info|printk)$",
    r"^sort$", r"^bsearch$", r"^fortify_", r"^check_copy_size", r"^check_object_size", r"^__check_object_size",
    r"^usercopy_", r"^__usercopy", r"^skb_put$", r"^skb_push$", r"^skb_pull$", r"^skb_over_panic",
    r"^skb_under_panic", r"^skb_panic",
    r"^__list_add_valid", r"^__list_del_entry_valid", r"^__list_", r"^list_", r"^__hlist_", r"^hlist_",
)
SKIP_INFRA = (
    r"^__flush_workqueue", r"^drain_workqueue", r"^destroy_workqueue",
    r"^flush_work$", r"^__flush_work", r"^cancel_work", r"^__cancel_work", r"^cancel_delayed_work",
    r"^queue_work", r"^__queue_work", r"^queue_delayed_work", r"^__queue_delayed_work",
    r"^mod_delayed_work", r"^del_timer", r"^__del_timer", r"^try_to_del_timer", r"^timer_delete",
    r"^__timer_delete", r"^__mod_timer", r"^mod_timer", r"^add_timer", r"^hrtimer_cancel",
    r"^hrtimer_try_to_cancel", r"^kthread_stop", r"^kobject_", r"^kobj_", r"uevent",
    r"^device_(?:add|del|destroy|release|unregister|register)", r"^get_device_parent$", r"^put_device$",
    r"^devres_", r"^klist_", r"^sysfs_", r"^unregister_netdev", r"^rollback_registered",
    r"^usb_submit_urb", r"^usb_kill_urb", r"^(?:ida|idr)_",
    # inode and buffer-head state helpers WARN when a filesystem hands them an inconsistent
    # object: the filesystem is the culprit.
    r"_nlink$|^mark_buffer_dirty|^__mark_inode_dirty|^mark_inode_dirty",
    r"^usb_start_wait_urb", r"^usb_bulk_msg", r"^usb_control_msg", r"^usb_interrupt_msg",
    r"^cleanup_srcu_struct", r"^_cleanup_srcu_struct",
)
SKIP_ENTRY = (
    r"^__x86_indirect_thunk", r"^__x86_return_thunk", r"^__indirect_thunk", r"^entry_SYSCALL", r"^do_syscall_",
)
GLOBAL_SKIP = re.compile(
    "|".join(SKIP_REPORTING + SKIP_ALLOCATOR + SKIP_LOCKING + SKIP_HELPERS + SKIP_INFRA + SKIP_ENTRY)
)

# Frames where a stall's walk down the stack stops; the culprit is the frame just above: generic
# dispatchers (syscall entry, workqueues, softirq and timer runners, kthreads) and highly
# multiplexed entry points (VFS read/write/ioctl, socket send/receive, netlink, task work).
STALL_ANCHORS = re.compile(
    r"^(?:do_syscall_|__do_fast_syscall|do_fast_syscall|do_int80|invoke_syscall|el0_svc|__invoke_syscall|"
    r"entry_SYSCALL|ret_fast_syscall|vector_swi|system_call|sysenter_dispatch|"
    r"process_one_work|worker_thread|__do_softirq|handle_softirqs|do_softirq|__irq_exit_rcu|irq_exit|"
    r"run_ksoftirqd|call_timer_fn|__run_timers|run_timer_softirq|expire_timers|__hrtimer_run_queues|"
    r"hrtimer_interrupt|__run_hrtimer|tasklet_action|tasklet_action_common|net_rx_action|__napi_poll|napi_poll|"
    r"__netif_receive_skb|netif_receive_skb|process_backlog|"
    r"ret_from_fork|kthread$|vfs_read$|vfs_write$|vfs_ioctl$|do_vfs_ioctl$|__vfs_write$|__vfs_read$|"
    r"new_sync_read|new_sync_write|vfs_readv|vfs_writev|do_iter_read|do_iter_write|"
    r"(?:__x64_|__ia32_|__arm64_|__se_|__do_|compat_|ksys_|SyS_|compat_SyS_)?sys_ioctl$|ksys_ioctl|SyS_ioctl|"
    r"compat_SyS_ioctl|__do_compat_sys_ioctl|compat_sys_ioctl|"
    r"sock_sendmsg|sock_recvmsg|__sock_sendmsg$|__sys_sendmsg|__sys_sendto|"
    r"netlink_rcv_skb|genl_rcv_msg|genl_family_rcv_msg|netlink_unicast|nfnetlink_rcv_msg|nfnetlink_rcv$|"
    r"rtnetlink_rcv_msg|__netlink_dump_start$|netlink_dump$|genl_rcv$|"
    r"task_work_run|__fput$|smp_call_function|do_one_initcall$|do_init_module$|load_module$)"
)

# Page-fault entry inside a stall: the frames above it handled the fault, not the looping code.
FAULT_ENTRY = re.compile(
    r"^(?:handle_mm_fault|__handle_mm_fault|do_user_addr_fault|exc_page_fault|asm_exc_page_fault|page_fault$|"
    r"do_page_fault|__do_page_fault|do_mem_abort|el1_abort|el0_da|do_translation_fault|do_DataAbort)"
)

STALL_EXTRA_SKIP = re.compile(
    r"^(?:apic_timer_interrupt|smp_apic_timer_interrupt|sysvec_apic_timer_interrupt|"
    r"asm_sysvec_apic_timer_interrupt|__sysvec_apic_timer_interrupt|irq_exit|__irq_exit_rcu|"
    r"rcu_|print_cpu_stall|print_other_cpu_stall|check_cpu_stall|update_process_times|"
    r"tick_|watchdog_timer_fn|__hrtimer_run_queues|hrtimer_interrupt|el1h_64_irq|el1_interrupt|"
    r"gic_handle_irq|handle_domain_irq|generic_handle_|__irq_svc|preempt_schedule|"
    r"finish_task_switch|__schedule|schedule)"
)

HANG_SKIP = re.compile(
    r"^(?:__schedule|schedule|schedule_timeout|schedule_preempt_disabled|io_schedule|"
    r"context_switch|__switch_to|__switch_to_asm|switch_to|finish_task_switch|wait_for_completion|"
    r"__wait_for_common|wait_for_common|do_wait_for_common|wait_on_bit|__wait_on_bit|out_of_line_wait|"
    r"bit_wait|prepare_to_wait|finish_wait|"
    r"mutex_lock|__mutex_lock|mutex_lock_nested|mutex_lock_interruptible|mutex_lock_killable|"
    r"down_read|down_write|down$|down_interruptible|down_killable|down_timeout|__down|"
    r"rwsem_down|__rwsem_down|rwsem_|__rwsem|rt_mutex|__rt_mutex|percpu_down|__percpu_down|percpu_rwsem_wait|"
    r"__percpu_rwsem|kthread$|ret_from_fork|_raw_spin|lock_acquire|__lock_acquire|"
    r"schedule_hrtimeout|do_nanosleep|hrtimer_nanosleep|futex_wait|freezable_schedule|__refrigerator|"
    r"wait_woken|woken_wake_function|__cond_resched|preempt_schedule|"
    r"folio_wait_bit|folio_wait_bit_common|__folio_lock|__lock_page|wait_on_page_bit|wait_on_page_bit_common|"
    r"__wait_on_buffer|wait_on_buffer|\w*fdatawait\w*$|io_wait_event|__io_wait_event|"
    r"ldsem_down|sb_wait_write|wait_for_stable_page|msleep|usleep_range|fsleep|console_lock|rcu_barrier)"
)
HANG_RTNL = re.compile(r"^rtnl_lock$|^rtnl_lock_killable$|^__rtnl_lock$")
HANG_SYNC = re.compile(
    r"^(?:synchronize_(?:rcu|srcu|net|sched)|__synchronize_srcu|synchronize_rcu_expedited|"
    r"synchronize_sched_expedited|_synchronize_rcu)"
)

_SYSCALL_PREFIX_ARCH = re.compile(r"^__(?:x64|ia32|arm64|riscv|s390x|s390|x32|powerpc)_(?=(?:compat_)?sys_)")
_SYSCALL_PREFIX = re.compile(
    r"^(?:compat_SyS_|SyS_|SYSC_|C_SYSC_|__se_compat_sys_|__do_compat_sys_|__se_sys_|__do_sys_|ksys_|__sys_|compat_sys_)"
)


def strip_syscall(name: str) -> str:
    """`__x64_sys_foo` -> `sys_foo`, `SyS_foo`/`__se_sys_foo`/`ksys_foo` -> `foo` (arches agree)."""
    if "sys" not in name and "SyS" not in name and "SYSC" not in name:
        return name
    name = _SYSCALL_PREFIX_ARCH.sub("", name)
    return _SYSCALL_PREFIX.sub("", name)


@lru_cache(maxsize=16384)
def _globally_skipped(name: str) -> bool:
    return GLOBAL_SKIP.search(name) is not None


def is_skipped(name: str, extra: re.Pattern[str] | None = None) -> bool:
    """Whether a frame is generic (see the skip lists above) rather than a culprit."""
    if _globally_skipped(name):
        return True
    return bool(extra is not None and extra.search(name))
