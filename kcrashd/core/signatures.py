"""The table of crash kinds: which kernel message starts a report, its title and how to find the culprit.

Each `Signature` names a header (a literal the line must contain), a pattern that must match the
header line, a title template (`{1}`.. = captured groups, `{F}` = culprit function), the culprit
strategy and the stable `kind`.  Order matters: the first matching signature of a header wins.
Every signature has a sample log under tests/corpus (tests/core/test_signatures.py enforces it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from kcrashd.core.model import Severity


class Strategy(StrEnum):
    """How the culprit frame is chosen (see frames.py and events.py)."""

    SEQUENTIAL = "sequential"  # header function, fault PC, then the call trace: first survivor
    TRACE = "trace"  # the call trace only (WARNING-like reports)
    STALL = "stall"  # walk to the first dispatcher anchor, take the frame above it
    RCU_STALL = "rcu-stall"  # as STALL, after the timer-interrupt entry
    HANG = "hang"  # hung task: first frame that is not a wait primitive
    LOCKDEP = "lockdep"  # the first `at:` line, then the trace
    LEAK = "leak"  # kmemleak `backtrace:`
    PANIC = "panic"  # the function that called panic()
    NONE = "none"  # fixed title, no function


@dataclass(frozen=True)
class Signature:
    """One row of the crash table."""

    name: str
    kind: str
    header: str
    pattern: str
    title: str
    strategy: Strategy = Strategy.SEQUENTIAL
    alts: tuple[str, ...] = ()
    severity: Severity = Severity.CRITICAL
    syz_type: str = "UNKNOWN"
    corrupted: bool = False
    skip: str = ""
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    skip_regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))
        object.__setattr__(self, "skip_regex", re.compile(self.skip) if self.skip else None)


S = Strategy
W = Severity.WARNING
E = Severity.ERROR
_F = r"([A-Za-z0-9_.$<>:]+?)(?:\.(?:isra|constprop|part|cold|llvm)[.\d]*)*(?:\+0x[0-9a-f]+(?:/0x[0-9a-f]+)?|\s|$)"
BAD = ("bad-access in {F}",)
_NMI_SKIP = (
    r"^(?:watchdog_overflow_callback|__perf_event_overflow|perf_event_overflow|handle_pmi_common|"
    r"intel_pmu_handle_irq|amd_pmu_handle_irq|x86_pmu_handle_irq|perf_event_nmi_handler|nmi_handle|"
    r"nmi_panic|default_do_nmi|do_nmi|exc_nmi|end_repeat_nmi|nmi$|watchdog_hardlockup_check|watchdog_check_hardlockup)"
)
_WARN_AT = r"WARNING: (?:CPU: \d+ PID: \d+ at |at )?"

SIGNATURES: tuple[Signature, ...] = (
    # --- BUG: ---------------------------------------------------------------------------------
    Signature("kasan-access", "kasan", "BUG:", r"BUG: KASAN: ([a-z\-]+) in ", "KASAN: {1} {RW} in {F}",
              alts=BAD, syz_type="KASAN"),
    Signature("kasan-invalid-free", "kasan", "BUG:", r"BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free)",
              "KASAN: invalid-free in {F}", alts=("invalid-free in {F}",), syz_type="KASAN-INVALID-FREE",
              skip=r"^(?:slab_|kfree|vfree|kvfree|free_|__free|kmem_cache_free)"),
    Signature("kasan-old", "kasan", "BUG:", r"BUG: KASAN: ([a-z\-]+) on address", "KASAN: {1} {RW}",
              strategy=S.NONE, syz_type="KASAN", corrupted=True),
    Signature("kmsan", "kmsan", "BUG:", r"BUG: KMSAN: ([a-z\-]+)", "KMSAN: {1} in {F}", alts=BAD,
              syz_type="KMSAN", skip=r"^(?:copy_|_copy|usb_submit_urb|sg_|crypto_|netlink_|nla_)"),
    Signature("kcsan", "kcsan", "BUG:", r"BUG: KCSAN: (.*)", "KCSAN: {1}", strategy=S.NONE,
              severity=W, syz_type="KCSAN"),
    Signature("kfence", "kfence", "BUG:", r"BUG: KFENCE: (use-after-free|out-of-bounds|invalid) (read|write)",
              "KFENCE: {1} {2} in {F}", alts=BAD, syz_type="KFENCE"),
    Signature("kfence-free", "kfence", "BUG:", r"BUG: KFENCE: invalid free", "KFENCE: invalid free in {F}",
              alts=("invalid-free in {F}",), syz_type="KFENCE-INVALID-FREE"),
    Signature("kfence-corruption", "kfence", "BUG:", r"BUG: KFENCE: memory corruption",
              "KFENCE: memory corruption in {F}", syz_type="KFENCE-MEMORY-CORRUPTION"),
    Signature("null-deref", "null-deref", "BUG:",
              r"BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference)",
              "BUG: unable to handle kernel NULL pointer dereference in {F}", alts=BAD,
              syz_type="NULL-POINTER-DEREFERENCE"),
    Signature("paging-fault", "paging-fault", "BUG:",
              r"BUG: (?:unable to handle kernel paging request|unable to handle page fault|unable to handle kernel data access)",
              "BUG: unable to handle kernel paging request in {F}", alts=BAD, syz_type="MEMORY_SAFETY_BUG"),
    Signature("fault-cut", "paging-fault", "BUG:", r"BUG: unable to handle kernel\s*$",
              "BUG: unable to handle kernel", strategy=S.NONE, corrupted=True),
    Signature("soft-lockup", "soft-lockup", "BUG:", r"BUG: soft lockup", "BUG: soft lockup in {F}",
              strategy=S.STALL, alts=("stall in {F}",), syz_type="HANG"),
    Signature("stack-guard", "stack-overflow", "BUG:", r"BUG: (?:TASK |IRQ )?stack guard page was hit",
              "BUG: stack guard page was hit in {F}", strategy=S.STALL, alts=("stack-overflow in {F}",)),
    Signature("sleep-atomic", "atomic-sleep", "BUG:", r"BUG: sleeping function called from invalid context",
              "BUG: sleeping function called from invalid context in {F}", strategy=S.TRACE,
              severity=W, syz_type="ATOMIC_SLEEP"),
    Signature("sched-atomic", "atomic-sleep", "BUG:", r"BUG: scheduling while atomic",
              "BUG: scheduling while atomic in {F}", strategy=S.TRACE, severity=W,
              syz_type="ATOMIC_SLEEP", skip=r"^(?:schedule|__schedule|preempt_schedule|do_task_dead|__cond_resched)"),
    Signature("smp-processor-id", "warning", "BUG:", r"BUG: using ([a-z_]+\(\)) in preemptible",
              "BUG: using {1} in preemptible code in {F}", strategy=S.TRACE, severity=W, syz_type="LOCKDEP",
              skip=r"(?:preempt|this_cpu|processor_id)"),
    Signature("spinlock", "lockdep", "BUG:", r"BUG: (spinlock|rwlock) ([a-z ]+?) on CPU",
              "BUG: {1} {2} in {F}", strategy=S.TRACE, severity=W, syz_type="LOCKDEP",
              skip=r"(?:spin_|_lock|_unlock)"),
    Signature("lockdep-bug", "lockdep", "BUG:",
              r"BUG: (bad unlock balance|held lock freed|workqueue leaked lock or atomic|still has locks held)",
              "BUG: {1} in {F}", strategy=S.TRACE, severity=W, syz_type="LOCKDEP"),
    Signature("memory-leak", "memory-leak", "BUG:", r"BUG: memory leak", "memory leak in {F}",
              strategy=S.LEAK, severity=W, syz_type="LEAK",
              skip=r"^(?:kmemleak|__alloc|alloc_|__kmalloc|kmalloc|kzalloc|kmem_cache|slab_|new_inode|mempool|__vmalloc|vmalloc|kvmalloc|krealloc|kstrdup|kmemdup|__d_alloc|d_alloc|alloc_inode|__kmem|pcpu_|__percpu)"),
    Signature("bad-page-state", "bug", "BUG:", r"BUG: Bad page state", "BUG: Bad page state in {F}",
              strategy=S.TRACE, skip=r"^(?:bad_page|free_|__free|page_|put_page|__put_page|release_pages|folio_|__folio|check_new_page|rmqueue|get_page_from|__page_pool|page_pool)"),
    Signature("bug-fixed", "bug", "BUG:",
              r"BUG: (Bad rss-counter state|Bad page map|non-zero nr_ptes on freeing mm|non-zero pgtables_bytes on freeing mm|workqueue lockup|Object already free)",
              "BUG: {1}", strategy=S.NONE),
    Signature("bug-generic", "bug", "BUG:", r"BUG: ([^\[\]]*?[A-Za-z][^\[\]]*?)\s*(?:\(|$|!|:)", "BUG: {1} in {F}",
              strategy=S.TRACE),
    # --- WARNING: ------------------------------------------------------------------------------
    Signature("lockdep-circular", "lockdep", "WARNING:",
              r"WARNING: (?:possible circular locking dependency detected|possible recursive locking detected|possible irq lock inversion dependency detected|[A-Z\-]+-safe -> [A-Z\-]+-unsafe lock order detected|SOFTIRQ-safe -> SOFTIRQ-unsafe)",
              "possible deadlock in {F}", strategy=S.LOCKDEP, severity=W, syz_type="LOCKDEP"),
    Signature("lockdep-inconsistent", "lockdep", "WARNING:", r"WARNING: inconsistent lock state",
              "inconsistent lock state in {F}", strategy=S.LOCKDEP, severity=W, syz_type="LOCKDEP"),
    Signature("rcu-usage", "lockdep", "WARNING:", r"WARNING: suspicious RCU usage",
              "WARNING: suspicious RCU usage in {F}", strategy=S.TRACE, severity=W, syz_type="LOCKDEP",
              skip=r"^(?:rcu_|lockdep_rcu)"),
    Signature("lockdep-warning", "lockdep", "WARNING:",
              r"WARNING: (bad unlock balance|held lock freed|nested lock was not taken|still has locks held|lock held when returning to user space)",
              "WARNING: {1} in {F}", strategy=S.TRACE, severity=W, syz_type="LOCKDEP"),
    Signature("warn-stack", "warning", "WARNING:",
              r"WARNING: (kernel stack regs|kernel stack frame pointer) (?:at [0-9a-f]+ )?in [^ ]+ has bad '?(bp|[a-z]+)'? value",
              "WARNING: {1} has bad {2} value", strategy=S.NONE, severity=W),
    Signature("warn-odebug", "warning", "WARNING:", _WARN_AT + r"lib/debugobjects\.c:", "WARNING: ODEBUG bug in {F}",
              strategy=S.TRACE, severity=W, syz_type="WARNING",
              skip=r"^(?:debug_|__debug|timer_|__timer|del_timer|work_|__flush|flush_|rcu|call_rcu|vfree|__vfree|kfree|kvfree|free_|__free|hrtimer_|init_timer|destroy_)"),
    Signature("warn-usercopy", "warning", "WARNING:", _WARN_AT + r"mm/usercopy\.c:", "WARNING: bad usercopy in {F}",
              strategy=S.TRACE, severity=W, syz_type="WARNING",
              skip=r"(?:usercopy|__check_object_size|check_object_size|check_heap_object|copy_to_user|copy_from_user|_copy_)"),
    Signature("warn-kobject", "warning", "WARNING:", _WARN_AT + r"lib/kobject\.c:", "WARNING: kobject bug in {F}",
              strategy=S.TRACE, severity=W, syz_type="WARNING", skip=r"^kobject_"),
    Signature("warn-proc", "warning", "WARNING:", _WARN_AT + r"fs/proc/generic\.c:",
              "WARNING: proc registration bug in {F}", strategy=S.TRACE, severity=W, syz_type="WARNING",
              skip=r"^(?:proc_|__proc|remove_proc)"),
    Signature("warn-refcount", "refcount", "WARNING:", _WARN_AT + r"lib/refcount\.c:", "WARNING: refcount bug in {F}",
              strategy=S.TRACE, severity=W, syz_type="REFCOUNT_WARNING", skip=r"^(?:refcount|__refcount|kref_)"),
    Signature("warn-lockdep", "lockdep", "WARNING:", _WARN_AT + r"kernel/locking/lockdep\.c:",
              "WARNING: locking bug in {F}", strategy=S.TRACE, severity=W, syz_type="LOCKDEP",
              skip=r"^(?:lock_|__lock|lockdep|register_lock_class|look_up_lock_class|__bfs|check_|validate_|mark_|_raw_|debug_)"),
    Signature("warn-kmalloc", "warning", "WARNING:", _WARN_AT + r"mm/(?:slab_common|util|slab|slub)\.c:",
              "WARNING: kmalloc bug in {F}", strategy=S.TRACE, severity=W, syz_type="WARNING"),
    Signature("warn-vmalloc", "warning", "WARNING:", _WARN_AT + r"mm/vmalloc\.c:", "WARNING: zero-size vmalloc in {F}",
              strategy=S.TRACE, severity=W, syz_type="WARNING"),
    Signature("warn-urb", "warning", "WARNING:", _WARN_AT + r"\S+ usb_submit_urb", "WARNING in {F}/usb_submit_urb",
              strategy=S.TRACE, severity=W, syz_type="WARNING",
              skip=r"^(?:usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg)"),
    Signature("warning", "warning", "WARNING:",
              r"WARNING: (?:CPU: \d+ PID: \d+ at |at |[^ ]+:\d+ at )(\S+)?",
              "WARNING in {F}", strategy=S.TRACE, severity=W, syz_type="WARNING"),
    Signature("warning-text", "warning", "WARNING:", r"WARNING: (.*\S)", "WARNING: {1}", strategy=S.NONE,
              severity=W, syz_type="WARNING"),
    # --- INFO: ---------------------------------------------------------------------------------
    Signature("rcu-stall", "rcu-stall", "INFO:",
              r"INFO: (?:rcu_(?:preempt|sched|bh)|rcu_tasks(?:_trace)?|rcu) (?:self-)?detected (?:expedited )?stalls?",
              "INFO: rcu detected stall in {F}", strategy=S.RCU_STALL, alts=("stall in {F}",),
              severity=E, syz_type="HANG"),
    Signature("hung-task", "hung-task", "INFO:", r"INFO: task .{1,64}?:\d+ blocked for more than \d+ seconds",
              "INFO: task hung in {F}", strategy=S.HANG, alts=("hang in {F}",), severity=E, syz_type="HANG"),
    Signature("task-cant-die", "hung-task", "INFO:", r"INFO: task .{1,64}?:\d+ can't die for more than",
              "INFO: task can't die in {F}", strategy=S.HANG, alts=("hang in {F}",), severity=E, syz_type="HANG"),
    Signature("rcu-usage-info", "lockdep", "INFO:", r"INFO: suspicious RCU usage",
              "INFO: suspicious RCU usage in {F}", strategy=S.TRACE, severity=W, skip=r"^(?:rcu_|lockdep_rcu)"),
    Signature("info-lockdep", "lockdep", "INFO:",
              r"INFO: (possible circular locking dependency detected|possible recursive locking detected|inconsistent lock state)",
              "possible deadlock in {F}", strategy=S.LOCKDEP, severity=W, syz_type="LOCKDEP"),
    Signature("info-static-key", "lockdep", "INFO:", r"INFO: trying to register non-static key",
              "INFO: trying to register non-static key in {F}", strategy=S.TRACE, severity=W,
              skip=r"^(?:register_lock_class|__lock_acquire|lock_acquire|_raw_|lockdep)"),
    Signature("info-allocated", "kasan", "INFO:", r"INFO: Allocated in (\S+?)(?:\+0x\S+)? (age=\d+ cpu=\d+ pid=\d+)",
              "INFO: Allocated in {1} {2}", strategy=S.NONE, corrupted=True),
    Signature("info-generic", "warning", "INFO:", r"INFO: ([A-Za-z][^\[]*?)\s*$", "INFO: {1}", strategy=S.NONE,
              severity=W),
    # --- faults and traps ----------------------------------------------------------------------
    Signature("arm-fault", "paging-fault", "Unable to handle kernel",
              r"Unable to handle kernel (paging request|NULL pointer dereference|access to user memory|execute from non-executable memory|write to read-only memory)",
              "BUG: unable to handle kernel {1} in {F}", alts=BAD, syz_type="MEMORY_SAFETY_BUG"),
    Signature("gpf", "gpf", "general protection fault", r"general protection fault",
              "general protection fault in {F}", alts=BAD, syz_type="DoS"),
    Signature("stack-segment", "gpf", "stack segment: ", r"stack segment: ", "stack segment fault in {F}",
              syz_type="DoS"),
    Signature("double-fault", "double-fault", "PANIC: double fault", r"PANIC: double fault",
              "PANIC: double fault in {F}", syz_type="DoS"),
    Signature("kernel-bug-usercopy", "bug", "kernel BUG", r"kernel BUG at mm/usercopy\.c",
              "BUG: bad usercopy in {F}", strategy=S.TRACE, syz_type="BUG",
              skip=r"(?:usercopy|__check_object_size|check_heap_object|check_object_size)"),
    Signature("kernel-bug-list", "list-corruption", "kernel BUG", r"kernel BUG at lib/list_debug\.c",
              "BUG: corrupted list in {F}", alts=BAD, syz_type="MEMORY_SAFETY_BUG"),
    Signature("kernel-bug", "bug", "kernel BUG", r"kernel BUG at ", "kernel BUG in {F}", syz_type="BUG",
              skip=r"^skb_"),
    Signature("divide-error", "divide-error", "divide error:", r"divide error:", "divide error in {F}",
              syz_type="DoS"),
    Signature("invalid-opcode", "invalid-opcode", "invalid opcode:", r"invalid opcode:",
              "invalid opcode in {F}", syz_type="DoS"),
    Signature("ubsan-undefined", "ubsan", "UBSAN:", r"UBSAN: Undefined behaviour in ", "UBSAN: undefined-behaviour in {F}",
              strategy=S.TRACE, severity=W, syz_type="UBSAN", skip=r"(?:ubsan|overflow)"),
    Signature("ubsan", "ubsan", "UBSAN:", r"UBSAN: ([a-z\-]+) in ", "UBSAN: {1} in {F}", strategy=S.TRACE,
              severity=W, syz_type="UBSAN", skip=r"(?:ubsan|overflow)"),
    Signature("arm-internal", "paging-fault", "Internal error:", r"Internal error: ", "Internal error in {F}",
              alts=BAD, syz_type="DoS"),
    Signature("arm-unhandled", "paging-fault", "Unhandled fault:", r"Unhandled fault:", "Unhandled fault in {F}",
              alts=BAD, syz_type="DoS"),
    Signature("arm-alignment", "paging-fault", "Alignment trap:", r"Alignment trap:", "Alignment trap in {F}",
              syz_type="DoS"),
    # --- hardware and watchdogs (production) ---------------------------------------------------
    Signature("hard-lockup", "hard-lockup", "Watchdog detected hard LOCKUP",
              r"Watchdog detected hard LOCKUP on cpu", "BUG: hard lockup in {F}", alts=("stall in {F}",),
              syz_type="HANG", skip=_NMI_SKIP),
    Signature("mce", "machine-check", "Machine Check Exception", r"Machine Check Exception",
              "machine check exception", strategy=S.NONE),
    Signature("unregister-netdevice", "hung-task", "unregister_netdevice: waiting for",
              r"unregister_netdevice: waiting for (\S+) to become free",
              "unregister_netdevice: waiting for DEV to become free", strategy=S.NONE, severity=E),
    Signature("vfs-close", "bug", "VFS: Close: file count is 0", r"VFS: Close: file count is 0",
              "VFS: Close: file count is zero (use-after-free)", strategy=S.NONE, syz_type="DoS"),
    Signature("vfs-busy", "bug", "VFS: Busy inodes after unmount", r"VFS: Busy inodes after unmount",
              "VFS: Busy inodes after unmount (use-after-free)", strategy=S.NONE, syz_type="DoS"),
    Signature("rust-panic", "panic", "rust_kernel: panicked", r"rust_kernel: panicked at [^:]+:\d+:\d+:\s*(.*)",
              "{1} in {F}", strategy=S.TRACE, skip=r"^(?:rust_|core::|<core::|rust_begin)"),
    Signature("trusty-assert", "panic", "trusty: panic", r"trusty: panic .*?ASSERT FAILED at \([^)]*\): (.*)",
              "trusty: ASSERT FAILED: {1}", strategy=S.NONE),
    Signature("trusty-panic", "panic", "trusty: panic", r"trusty: panic [^:]*: (.*)", "trusty: panic: {1}",
              strategy=S.NONE),
    Signature("reboot", "panic", "Booting the kernel.", r"^Booting the kernel\.", "unexpected kernel reboot",
              strategy=S.NONE, syz_type="REBOOT"),
    Signature("go-fatal", "panic", "fatal error:", r"^fatal error: (.*)", "go runtime error", strategy=S.NONE),
    Signature("syzfail", "panic", "SYZFAIL:", r"SYZFAIL: (.*)", "SYZFAIL: {1}", strategy=S.NONE,
              syz_type="SYZ_FAILURE"),
    # --- panic() ----------------------------------------------------------------------------------
    Signature("stack-protector", "stack-protector", "Kernel panic",
              r"Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: " + _F,
              "kernel panic: stack is corrupted in {F}", strategy=S.PANIC),
    Signature("stack-end", "stack-overflow", "Kernel panic", r"Kernel panic - not syncing: corrupted stack end detected",
              "kernel panic: corrupted stack end in {F}", strategy=S.STALL, alts=("stack-overflow in {F}",)),
    Signature("stack-overflow", "stack-overflow", "Kernel panic", r"Kernel panic - not syncing: kernel stack overflow",
              "kernel stack overflow in {F}", strategy=S.STALL, alts=("stack-overflow in {F}",)),
    Signature("sysrq-panic", "sysrq", "Kernel panic", r"Kernel panic - not syncing: sysrq triggered crash",
              "kernel panic: sysrq triggered crash", strategy=S.PANIC),
    Signature("init-signal", "init-signal", "Kernel panic",
              r"Kernel panic - not syncing: Attempted to kill init!(?: exitcode=0x0*(?:[1-7][0-9a-f]|[1-9a-f]))?\s*$",
              "kernel panic: Attempted to kill init!", strategy=S.PANIC),
    Signature("init-exit", "init-exit", "Kernel panic",
              r"Kernel panic - not syncing: Attempted to kill init! exitcode=0x0*[0-9a-f]*00\s*$",
              "kernel panic: Attempted to kill init! (init exited)", strategy=S.PANIC),
    Signature("no-root-fs", "no-root-fs", "Kernel panic",
              r"Kernel panic - not syncing: (?:VFS: )?Unable to mount root fs", "kernel panic: VFS: Unable to mount root fs",
              strategy=S.NONE),
    Signature("oom-panic", "oom", "Kernel panic", r"Kernel panic - not syncing: (?:Out of memory|System is deadlocked on memory)",
              "kernel panic: Out of memory", strategy=S.NONE),
    Signature("hard-lockup-panic", "hard-lockup", "Kernel panic", r"Kernel panic - not syncing: Hard LOCKUP",
              "kernel panic: Hard LOCKUP", strategy=S.PANIC, skip=_NMI_SKIP),
    Signature("mce-panic", "machine-check", "Kernel panic",
              r"Kernel panic - not syncing: (?:Fatal machine check|Machine check|Fatal hardware error|Fatal local machine check|Timeout: Not all CPUs entered)",
              "kernel panic: fatal machine check", strategy=S.NONE),
    Signature("panic-consequence", "panic", "Kernel panic",
              r"Kernel panic - not syncing: (Fatal exception|panic_on_warn set|hung_task: blocked tasks|softlockup: hung tasks|rcu_stall|Oops - BUG|BUG!|Oops)",
              "kernel panic: {1}", strategy=S.PANIC, corrupted=True, syz_type="DoS"),
    Signature("panic", "panic", "Kernel panic", r"Kernel panic - not syncing: (.*?)\s*$", "kernel panic: {1}",
              strategy=S.PANIC, syz_type="DoS"),
)

# A panic whose reason only says "an earlier report was fatal": the cause is that report.
CONSEQUENCE_PANIC = re.compile(
    r"Kernel panic - not syncing: (?:Fatal exception|panic_on_warn set|hung_task: blocked tasks|softlockup: hung tasks|"
    r"rcu_stall|Oops - BUG|Oops|BUG!|Hard LOCKUP|Fatal hardware error|Fatal machine check|kernel stack overflow)"
)

# Header lines that continue the report before them instead of starting a new one.
CONTINUES_REPORT = re.compile(
    r"(?:invalid opcode: 0000|Kernel panic - not syncing|unregister_netdevice: waiting for|"
    r"PANIC: double fault|Internal error:)"
)

# Lines that contain a header literal but are not kernel crash reports.
SUPPRESSIONS: dict[str, re.Pattern[str]] = {
    "BUG:": re.compile(r"(?:[A-Za-z]BUG:|BUG: (?:KASAN|KMSAN): .*?\bstack-trace is missing)"),
    "WARNING:": re.compile(
        r"(?:[A-Za-z]WARNING:|sshd|EXT4-fs|XFS|WARNING: (?:ignoring|Spectre|/etc|can't|the mand mount|"
        r"CPU: \d+ PID: \d+ at (?:\S+) (?:sched_setaffinity)|[a-z]+:\d+ mount)|Mitigation|mitigation|"
        r"WARNING: You are running|WARNING: unsupported|WARNING: workqueue cpumask|WARNING: Flush )"
    ),
    "INFO:": re.compile(
        r"(?:[A-Za-z]INFO:|INFO: lockdep is turned off|INFO: NMI handler .* took too long|INFO: recovery required|"
        r"INFO: Stall ended|INFO: task .* blocked for more than \d+ seconds\.\s*$(?!x)(?=x)|INFO: RCU|"
        r"INFO: Freed in|INFO: Slab 0x|INFO: Object 0x|INFO: Allocated in .* age=.*$(?=x)|EXT4-fs)"
    ),
    "general protection fault": re.compile(r"(?:general protection fault:? ?.* ip:[0-9a-f]+ sp:|error:\d+ in )"),
    "Kernel panic": re.compile(r"Kernel panic - not syncing: (?:Attempted to kill the idle task!$)(?=x)"),
    "Booting the kernel.": re.compile(r".(?=Booting)"),
    "fatal error:": re.compile(r".(?=fatal error:)"),
    "Internal error:": re.compile(r"Internal error: (?:Oops - BUG|Oops - undefined instruction: 0+ \[#)"),
}

HEADERS: tuple[str, ...] = tuple(dict.fromkeys(sig.header for sig in SIGNATURES))
# One regex to find any header literal cheaply.
HEADER_RE = re.compile("|".join(re.escape(h) for h in HEADERS))
BY_HEADER: dict[str, tuple[Signature, ...]] = {
    h: tuple(sig for sig in SIGNATURES if sig.header == h) for h in HEADERS
}

# Culprits that say more about the crash than its shape: a NULL write in sysrq_handle_crash (RHEL 8)
# and a panic() called from it (Linux 6.1) are both the deliberate sysrq-c test crash.
KIND_BY_FUNCTION: dict[str, str] = {
    "sysrq_handle_crash": "sysrq",
}
