"""The table of crash kinds: which kernel message starts a report, its title and how to find the culprit.

Each `Signature` names a header (a literal the line must contain), a pattern that must match the
header line, a title template (`{1}`.. = captured groups, `{F}` = culprit function, `{RW}` = the
sanitizer's Read/Write), the stack spec that yields the culprit, and the stable `kind`.  Order
matters: the first matching signature of a header wins.  Every signature has a sample log under
tests/corpus (tests/core/test_signatures.py enforces it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

from kcrashd.core.frames import (
    ASSERT_REPORTER_SITES,
    CLK_CALLER_API,
    CLK_CALLER_SITES,
    DMA_DEBUG_WARN_SITES,
    FAULT_PC,
    IRQ_FREE_API,
    IRQ_FREE_SITES,
    PROC_CALLER_API,
    PROC_CALLER_SITES,
    SKB_FREE,
    SLEEP_RULES,
    SLEEP_SINCE_V4_RULES,
)
from kcrashd.core.report_parts import Severity


class Strategy(StrEnum):
    """How the culprit frame is chosen (see culprit.py)."""

    PARTS = "parts"  # walk the stack spec: first candidate that is not generic
    STALL = "stall"  # walk to the first dispatcher anchor, take the frame above it
    RCU_STALL = "rcu-stall"  # as STALL, after the timer-interrupt entry
    HANG = "hang"  # hung task: first frame that is not a wait primitive
    LOCKED_CPU = "locked-cpu"  # as PARTS, on the locked CPU's own dump only (a hard lockup)
    NONE = "none"  # fixed title, no function


class Part(StrEnum):
    """One step of a stack spec, matched against the report's lines in order."""

    HEADER = "header"  # the header line's own function (`in f+0x..`)
    PC = "pc"  # the faulting-PC line: RIP:, pc :, NIP, Krnl PSW, PC is at
    WARN_PC = "warn-pc"  # the PC line, or powerpc `--- interrupt: N at f`
    TRACE = "trace"  # `Call Trace:` / `Call trace:` / `Backtrace:`
    STACK = "stack"  # parse call-trace lines until another stack starts
    AT = "at"  # a lockdep `, at: f+0x..` line
    LEAK = "leak"  # kmemleak `backtrace:`
    IRQ = "irq"  # the timer-interrupt entry of an RCU stall
    LAST_FUNCTION = "last-function"  # a workqueue's `last function: f`
    PAGE_OWNER = "page-owner"  # page_owner's `page last allocated via ...` stack
    FREED_IN = "freed-in"  # SLUB debug's `INFO: Freed in f+0x..` and the free stack below it


Spec = tuple[tuple[Part, ...], ...]
P = Part
# A fault: the faulting function, then its callers; without a PC line, the call trace alone.
FAULT: Spec = ((P.PC, P.TRACE, P.STACK), (P.TRACE, P.STACK))
# WARN()/BUG() trap to the handler: the PC line names the function, else the old-style trace.
WARN: Spec = ((P.WARN_PC, P.STACK), (P.TRACE, P.STACK))
# Sanitizers name the bad access in the header; its callers follow (after `Call Trace:` or not).
SANITIZER: Spec = ((P.HEADER, P.STACK),)
# KASAN's header names the function that made the bad access; its callers are the stack of the report's own
# dump_stack (`Call Trace:`), which 4.0-4.5 printed after SLUB's description of the object (mm/kasan/report.c
# print_address_description -> mm/slub.c object_err -> print_trailer: `INFO: Allocated in %pS ...` and
# `INFO: Freed in %pS ...`, each with the allocation's or the free's stack, then dump_stack).
KASAN_ACCESS: Spec = ((P.HEADER, P.TRACE, P.STACK), (P.HEADER, P.STACK))
TRACE: Spec = ((P.TRACE, P.STACK),)
# lockdep: the lock being taken (first `at:`), the lock held (second), then the stack.
LOCKDEP: Spec = ((P.AT, P.AT, P.TRACE, P.STACK),)
HELD_LOCK: Spec = ((P.AT, P.TRACE, P.STACK),)
LEAK: Spec = ((P.LEAK, P.STACK),)
# An unbalanced unlock: the stack of the unlocker, else the `at:` line naming the release site.
UNLOCK: Spec = ((P.TRACE, P.STACK), (P.AT,))
# A bad page: who allocated it (page_owner), else who freed it.
# An NMI watchdog interrupts the spinning code: the interrupted PC is the culprit.
NMI_PC: Spec = ((P.PC,), (P.TRACE, P.STACK))
BAD_PAGE: Spec = ((P.PAGE_OWNER, P.STACK), (P.TRACE, P.STACK))
# A SLUB object overwritten after its free (`Poison overwritten`): who freed it.  A redzone or padding
# overwritten, or objects left at cache destruction: the trace of the check (who freed or allocated the object,
# the caller of kmem_cache_destroy); the object's `Freed in` there tells of an earlier lifetime.
# 2.6 i386 dump_stack (arch/i386/kernel/traps.c show_trace_log_lvl) printed the frames with no `Call Trace:`.
SLAB_DEBUG: Spec = ((P.FREED_IN, P.STACK), (P.TRACE, P.STACK), (P.STACK,))
SLAB_CHECK: Spec = ((P.TRACE, P.STACK), (P.STACK,))
# SLUB debugging's messages (mm/slub.c slab_bug: `BUG <cache> (<taint>): <message>`, 3.x without the
# taint; check_bytes_and_report `%s overwritten`, with check_object's `Left Redzone` / `Right Redzone` since
# 4.6 and `Redzone` before; kmem_cache_close / __kmem_cache_shutdown `Objects
# remaining`): plain phrases, so they count only where the signature's pattern matches.
# Its detail lines (print_track `INFO: %s in %pS`, check_bytes_and_report `INFO: 0x%p-0x%p`) continue
# the report (alone, after dropped messages, `INFO: Allocated in` is a report of its own).
SLUB_DETAIL = re.compile(r"INFO: (?:Allocated in|0x[0-9a-fA-F]{1,16}-0x)")
# mm/slub.c check_bytes_and_report's `%s overwritten`: the checks of check_object and check_pad_bytes (`kmalloc
# Redzone` since 6.2: the bytes past a kmalloc()'s requested size).
SLUB_CHECKS = ("Poison", "Left Redzone", "Right Redzone", "kmalloc Redzone", "Redzone", "Object padding", "Alignment padding")
SLUB_HEADERS = (*(f"{check} overwritten" for check in SLUB_CHECKS), "Objects remaining")
NO_STACK: Spec = ()
# s390 die() of a program check (arch/s390/kernel/dumpstack.c die `"%s: %04x ilc:%d [#%d] "`), but the fault
# path's own `Oops` (arch/s390/mm/fault.c do_no_context): group 1 is the trap's name, which starts the
# message (or follows the timestamp of a raw line).
S390_TRAP = r"(?:^|(?<=\] ))(?!Oops:)([A-Za-z][A-Za-z \-]{2,40}?): [0-9a-f]{4} ilc:[0-9] \[#\d{1,6}\]"
# Only the faulting PC: the report's own trace starts in the handler that found the fault.
PC_ONLY: Spec = ((P.PC,),)


@dataclass(frozen=True)
class Below:
    """A line just below a header that narrows its report to another kind and title (s390 prints the
    failing address and the PSW on lines of their own)."""

    pattern: str
    kind: str
    title: str
    alts: tuple[str, ...] = ()
    why: str = ""
    lines: int = 8
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))

    def narrows(self, texts: list[str]) -> bool:
        """Whether one of the lines below the header (`texts[1:]`, within `lines`) matches."""
        return any(self.regex.search(t) for t in texts[1 : self.lines + 1])


@dataclass(frozen=True)
class Signature:
    """One row of the crash table."""

    name: str
    kind: str
    header: str | tuple[str, ...]  # the literal(s) a line must contain
    pattern: str
    title: str
    stack: Spec = FAULT
    strategy: Strategy = Strategy.PARTS
    alts: tuple[str, ...] = ()
    severity: Severity = Severity.CRITICAL
    corrupted: bool = False
    skip: str = ""
    # A pattern the report's text (after the header line) must contain; without it the report
    # is cut short, and the title is the header line itself (or, for headers common in other
    # text, no crash at all when it is not within the lines below the header: events.find_hits).
    requires: str = ""
    # The title when the report text is incomplete (see `requires`, `{RW}`): groups allowed.
    fallback: str = ""
    # The kernel called die() (an oops): with kdump armed, the capture kernel starts right here.
    die: bool = False
    # `{C}` in the title: group 1 of the pattern looked up here (the group itself if absent), so one
    # row serves a family of messages (e.g. the file a WARNING names gives its class).
    classes: tuple[tuple[str, str], ...] = ()
    # The kind by the first captured group, where one format serves several detectors.
    kinds: tuple[tuple[str, str], ...] = ()
    # The title when the report holds no stack at all (a state check, not a code path).
    stackless_title: str = ""
    # The title when the stack shows only the detector's own reporting path (culprit.Culprit.messenger_only).
    messenger_title: str = ""
    # Group 1, when the header line leaves it empty, is the next line of the report (rust/kernel/lib.rs's
    # panic handler prints `panicked at file:line:col:` and, since Rust 1.73, the message below it).
    message_below: bool = False
    # The kernel code that prints the header (`file.c function`): a row the corpus holds one sample of
    # is still the kernel's format, not that file's (bench/rule_support.py).
    why: str = ""
    # The title template fingerprint version 3 gave this row's reports (a row version 4 carved out of a
    # broader one): its key is listed in `fingerprint_aliases`.
    v3_title: str = ""
    # The pattern is matched from the line's start: the header literal ends the kernel's format (s390
    # die() prints the trap's name before its ` ilc:`).
    line_start: bool = False
    # Lines below the header that narrow the report (the first that matches wins).
    below: tuple[Below, ...] = ()
    # The row's `skip` as fingerprint version 3 read it, where version 4 extended it: a frame only the
    # extension skips was version 3's culprit, whose key continues (culprit._first_culprit).
    v3_skip: str | None = None
    # The row's `skip` as fingerprint version 4 read it, where version 5 extended it: the report is titled again with
    # it, and where version 4's culprit differs, its key continues (title._keep_v4_key).
    v4_skip: str | None = None
    # The title names the function that checked (a sleeping API's might_sleep()), not the code that broke the rule: the
    # caller past it (the next candidate no skip rule fits) is an alternative title and, since fingerprint version 5,
    # the key (fingerprint.CALLER_KEYED); version 4 keyed the title, and its key continues.
    caller_keyed: bool = False
    # The report ends in its own panic() with a reason (`Kernel panic - not syncing: %s`, before 2.6.10 `Kernel
    # panic: %s`) within a few lines: the title is that panic's (`kernel panic: <reason>`), the kind the row's.
    panic_title: bool = False
    # A panic whose panic() call is the report itself: the detector prints nothing before it (kernel/panic.c
    # __stack_chk_fail `panic("stack-protector: Kernel stack is corrupted in: %pB")`, called from the epilogue
    # of the function whose canary is gone), so its line starts a report of its own instead of continuing the
    # one above it (CONTINUES_REPORT), which it did not interrupt when that one had finished.
    own_report: bool = False
    # What the kernel's `pr_fmt` puts before every line of the report (the module's name): taken off the
    # lines below the header before they are read (version 3 read them with it: title._titled).
    line_prefix: str = ""
    # The header's groups name functions as `%ps` prints them (lib/vsprintf.c symbol_string: a module's symbol
    # followed by ` [module]`): the tag is the build's (the same code built in prints none), not the bug's, and
    # is left out of the title; version 3 kept it (its key continues).
    symbol_groups: bool = False
    # The function the report's own message names (group 1), above its header or below it (a WARN()'s message goes
    # before its `WARNING:` line since 4.11's __warn_printk, after it before then): the culprit where the stack
    # names none (a quote that kept the message and the WARNING line alone).
    message_culprit: str = ""

    # The patterns are compiled when a log first needs them, not when the table is built: a run
    # meets a few rows, and compiling all of them was a fifth of `kcrashd analyze`'s start-up.
    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @cached_property
    def message_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.message_culprit) if self.message_culprit else None

    @cached_property
    def skip_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.skip) if self.skip else None

    @cached_property
    def v3_skip_regex(self) -> re.Pattern[str] | None:
        if self.v3_skip is None:
            return self.skip_regex
        return re.compile(self.v3_skip) if self.v3_skip else None

    @cached_property
    def requires_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.requires, re.M) if self.requires else None


S = Strategy
W = Severity.WARNING
E = Severity.ERROR
# A function name (clone suffixes such as `.isra.0` included) that ends at `+0x`, a space or the line's end.
_F = r"([A-Za-z0-9_.$<>:]++)(?:\+0x[0-9a-f]|\s|$)"
BAD = ("bad-access in {F}",)
_NMI_SKIP = (
    r"^(?:watchdog_overflow_callback|__perf_event_overflow|perf_event_overflow|handle_pmi_common|"
    r"intel_pmu_handle_irq|amd_pmu_handle_irq|x86_pmu_handle_irq|perf_event_nmi_handler|nmi_handle|"
    r"nmi_panic|default_do_nmi|do_nmi|exc_nmi|end_repeat_nmi|nmi$|watchdog_hardlockup_check|watchdog_check_hardlockup)"
)
# The lines KASAN prints about a non-canonical address (mm/kasan/report.c kasan_non_canonical_hook).
KASAN_RANGE = ("KASAN: null-ptr-deref in range", "KASAN: maybe wild-memory-access in range",
                "KASAN: probably user-memory-access in range")
_WARN_AT = r"WARNING: (?:CPU: \d+ PID: \d+ at |at )?\S*?"
# The directories a build put before a source file's path in __FILE__ (an out-of-tree or vendor build).
_BUILD_PREFIX = r"(?:[^\s:!]{1,200}/)?"
_LOCKDEP_REQ = r"(?:\bat: |Call Trace|Call trace|stack backtrace)"
# `BUG: <text>`: the shortest text holding a letter and no bracket that ends before `(`, `!`, `:`,
# ` - `, ` key:`/` key=` or the line's end.  Only a text that follows a non-space can end (a space
# run is one unit), so every space run is looked at once: linear whatever the line.
_BUG_TEXT = r"BUG: ([^\[\]A-Za-z]*+[A-Za-z][^\[\]]*?)(?<!\s)(?:\s*+(?:[(!:]|$)|\s++(?:-\s|[\w.]++[:=]))"
# The rest of the line without its trailing spaces (possessive pieces: linear on a run of spaces).
# kernel/workqueue.c check_flush_dependency's message names the flusher, a WQ_MEM_RECLAIM worker's current work function
# (`WQ_MEM_RECLAIM %s:%ps is flushing`, worker->current_func; a reclaiming task is `PF_MEMALLOC task %d(%s)`, no code).
_FLUSHER = r"WQ_MEM_RECLAIM [^\s:]{1,64}:([A-Za-z_][\w.]{0,200})(?: \[[\w\-]{1,64}\])? is flushing"
# The first line of the dependency chain a circular-locking report prints (print_circular_bug_entry for depth 0).
CHAIN_BODY = "-> #0 ("
# The rule lib/bug.c report_bug and kernel/panic.c __warn_printk print above a WARN()'s message and header (CUT_HERE).
CUT_HERE = "[ cut here ]"
# The line kernel/hung_task.c check_hung_task prints below its `INFO: task %s:%d blocked for more than %ld seconds.`
# header and the taint line (hung_task_timeout_secs's knob), in no other report.
# (the literal stops at `disables`: a quote may wrap the line there, `this message.` alone on the next line)
HUNG_NOTE = 'hung_task_timeout_secs" disables'
# The line a recursive-locking report prints below its scenario (print_deadlock_scenario, only there).
NESTING_NOTE = "May be due to missing lock nesting notation"
_TEXT_TO_EOL = r"((?:\s*+\S)*+)\s*+$"
# kmemleak's stack starts in the allocator and its wrappers (`kmalloc`, `__kmalloc_node_track_caller`,
# `kmem_cache_alloc_noprof`, `alloc_skb`, `sock_kzalloc`): the allocator is in the name's head or tail; a
# function that only has `alloc` inside its name (`tcp_ao_alloc_info`) is the leaking code and stays.
_LEAK_SKIP = (
    r"^_*[a-z]{0,8}alloc|alloc(?:_node|_noprof|_trace|_track_caller|_array|_bulk|_lru)*$|^_*alloc_|^_*kmem_cache_|"
    r"^kmemleak|^_*create_object$|^kstrdup|^kmemdup|^mempool|^pcpu_|^__percpu"
)
_ALLOC_SKIP = r"^(?:slab_|kfree|vfree|kvfree|free_|__free|kmem_cache_free|__kmem_cache_free|do_slab_free|___cache_free)"

# The page allocator's own checks and free paths found the bad page: the code that freed or allocated it is below them
# (mm/page_alloc.c: free_pages_prepare -> free_page_is_bad, 5.x check_free_page -> check_free_page_bad, -> bad_page).
# The DMA API's free path frees a driver's pages for it (kernel/dma/mapping.c dma_free_attrs -> kernel/dma/direct.c
# dma_direct_free -> kernel/dma/contiguous.c dma_free_contiguous -> __free_pages; drivers/iommu/dma-iommu.c
# iommu_dma_free): the driver below it freed them.
_BAD_PAGE_FREE_V3 = (
    r"bad_page|free_|__free|page_|put_page|__put_page|release_pages|folio_|__folio|check_new_page|rmqueue|get_page_from|"
    r"__page_pool|page_pool|post_alloc_hook|prep_new_page"
)
# The socket buffer's free path frees its head and fragment pages for the driver (frames.SKB_FREE).
_BAD_PAGE_SKIP = (
    rf"^(?:{_BAD_PAGE_FREE_V3}|check_free_page|dma_direct_free|dma_free_contiguous|_{{0,2}}iommu_dma_free|(?:{SKB_FREE})$)"
)
# What version 3 skipped there (before check_free_page, the DMA API's and the socket buffer's free paths): its key
# continues.
_BAD_PAGE_SKIP_V3 = rf"^(?:{_BAD_PAGE_FREE_V3})"

# The scheduler's entry points a task that sleeps in an atomic context goes through (kernel/sched/core.c).
_SCHED_ENTRY = r"^(?:schedule|__schedule|preempt_schedule|do_task_dead|__cond_resched)"
# Past them and the sleeping primitives: the code that chose to sleep (scheduling while atomic, the RCU context-switch WARN).
_SLEEPER_SKIP = "|".join((_SCHED_ENTRY, *SLEEP_RULES, *SLEEP_SINCE_V4_RULES))

# SLUB debugging's checks on the free path (mm/slub.c free_debug_processing -> check_object -> object_err)
# found the damage: the code that freed the object is below them.
_SLUB_CHECK_SKIP_V3 = _ALLOC_SKIP + r"|^_*(?:object_err|check_object|check_bytes_and_report|print_trailer|free_debug_processing|on_freelist)"
# And on the allocation path, where a free object's poison is checked as it is handed out again (mm/slub.c
# alloc_debug_processing -> alloc_consistency_checks -> check_object, called from get_partial_node, since 6.2 also
# alloc_single_from_partial and alloc_single_from_new_slab, and since 7.x's sheaves their renamed get_from_partial_node
# and get_from_any_partial; ___slab_alloc and the kmalloc entry points are allocator frames already): the code that
# allocates is below them.  Version 3 stopped at alloc_debug_processing.
_SLUB_CHECK_SKIP = _SLUB_CHECK_SKIP_V3 + (
    r"|^(?:alloc_debug_processing|alloc_consistency_checks|get_(?:from_)?partial_node|get_(?:from_)?any_partial|"
    r"alloc_single_from_partial|alloc_single_from_new_slab)$"
)

# The messages arch/parisc hands parisc_terminate for a kernel fault (mm/fault.c do_page_fault: `Bad Address (null
# pointer deref?)` up to 5.x, `Page fault: bad address` / `Page fault: no context` since; kernel/traps.c
# handle_interruption: `Kernel Fault`), and the header literals of its report line (signatures parisc-fault).
PARISC_MESSAGES = r"Bad Address \(null pointer deref\?\)|Page fault: (?:bad address|no context)|Kernel Fault"
# The report line up to what follows its code: the trap's name and address, or 2.6's registers.
_PARISC_LINE = rf"^(?:{PARISC_MESSAGES}): Code=\d{{1,3}} "
PARISC_FAULTS = ("Bad Address (null pointer deref?): Code=", "Page fault: bad address: Code=", "Page fault: no context: Code=",
                 "Kernel Fault: Code=")

# SLAB's (mm/slab.c) report header (signatures slab-error, slab-double-free) and its checks and free path: __slab_error,
# cache_free_debugcheck -> verify_redzone_free, __cache_free, and kmem_cache_destroy for a cache destroyed with objects
# in use: the caller past them freed the object or destroyed the cache.
SLAB_ERROR = "slab error in "
# The line up to its message: the checking function and the cache.
_SLAB_ERROR_LINE = r"^slab error in \w{1,64}\(\): cache `[^'\n]{1,64}': "
_SLAB_ERROR_SKIP = _SLUB_CHECK_SKIP + (
    r"|^(?:_*slab_error|cache_free_debugcheck|verify_redzone_free|_*cache_free|slab_destroy_debugcheck|"
    r"kmem_cache_destroy|cache_init_objs|cache_grow)$"
)

# lockdep's suspicious-RCU report (kernel/locking/lockdep.c lockdep_rcu_suspicious) is called by RCU_LOCKDEP_WARN in the
# RCU code that checks its caller's context: the RCU API itself (rcu_*), and the grace-period waits that refuse a caller
# inside a read-side critical section (kernel/rcu/tree.c synchronize_rcu, tree_exp.h synchronize_rcu_expedited,
# srcutree.c __synchronize_srcu `Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section`,
# 4.x synchronize_sched / synchronize_rcu_bh).  Version 3 skipped only the first (its key continues).
_RCU_USAGE_SKIP_V3 = r"^(?:rcu_|lockdep_rcu)"
# The messages of RCU_LOCKDEP_WARN that lockdep_rcu_suspicious prints below its banner (signatures.py rcu-usage-body).
RCU_USAGE_BODY = ("RCU-list traversed", "suspicious rcu_dereference_")
# lockdep_rcu_suspicious's lines when RCU was not watching the CPU (kernel/locking/lockdep.c, 3.3+: `RCU used illegally
# from extended quiescent state!` when !rcu_is_watching(); 3.3-3.x also `... from idle CPU!` and `... from offline
# CPU!`), printed below the banner and the check's line (signatures.py rcu-usage-eqs-body).
RCU_EQS_BODY = "RCU used illegally from "
_RCU_USAGE_SKIP_V4 = _RCU_USAGE_SKIP_V3 + r"|^_{0,2}synchronize_(?:s?rcu|sched|rcu_bh)(?:_expedited)?$"
# Version 5 also skips, as syzkaller's rule for this report does (frames naming `rcu`, `kmem`, `slab`), but by the
# kernel's naming families rather than by any name holding those letters: the read-side accessors whose name ends in
# `_rcu` (include/linux/inetdevice.h __in_dev_get_rcu, net/core/dev.c dev_get_by_index_rcu, rculist.h list_del_rcu:
# their rcu_dereference checks the caller's read-side section, "the caller must hold the RCU read lock"), RCU's own
# `__rcu_*` / `__srcu_*` / `srcu_*` / call_srcu / kfree_rcu* entry points, and the slab allocator's API and internals
# (kmem_cache_*, kmalloc*, slab_*, memcg_kmem_*: the memcg cache lookup runs RCU_LOCKDEP_WARN for the allocating
# caller).  A driver's own function with `rcu` inside its name stays a culprit.  Version 4's key continues
# (Signature.v4_skip).
_RCU_USAGE_SKIP = _RCU_USAGE_SKIP_V4 + (
    r"|_rcu(?:_bh|_sched)?$|^_{1,3}s?rcu_|^(?:call_srcu|srcu_|kv?free_rcu)"
    r"|^_{0,3}(?:kmem_cache_|slab_|kmalloc)|^memcg_kmem_"
)
# The debug-objects calls that find the object in a bad state (debug_object_free, debug_check_no_obj_freed) and the
# timer, work and RCU teardown and free paths that call them: the caller that freed or reused the object is the bug.
_ODEBUG_SKIP = r"(?:debug_|timer|work_|^__flush|^flush_|rcu|vfree|^kv?free|^_*free_|^destroy_)"

# x86 die()'s line for a page fault (arch/x86/kernel/dumpstack.c __die_header `%s: %04lx [#%d]` with the str
# "Oops" of arch/x86/mm/fault.c page_fault_oops; 6.10 printed `Oops: Oops: 0000 [#1]`).
X86_DIE_OOPS = r"^Oops: (?:Oops: )?[0-9a-f]{4} \[#\d{1,6}\]"
# Which x86 page fault a report is when its header was lost: CR2 (__show_regs `CR2: %016lx`, i386 `CR2: %08lx`)
# below PAGE_SIZE in kernel mode is show_fault_oops's NULL pointer dereference.
X86_CR2_NULL = Below(r"\bCR2: (?:0{13}|0{5})[0-9a-f]{3}\b", "null-deref",
                     "BUG: unable to handle kernel NULL pointer dereference in {F}", BAD, lines=40,
                     why="arch/x86/mm/fault.c show_fault_oops: `address < PAGE_SIZE && !user_mode(regs)`")

# A WARN() message's row (WARN_MESSAGES) reports only with a trace below it: a `Call Trace:` line or a frame line
# (`f+0x1/0x2`, `[<addr>] f+0x1/0x2`, a `? ` frame, a decoded `f (file.c:N)`, a symbolizer's inlined callee
# `f file.c:N [inline]`, which stands first in a syzbot report's trace).
_TRACE_BELOW = (r"^\s*(?:Call [Tt]race|(?:\[<[0-9a-fA-F]{1,16}>\]\s{1,4})?(?:\?\s)?[A-Za-z_$][\w$.]{0,200}"
                r"(?:\+0x[0-9a-fA-F]{1,16}/0x|\s\([\w./\-]{1,200}\.[chS]:\d|\s[\w./\-]{1,200}\.[chS]:\d{1,7} \[inline\]))")
# lockdep models a workqueue flush as taking the workqueue: the flusher's caller holds the lock.  Since 6.10
# kernel/workqueue.c takes the flush's lockdep map in touch_wq_lockdep_map / touch_work_lockdep_map, which
# __flush_work and __flush_workqueue call: the `at:` line names them.  The lock held then is the running work's
# workqueue or work map, which process_one_work takes around the work function: the held lock's `at:` names it.
_FLUSH_AS_LOCK = r"^(?:__)?flush_(?:work|workqueue)$|^touch_(?:wq|work)_lockdep_map$|^process_one_work$"
# lib/refcount.c's checkers and the kref wrappers over them: the caller's reference is the bug.
_REFCOUNT_SKIP = r"^(?:refcount|__refcount|kref_)"

# lib/ubsan.c report_ubsan_failure's checks (UBSAN's trap mode) and the class its handler mode prints for each.
UBSAN_TRAP_CLASSES = (
    ("array index out of bounds", "array-index-out-of-bounds"),
    ("shift out of bounds", "shift-out-of-bounds"),
    ("divide/remainder overflow", "division-overflow"),
    ("unreachable code", "unreachable"),
    ("loading invalid value", "invalid-load"),
    ("alignment assumption", "alignment-assumption"),
    ("type mismatch", "type-mismatch"),
    ("integer addition overflow", "integer-addition-overflow"),
    ("integer subtraction overflow", "integer-subtraction-overflow"),
    ("integer multiplication overflow", "integer-multiplication-overflow"),
    ("unrecognized failure code", "unrecognized-failure-code"),
)
# The check, then what follows it: arm64's `: %016lx [#%d]`, riscv's ` [#%d]`, x86's ` at %pS`.
UBSAN_TRAP = (
    "UBSAN: (" + "|".join(re.escape(check) for check, _ in UBSAN_TRAP_CLASSES) + r")(?:: [0-9a-f]{1,16} \[#| \[#| at )"
)


# btrfs's assertion reporter (fs/btrfs/ctree.h assertfail, fs/btrfs/messages.c btrfs_assertfail since 6.2: `assertion
# failed: %s, in %s:%d`, then BUG()) BUGs for its caller's ASSERT(): syzkaller titles the BUG by the reporter (`kernel BUG
# in assertfail`), its PC or first frame (`+0x`, or decode_stacktrace.sh's `(file.c:N)`); the caller the walk reaches past it (frames._CALLER_CHECK_SINCE_V4) names the
# function and keys the report (fingerprint.SITE_TITLES).
_FIRST_FUNCTION_AT = r"(?:^\s*(?:\[<[0-9a-f]{1,16}>\]\s{0,4})?|\bRIP: [0-9a-f]{4}:|\bpc : )"  # a frame, x86's RIP, arm64's pc
_FUNCTION_ENDS = r"(?:\.[a-z]{1,12}\.\d{1,4})*(?:\+0x| \([\w./\-]{1,200}\.[chS]:\d)"  # suffixes, then `+0x` or `(f.c:N)`
ASSERT_REPORTER_BUGS = tuple(
    Below(_FIRST_FUNCTION_AT + site + _FUNCTION_ENDS,
          "bug", f"kernel BUG in {site}", alts=("kernel BUG in {F}",),
          why="fs/btrfs/ctree.h assertfail, fs/btrfs/messages.c btrfs_assertfail: `assertion failed: %s, in %s:%d`, BUG()")
    for site in ASSERT_REPORTER_SITES
)


SIGNATURES: tuple[Signature, ...] = (
    # --- ODEBUG: (first: its literal holds `BUG:`, and the first header a line holds is its header) ---------------
    # lib/debugobjects.c debug_print_object prints `ODEBUG: %s %s (active state %u) object type: %s hint: %pS` (since
    # 6.x with `object: %p` before the type) always through WARN(1, ...): with a trace below it, the message is a
    # WARNING report even where a quote dropped the `WARNING:` line, titled as warn-odebug titles it.  A `WARNING:`
    # line next to it carries it instead (WARN_MESSAGES); a lone message (a flood's) stays no report (`requires`).
    Signature("odebug-message", "warning", "ODEBUG:", r"ODEBUG: [a-z_]{1,24} [a-z ]{1,24} \(active state \d{1,10}\)",
              "WARNING: ODEBUG bug in {F}", WARN, severity=W,
              skip=_ODEBUG_SKIP,
              requires=_TRACE_BELOW,
              why="lib/debugobjects.c debug_print_object `WARN(1, KERN_ERR \"ODEBUG: %s %s (active state %u) ...\")`"),
    # lib/refcount.c refcount_warn_saturate prints its verdict through `WARN_ONCE(1, "refcount_t: " str ".\n")`
    # (REFCOUNT_WARN; 4.11-4.x lib/refcount.c's WARN_ONCE calls `refcount_t: increment on 0; use-after-free.` and
    # the like): as with ODEBUG's, the message with a trace below it is the WARNING report where a quote dropped the
    # `WARNING:` line, titled as warn-refcount titles it; a `WARNING:` line next to it carries it (WARN_MESSAGES).
    Signature("refcount-message", "refcount", "refcount_t: ",
              r"refcount_t: (?:addition|increment|decrement|underflow|saturated)[a-z0-9 ]{0,24}; (?:use-after-free|leaking memory)\.",
              "WARNING: refcount bug in {F}", WARN, severity=W, skip=_REFCOUNT_SKIP,
              requires=_TRACE_BELOW,
              why="lib/refcount.c refcount_warn_saturate `WARN_ONCE(1, \"refcount_t: \" str \".\\n\")`"),
    # --- BUG: ---------------------------------------------------------------------------------
    # The detector is the kind: mm/kfence/report.c prints `BUG: KFENCE: invalid free in %pS`.
    Signature("invalid-free", "kasan", "BUG:", r"BUG: (KASAN|KFENCE): (?:double-free or )?(invalid[- ]free|double-free)",
              "{1}: {2} in {F}", SANITIZER, alts=("invalid-free in {F}",), skip=_ALLOC_SKIP,
              kinds=(("KFENCE", "kfence"),)),
    Signature("kasan-access", "kasan", "BUG:", r"BUG: (KASAN: ([a-z\-]++) in \S.*)", "KASAN: {2} {RW} in {F}",
              KASAN_ACCESS, alts=BAD, fallback="{1}"),
    # 4.0-4.3 spelled the detector `KASan` and its bug types in words (mm/kasan/report.c kasan_report_error
    # `"BUG: KASan: %s in %pS at addr %p"`, bug_type "out of bounds access", "use after free", ...).
    Signature("kasan-access-old", "kasan", "BUG:", r"BUG: (KASan: ([a-z][a-z \-]{1,40}?) in \S.*)",
              "KASAN: {2} {RW} in {F}", KASAN_ACCESS, alts=BAD, fallback="{1}",
              why="mm/kasan/report.c (4.0-4.3) kasan_report_error `BUG: KASan: %s in %pS at addr %p`, "
                  "then print_address_description's `%s of size %zu by task %s/%d`"),
    Signature("kasan-address", "kasan", "BUG:", r"BUG: (KASAN: ([a-z\-]+) on address.*)", "KASAN: {2} {RW}",
              NO_STACK, S.NONE, fallback="{1}"),
    Signature("kasan-other", "kasan", "BUG:", r"BUG: (KASAN: .*)", "{1}", NO_STACK, S.NONE, corrupted=True),
    # KMSAN finds an uninitialised value where it is used, often deep in generic code fed by the caller: the
    # copy and scatterlist helpers, netlink attribute parsing, and the crypto API's dispatch and algorithms
    # (crypto/cipher.c cipher_crypt_one, crypto/drbg.c, crypto/rng.c, a cipher's `*_encrypt`), whose key or
    # data the caller set (syzkaller's KMSAN skip list: `_encrypt$`, `^(?:crypto|cipher|drbg|rng)_`).
    Signature("kmsan", "kmsan", "BUG:", r"BUG: KMSAN: ([a-z\-]+)", "KMSAN: {1} in {F}", SANITIZER, alts=BAD,
              skip=r"(?:^|_)copy_|^(?:usb_submit_urb|sg_|crypto_|cipher_|drbg_|rng_|aes|netlink_|nla_)|_encrypt$",
              v3_skip=r"(?:^|_)copy_|^(?:usb_submit_urb|sg_|crypto_|aes|netlink_|nla_)"),
    Signature("kcsan", "kcsan", "BUG:", r"BUG: KCSAN: (.*)", "KCSAN: {1}", NO_STACK, S.NONE, severity=W, symbol_groups=True,
              why="kernel/kcsan/report.c print_report `BUG: KCSAN: %s in %pS / %pS` (the two functions as `%ps` "
                  "strings since 5.8: `data-race in f [mod] / g`)"),
    Signature("kfence", "kfence", "BUG:", r"BUG: KFENCE: (use-after-free|out-of-bounds|invalid) (read|write)",
              "KFENCE: {1} {2} in {F}", SANITIZER, alts=BAD),
    Signature("kfence-corruption", "kfence", "BUG:", r"BUG: KFENCE: memory corruption",
              "KFENCE: memory corruption in {F}", SANITIZER),
    # powerpc (arch/powerpc/mm/fault.c __bad_page_fault, 5.2+): `BUG: Kernel NULL pointer dereference on read
    # at 0x..` below PAGE_SIZE, `BUG: Unable to handle kernel data access on write at 0x..` above it, an
    # instruction fetch from a NULL pointer `BUG: Unable to handle kernel instruction fetch (NULL pointer?)`.
    Signature("null-deref", "null-deref", "BUG:",
              r"BUG: (?:unable to handle kernel NULL pointer dereference|[Kk]ernel NULL pointer dereference|"
              r"Unable to handle kernel instruction fetch \(NULL pointer\?\))",
              "BUG: unable to handle kernel NULL pointer dereference in {F}", alts=BAD, die=True),
    Signature("paging-fault", "paging-fault", "BUG:",
              r"BUG: (?:unable to handle kernel paging request|unable to handle page fault|[Uu]nable to handle kernel data access|"
              r"Unable to handle kernel (?:instruction fetch|unaligned access)|Unable to handle unknown paging fault)",
              "BUG: unable to handle kernel paging request in {F}", alts=BAD, die=True),
    # The header cut short (merged with another line or truncated): no culprit can be trusted.
    # 2.6-3.x arch/x86/mm/fault.c show_fault_oops printed the header in pieces (`BUG: unable to handle kernel `,
    # then KERN_CONT `NULL pointer dereference` or `paging request`, then ` at %p`): the continuation that
    # another message pushed onto a line of its own still says which fault it was.
    Signature("fault-cut", "paging-fault", "BUG:", r"BUG: unable to handle kernel\s*(?:$|\[ *\d+\.\d+\])", "BUG: unable to handle kernel",
              NO_STACK, S.NONE, corrupted=True, die=True,
              below=(Below(r"^NULL pointer dereference at ", "null-deref", "BUG: unable to handle kernel",
                           why="arch/x86/mm/fault.c show_fault_oops `printk(KERN_CONT \"NULL pointer dereference\")`"),)),
    # arch/x86/mm/fault.c show_fault_oops (4.20+) prints the fault's header, `BUG: kernel NULL pointer dereference,
    # address: %px` for an address below PAGE_SIZE in kernel mode, else `BUG: unable to handle page fault for
    # address: %px`, then `#PF: %s %s in %s mode` and `#PF: error_code(0x%04lx) - %s`; __die's `Oops: %04lx [#%d]`
    # and __show_regs's `CR2: %016lx` (i386 `CR0: %08lx CR2: %08lx ...`) follow.  A log that lost the header line
    # still shows the fault from its `#PF:` lines, and CR2 says which header it was (events.FOLLOWS_HEADER: below
    # its header, the `#PF:` line only continues it).
    Signature("fault-headless", "paging-fault", "#PF: ",
              r"#PF: (?:supervisor|user) (?:read access|write access|instruction fetch) in kernel mode",
              "BUG: unable to handle kernel paging request in {F}", alts=BAD, corrupted=True, die=True,
              requires=X86_DIE_OOPS, below=(X86_CR2_NULL,),
              why="arch/x86/mm/fault.c show_fault_oops `#PF: %s %s in %s mode`, then __die `Oops: %04lx [#%d]`"),
    Signature("soft-lockup", "soft-lockup", "BUG:", r"BUG: soft lockup", "BUG: soft lockup in {F}",
              FAULT, S.STALL, alts=("stall in {F}",), messenger_title="BUG: soft lockup"),
    # Some vendor kernels' watchdog (arm64 openEuler and HiSilicon builds, whose traces run through their
    # watchdog_print_info) print kernel/watchdog.c watchdog_timer_fn's line with `WARN:` for `BUG:` (`WARN: soft lockup -
    # CPU#%d stuck for %us! [%s:%d]`, quoted by several upstream fixes: jbd2's commit 6c02757c9360, the 4.4 stable dcache
    # fix): the same report, the same title.
    Signature("soft-lockup-warn", "soft-lockup", "WARN: soft lockup", r"WARN: soft lockup - CPU#\d{1,5} stuck for ",
              "BUG: soft lockup in {F}", FAULT, S.STALL, alts=("stall in {F}",), messenger_title="BUG: soft lockup",
              why="kernel/watchdog.c watchdog_timer_fn `soft lockup - CPU#%d stuck for %us! [%s:%d]`, `WARN:` for `BUG:`"),
    # Stack overflows: the guard page, the corrupted end marker, the double-fault overflow panic.
    # schedule_debug (kernel/sched/core.c) panics when the task that calls schedule() has overwritten
    # its stack-end marker: the culprit is that task's code, the first frame below the panic, the
    # scheduler and the sleep or wait it called.
    Signature("stack-end-corrupted", "stack-overflow", "Kernel panic",
              r"Kernel panic - not syncing: (corrupted stack end detected)",
              "{C} in {F}", TRACE, S.HANG, alts=("stack-overflow in {F}",), die=True,
              classes=(("corrupted stack end detected", "kernel panic: corrupted stack end"),)),
    Signature("stack-overflow", "stack-overflow", ("BUG:", "Kernel panic"),
              r"(?:BUG: (?:TASK |IRQ )?|Kernel panic - not syncing: )(stack guard page was hit|kernel stack overflow)",
              "{C} in {F}", TRACE, S.STALL, alts=("stack-overflow in {F}",), die=True,
              classes=(("stack guard page was hit", "BUG: stack guard page was hit"),)),
    # kernel/sched/core.c __might_resched (__might_sleep before 5.15) prints `at %s:%d`, the might_sleep() inside the
    # sleeping API the title names (syzkaller's frame: `mutex_lock`, `kmalloc` and the like skipped, `vfree`'s or
    # `__pm_runtime_resume`'s caller's callee); the atomic context is its caller's, and two callers are two bugs: the key
    # names the caller (Signature.caller_keyed).
    Signature("sleep-atomic", "atomic-sleep", "BUG:", r"BUG: sleeping function called from invalid context",
              "BUG: sleeping function called from invalid context in {F}", TRACE, severity=W, caller_keyed=True),
    # kernel/sched/core.c schedule_debug -> __schedule_bug: the task entered __schedule() holding an
    # atomic context, through the sleep or wait it called (msleep -> schedule_timeout -> schedule, a
    # mutex's slow path, a completion, ...); with panic_on_warn the trace is panic()'s, above them.
    # The code that chose to sleep is the first frame outside the sleeping primitives.
    Signature("sched-atomic", "atomic-sleep", "BUG:", r"BUG: scheduling while atomic",
              "BUG: scheduling while atomic in {F}", TRACE, severity=W,
              skip=_SLEEPER_SKIP,
              v3_skip="|".join((_SCHED_ENTRY, *SLEEP_RULES))),
    # Before 2.6.18 neither printed `BUG: `: kernel/sched.c __might_sleep (2.6.0-2.6.17) `Debug: sleeping function called
    # from invalid context at %s:%d` and schedule() (2.6.10-2.6.17) `scheduling while atomic: %s/0x%08x/%d`, each
    # then dump_stack(): the same reports under the titles the later kernels give them.
    Signature("sleep-atomic-debug", "atomic-sleep", "Debug: sleeping function called from invalid context",
              r"^Debug: sleeping function called from invalid context at \S{1,200}:\d{1,7}",
              "BUG: sleeping function called from invalid context in {F}", TRACE, severity=W, line_start=True,
              caller_keyed=True,
              why="kernel/sched.c (2.6.0-2.6.17) __might_sleep `Debug: sleeping function called from invalid context at "
                  "%s:%d`, `in_atomic():%d, irqs_disabled():%d`, dump_stack()"),
    Signature("sched-atomic-old", "atomic-sleep", "scheduling while atomic: ",
              r"^scheduling while atomic: \S{1,64}/0x[0-9a-f]{8}/\d{1,7}\s*$",
              "BUG: scheduling while atomic in {F}", TRACE, severity=W, line_start=True,
              skip=_SLEEPER_SKIP,
              why="kernel/sched.c (2.6.10-2.6.17) schedule() `scheduling while atomic: %s/0x%08x/%d`, dump_stack()"),
    Signature("smp-processor-id", "warning", "BUG:", r"BUG: using ([a-z_]+\(\)) in preemptible",
              "BUG: using {1} in preemptible code in {F}", TRACE, severity=W,
              skip=r"(?:preempt|this_cpu|processor_id)"),
    Signature("spinlock", "lockdep", "BUG:", r"BUG: (spinlock|rwlock) ([a-z ]+?) on CPU",
              "BUG: {1} {2} in {F}", TRACE, severity=W, skip=r"(?:spin_|_lock|_unlock)"),
    # 3.x lockdep printed these as `[ BUG: ... ]` (kernel/lockdep.c lockdep_sys_exit, print_freed_lock_bug).
    Signature("held-lock-freed", "lockdep", "BUG:", r"BUG: (held lock freed|lock held when returning to user space)",
              "BUG: {1} in {F}", HELD_LOCK, severity=W),
    Signature("workqueue-leak", "lockdep", "BUG:", r"BUG: workqueue leaked lock or atomic",
              "BUG: workqueue leaked lock or atomic in {F}", ((P.LAST_FUNCTION,), (P.TRACE, P.STACK)), severity=W),
    # kernel/lockdep.c (2.6.18-3.15, kernel/locking/lockdep.c to 4.14) print_held_locks_bug: the task exits
    # (debug_check_no_locks_held) holding a lock, `[ BUG: lock held at task exit time! ]` until 2.6.3x, then
    # `[ BUG: %s/%d still has locks held! ]`; 4.15+ prints `WARNING: %s/%d still has locks held!` (lockdep-held
    # below): the lock's `at:` line names who took it, as there.
    Signature("lockdep-exit-held", "lockdep", "BUG:",
              r"BUG: (?:(?=lock held at)|\S{1,64}/\d{1,7} (?=still))(lock held at task exit time|still has locks held)!",
              "BUG: {1} in {F}", HELD_LOCK, severity=W,
              why="kernel/lockdep.c print_held_locks_bug `[ BUG: lock held at task exit time! ]` (2.6), "
                  "`[ BUG: %s/%d still has locks held! ]` (3.x-4.14)"),
    # kernel/lockdep.c print_lock_contention_bug `[ BUG: bad contention detected! ]` and (3.x-4.14)
    # print_lock_nested_lock_not_held `[ BUG: Nested lock was not taken ]`: `WARNING: ...` since 4.15.
    Signature("lockdep-bug", "lockdep", "BUG:", r"BUG: (bad unlock balance|still has locks held|bad contention detected|[Nn]ested lock was not taken)",
              "BUG: {C} in {F}", UNLOCK, severity=W, classes=(("Nested lock was not taken", "nested lock was not taken"),)),
    # lockdep's class lookup (kernel/locking/lockdep.c look_up_lock_class: `BUG: looking up invalid subclass: %u`,
    # then `turning off the locking correctness validator.` and dump_stack()): a caller handed a subclass of
    # MAX_LOCKDEP_SUBCLASSES or more to a `*_nested()` lock call or lockdep_set_subclass(); below the lock API and
    # lockdep's own frames (skipped everywhere: frames.SKIP_LOCKING and the lockdep internals), the trace names it.
    # bug-generic cut this title before its `subclass:` (`BUG: looking up invalid in F`), the key version 3 gave
    # (v3_title).
    Signature("lockdep-subclass", "lockdep", "BUG:", r"BUG: looking up invalid subclass: \d+",
              "BUG: looking up invalid subclass in {F}", TRACE, severity=W, v3_title="BUG: looking up invalid in {F}",
              why="kernel/locking/lockdep.c look_up_lock_class `BUG: looking up invalid subclass: %u`, then dump_stack()"),
    # lockdep's wait-context check (a sleeping lock taken where only spinning is allowed)
    Signature("invalid-wait-context", "lockdep", "BUG:", r"BUG: Invalid wait context", "WARNING: locking bug in {F}",
              TRACE, severity=W),
    # kmemleak: every allocation wrapper on the way up is the messenger; its user leaked.
    Signature("memory-leak", "memory-leak", "BUG:", r"BUG: memory leak", "memory leak in {F}", LEAK, severity=W,
              skip=_LEAK_SKIP),
    # kmemleak's own report, without the `BUG: memory leak` line syzkaller's reproducer prints before it
    # (which it then continues, CONTINUES_REPORT): the block read from /sys/kernel/debug/kmemleak, or
    # logged with kmemleak.verbose.
    Signature("kmemleak", "memory-leak", "unreferenced object 0x",
              r"unreferenced object 0x[0-9a-f]{1,16} \(size \d{1,12}\):", "memory leak in {F}", LEAK, severity=W,
              skip=_LEAK_SKIP, line_prefix="kmemleak: ",
              why="mm/kmemleak.c print_unreferenced `unreferenced object 0x%08lx (size %zu):`, then "
                  "`  comm \"%s\", pid %d, jiffies %lu`, the hex dump and `  backtrace (crc %x):` (`backtrace:` before 6.6); "
                  "in the kernel log (kmemleak.verbose, warn_or_seq_printf -> pr_warn) every line starts with pr_fmt's "
                  "`kmemleak: `"),
    # SLUB debugging's free-path check found the object free already (mm/slub.c free_consistency_checks:
    # object_err(s, slab, object, "Object already free"), printed `BUG <cache> (<taint>): Object already free`, then
    # print_trailer and the freeing task's trace): a double free.  Its title is syzkaller's; its key is the
    # invalid-free bucket of the second free's caller, as KASAN's double-free report of the same bug is keyed.
    Signature("slub-double-free", "bug", "Object already free", r"(?:(?<=\): )|(?<=[\w.]: ))Object already free",
              "BUG: Object already free", TRACE, alts=("invalid-free in {F}",), skip=_SLUB_CHECK_SKIP,
              why="mm/slub.c free_consistency_checks object_err(s, slab, object, \"Object already free\") -> slab_bug "
                  "`BUG %s (%s): %pV`"),
    # fs/dcache.c umount_check (`BUG: Dentry %p{i=%lx,n=%pd}  still in use (%d) [unmount of %s %s]`, then WARN_ON(1)
    # from the unmount's dcache shrink): the dentry's address, inode number and name change from boot to boot; the
    # title keeps what syzkaller's keeps, the operation (version 3 took it for a generic BUG, its text the title).
    Signature("dentry-in-use", "bug", "BUG:",
              r"BUG: (Dentry [^\n]{1,400}? still in use) \(-?\d{1,10}\) \[(unmount) of ",
              "BUG: Dentry still in use in {2}", NO_STACK, S.NONE, severity=W, v3_title="BUG: {1}",
              why="fs/dcache.c umount_check `BUG: Dentry %p{i=%lx,n=%pd}  still in use (%d) [unmount of %s %s]`"),
    # SLUB debugging (SLUB_HEADERS): the message follows `BUG <cache>: ` or `BUG <cache> (<taint>): `.
    # Since 6.11 mm/slub.c check_bytes_and_report prints `[%s overwritten] 0x%p-0x%p @offset=%tu. First
    # byte 0x%x instead of 0x%x` first, and object_err's `BUG <cache> (<taint>): Object corrupt` after it.
    Signature("slub-poison", "bug", SLUB_HEADERS[0],
              r"(?:(?<=\): )|(?<=[\w.]: )|(?<=^\[)(?=[A-Za-z ]{6,30}\] 0x))(Poison overwritten)",
              "BUG: {1} in {F}", SLAB_DEBUG, skip=_SLUB_CHECK_SKIP, v3_skip=_SLUB_CHECK_SKIP_V3,
              why="mm/slub.c check_bytes_and_report `%s overwritten` for check_object's `Poison` (a write after free)"),
    Signature("slub-debug", "bug", SLUB_HEADERS,
              r"(?:(?<=\): )|(?<=[\w.]: )|(?<=^\[)(?=[A-Za-z ]{6,30}\] 0x))((?:" + "|".join(SLUB_CHECKS) + r") overwritten|"
              r"Objects remaining (?:in [\w.:\-]{1,64} )?on [\w.]{1,64}\(\))",
              "BUG: {1} in {F}", SLAB_CHECK, skip=_SLUB_CHECK_SKIP, v3_skip=_SLUB_CHECK_SKIP_V3),
    # SLAB debugging (mm/slab.c, CONFIG_DEBUG_SLAB, 2.6 to 6.7; SLUB's reports are above): the slab_error() macro's
    # __slab_error prints `slab error in %s(): cache `%s': %s` (the checking function, the cache, a fixed message) and
    # dump_stack()s: verify_redzone_free's double free and overrun past the object, cache_free_debugcheck's and
    # slab_destroy_debugcheck's overwritten redzones, cache_init_objs' constructor overruns, kmem_cache_destroy's
    # `Can't free all objects`.  The trace runs through the allocator's free path to the code that freed (or destroyed
    # the cache); a double free has the invalid-free bucket of KASAN's and SLUB's reports of the same bug.
    Signature("slab-double-free", "bug", SLAB_ERROR,
              rf"{_SLAB_ERROR_LINE}(double free(?: detected|, or memory outside object was overwritten))",
              "BUG: slab error: {1} in {F}", SLAB_CHECK, alts=("invalid-free in {F}",), skip=_SLAB_ERROR_SKIP, line_start=True,
              why="mm/slab.c __slab_error `slab error in %s(): cache `%s': %s` from verify_redzone_free, then dump_stack"),
    Signature("slab-error", "bug", SLAB_ERROR,
              rf"{_SLAB_ERROR_LINE}(memory outside object was overwritten|"
              r"(?:start|end) of a freed object was overwritten|constructor overwrote the (?:start|end) of an object|"
              r"Can't free all objects|object was modified after freeing)",
              "BUG: slab error: {1} in {F}", SLAB_CHECK, skip=_SLAB_ERROR_SKIP, line_start=True,
              why="mm/slab.c __slab_error `slab error in %s(): cache `%s': %s`, then dump_stack"),
    Signature("bad-page-state", "bug", "BUG:", r"BUG: Bad page state", "BUG: Bad page state in {F}", BAD_PAGE,
              skip=_BAD_PAGE_SKIP, v3_skip=_BAD_PAGE_SKIP_V3),
    # mm/page_alloc.c bad_page before it printed `BUG: ` (2.6.0-2.6.28: `Bad page state in process '%s'`, the page,
    # `Trying to fix it up, but a reboot is needed`, `Backtrace:`, dump_stack; then briefly `Bad page state in process
    # %s  pfn:%05lx`): the same report under the later title.
    Signature("bad-page-state-old", "bug", "Bad page state in process ",
              r"^Bad page state in process (?:'[^'\n]{1,64}'|\S{1,64}  pfn:[0-9a-f]{1,16})", "BUG: Bad page state in {F}",
              BAD_PAGE, skip=_BAD_PAGE_SKIP, v3_skip=_BAD_PAGE_SKIP_V3, line_start=True,
              why="mm/page_alloc.c (2.6.0-2.6.28) bad_page `Bad page state in process '%s'` ... `Backtrace:`, dump_stack()"),
    # kernel/workqueue.c wq_watchdog_timer_fn: a worker pool made no progress; like a hung task, work
    # is stuck, and the report shows pools, not a stack.
    # lockdep ran out of a fixed table and turns itself off: a limit of the debugging build, found wherever
    # the next lock was taken, so the message alone is the title.
    Signature("lockdep-limit", "lockdep", "BUG:", r"BUG: (MAX_[A-Z_]{3,40} too low!)", "BUG: {1}", NO_STACK, S.NONE,
              severity=W,
              why="kernel/locking/lockdep.c save_trace / add_lock_to_list / lookup_chain_cache_add: "
                  "`print_lockdep_off(\"BUG: MAX_STACK_TRACE_ENTRIES too low!\")` and the other MAX_* limits"),
    Signature("workqueue-lockup", "hung-task", "BUG:", r"BUG: workqueue lockup", "BUG: workqueue lockup",
              NO_STACK, S.NONE, severity=E),
    # A page-table or mm counter found inconsistent: a state, found long after whoever broke it, so a fixed
    # title (the dump_stack below shows the checker, not the culprit).
    Signature("bad-mm-state", "bug", "BUG:",
              r"BUG: (Bad page map|Bad rss-counter state|non-zero (?:nr_ptes|nr_pmds|pgtables_bytes) on freeing mm)",
              "BUG: {1}", NO_STACK, S.NONE,
              why="mm/memory.c print_bad_pte `BUG: Bad page map in process %s  pte:%08llx pmd:%08llx`; kernel/fork.c "
                  "check_mm `BUG: Bad rss-counter state mm:%p type:%s val:%ld`, `BUG: non-zero pgtables_bytes on freeing mm`"),
    # The page cache's check of a page it deletes (mm/filemap.c unaccount_page_cache_page, 5.16+
    # filemap_unaccount_folio: `pr_alert("BUG: Bad page cache in process %s  pfn:%05lx\n", current->comm, ...)`,
    # dump_page, dump_stack): the task's name is no part of the bug, the checker's caller deleted the page.
    Signature("bad-page-cache", "bug", "BUG:", r"BUG: Bad page cache in process", "BUG: Bad page cache in {F}", TRACE,
              skip=r"^(?:unaccount_page_cache_page|filemap_unaccount_folio)$",
              why="mm/filemap.c unaccount_page_cache_page `BUG: Bad page cache in process %s  pfn:%05lx`, then "
                  "dump_page and dump_stack"),
    # WARN_ON() of 2.6.18-2.6.24 (include/asm-generic/bug.h: `printk("BUG: warning at %s:%d/%s()\n", __FILE__,
    # __LINE__, __FUNCTION__); dump_stack();`, RHEL 5 adds ` (%s)` with print_tainted()): a warning, read as the
    # later `WARNING: at %s:%d %s()` of the same macro is.
    Signature("bug-warning", "warning", "BUG:", r"BUG: (warning at [^\s:]{1,200}):\d{1,7}/[A-Za-z_$][\w$.]{0,200}\(\)",
              "WARNING in {F}", WARN, severity=W, v3_title="BUG: {1} in {F}",
              why="include/asm-generic/bug.h (2.6.18-2.6.24) WARN_ON `BUG: warning at %s:%d/%s()`, then dump_stack()"),
    Signature("bug-generic", "bug", "BUG:", _BUG_TEXT, "BUG: {1} in {F}",
              TRACE, stackless_title="BUG: {1}"),
    # --- WARNING: ------------------------------------------------------------------------------
    Signature("lockdep-circular", "lockdep", "WARNING:",
              r"WARNING: (possible circular locking dependency detected|possible recursive locking detected|possible irq lock inversion dependency detected|[A-Z\-]+-safe -> [A-Z\-]+-unsafe lock order detected|SOFTIRQ-safe -> SOFTIRQ-unsafe)",
              "possible deadlock in {F}", LOCKDEP, severity=W, skip=_FLUSH_AS_LOCK,
              requires=_LOCKDEP_REQ, fallback="WARNING: {1}"),
    Signature("lockdep-inconsistent", "lockdep", "WARNING:", r"WARNING: (inconsistent lock state)",
              "inconsistent lock state in {F}", LOCKDEP, severity=W, requires=_LOCKDEP_REQ, fallback="WARNING: {1}"),
    Signature("rcu-usage", "lockdep", "WARNING:", r"WARNING: suspicious RCU usage",
              "WARNING: suspicious RCU usage in {F}", TRACE, severity=W, skip=_RCU_USAGE_SKIP, v3_skip=_RCU_USAGE_SKIP_V3,
              v4_skip=_RCU_USAGE_SKIP_V4,
              requires=_LOCKDEP_REQ, fallback="WARNING: suspicious RCU usage"),
    Signature("lockdep-warning", "lockdep", "WARNING:",
              r"WARNING: (bad unlock balance|[Nn]ested lock was not taken|bad contention detected)", "WARNING: {C} in {F}", UNLOCK,
              severity=W,
              classes=(("Nested lock was not taken", "nested lock was not taken"),)),
    # a lock still held where none may be: the culprit took the lock (its `at:` line)
    Signature("lockdep-held", "lockdep", "WARNING:",
              r"WARNING: (?:\S+/\d+ )?(held lock freed|still has locks held|lock held when returning to user space)",
              "WARNING: {1} in {F}", HELD_LOCK, severity=W),
    Signature("warn-stack", "warning", "WARNING:",
              r"WARNING: (kernel stack regs|kernel stack frame pointer) (?:at [0-9a-f]+ )?in \S+ has bad ('[a-z]+' )?value",
              "WARNING: {1} has bad {2} value", NO_STACK, S.NONE, severity=W),
    # Without CONFIG_DEBUG_BUGVERBOSE the WARNING line names no file, only the WARN site (kernel/panic.c __warn
    # `WARNING: CPU: %d PID: %d at %pS`): lib/debugobjects.c's site is debug_print_object.
    Signature("warn-odebug", "warning", "WARNING:", _WARN_AT + r"(?:lib/debugobjects\.c:|debug_print_object(?:\+0x| \(|\s*$))",
              "WARNING: ODEBUG bug in {F}",
              WARN, severity=W,
              skip=_ODEBUG_SKIP),
    Signature("warn-kobject", "warning", "WARNING:", _WARN_AT + r"lib/kobject\.c:", "WARNING: kobject bug in {F}",
              WARN, severity=W, skip=r"^kobject_"),
    # fs/proc/generic.c proc_register's `proc_dir_entry '%s/%s' already registered` WARNING is syzkaller's `proc
    # registration bug` (its rule: `WARNING: .*fs/proc/generic\.c.* proc_register`); the file's other WARNINGs (a bad
    # name in __xlate_proc_name, a non-empty directory in remove_proc_entry) are plain WARNINGs, as there.  Version 3
    # titled every fs/proc/generic.c WARNING a registration bug: that key continues.
    Signature("warn-proc", "warning", "WARNING:", _WARN_AT + r"fs/proc/generic\.c:[^\n]{0,40}? \.?proc_register",
              "WARNING: proc registration bug in {F}", WARN, severity=W, skip=r"^(?:proc_|__proc|remove_proc)"),
    # procfs's WARNINGs about what its caller handed it (frames.PROC_CALLER_SITES: a bad name, a non-empty directory
    # removed): the title is syzkaller's, the WARN site; the driver past procfs and the irq and PCI plumbing that reach
    # it for the driver's IRQ (frames.PROC_CALLER_API) names the function and keys the fingerprint
    # (fingerprint.SITE_TITLES): two drivers are two bugs.  Version 3 titled them registration bugs (warn-proc).
    Signature("warn-proc-caller", "warning", "WARNING:",
              _WARN_AT + r"fs/proc/generic\.c:\d{1,7}\s(?:at\s)?\.?(" + "|".join(PROC_CALLER_SITES) + r")\b",
              "WARNING in {1}", WARN, severity=W, alts=("WARNING in {F}",), skip=r"^(?:" + PROC_CALLER_API + r")$",
              v3_title="WARNING: proc registration bug in {F}", v3_skip=r"^(?:proc_|__proc|remove_proc)",
              why="fs/proc/generic.c __xlate_proc_name `WARN(1, \"name '%s'\\n\", name)`, remove_proc_entry and "
                  "remove_proc_subtree `WARN(1, \"%s: removing non-empty directory '%s/%s', leaking at least '%s'\\n\", ...)`"),
    # The clock framework's checks on a consumer's unbalanced disable or unprepare (frames.CLK_CALLER_SITES): the title
    # is syzkaller's, the WARN site; the consumer past the clock API (frames.CLK_CALLER_API) names the function and keys
    # the fingerprint (fingerprint.SITE_TITLES): two drivers are two bugs.  Version 3 named the site (the generic row):
    # its key, the title, continues.
    Signature("warn-clk-caller", "warning", "WARNING:",
              _WARN_AT + r"drivers/clk/clk\.c:\d{1,7}\s(?:at\s)?(" + "|".join(CLK_CALLER_SITES) + r")\b",
              "WARNING in {1}", WARN, severity=W, alts=("WARNING in {F}",), v3_skip="",
              skip=r"^(?:" + CLK_CALLER_API + r")$",
              why="drivers/clk/clk.c clk_core_disable `WARN(core->enable_count == 0, \"%s already disabled\\n\", ...)`, "
                  "clk_core_unprepare `WARN(core->prepare_count == 0, \"%s already unprepared\\n\", ...)`"),
    Signature("warn-proc-other", "warning", "WARNING:", _WARN_AT + r"fs/proc/generic\.c:", "WARNING in {F}", WARN,
              severity=W, v3_title="WARNING: proc registration bug in {F}", v3_skip=r"^(?:proc_|__proc|remove_proc)",
              why="fs/proc/generic.c __xlate_proc_name `WARN(1, \"name '%s'\\n\", name)`, remove_proc_entry "
                  "`WARN(1, \"%s: removing non-empty directory ...\")`"),
    Signature("warn-refcount", "refcount", "WARNING:", _WARN_AT + r"lib/refcount\.c:", "WARNING: refcount bug in {F}",
              WARN, severity=W, skip=_REFCOUNT_SKIP),
    # lockdep lived in kernel/lockdep.c until 3.15 moved it to kernel/locking/.
    Signature("warn-lockdep", "lockdep", "WARNING:", _WARN_AT + r"kernel/(?:locking/)?lockdep\.c:",
              "WARNING: locking bug in {F}", WARN, severity=W,
              skip=r"^(?:lock_|__lock|lockdep|register_lock_class|look_up_lock_class|__bfs|check_|validate_|mark_|_raw_|debug_)"),
    # mm's WARNINGs with a class of their own, by the file and the function the WARNING line names: mm/usercopy.c's
    # (usercopy_warn), a WARN in an allocator entry of any mm/ file (`kvmalloc_node`, `kmalloc_slab`, `__kmalloc`'s
    # checks: the function's name starts with `malloc` after at most two letters, `k` first) and mm/vmalloc.c's
    # zero-size check in `__vmalloc_node*`; another mm/ WARN is a generic WARNING (`__kmem_cache_create_args`,
    # `vunmap`), as syzkaller classes them.  Version 4; version 3 classed every WARN of mm/slab_common, util, slab, slub
    # and vmalloc by its file.
    Signature("warn-class", "warning", "WARNING:",
              _WARN_AT + r"(?:(?=mm/vmalloc\.c:\d{1,7}\s(?:at\s)?__vmalloc_node)|(?=mm/usercopy\.c:)|"
              r"mm/[\w/\-]{1,100}?\.c:\d{1,7}\s(?:at\s)?k?\w?(?=malloc))(mm/usercopy|mm/vmalloc|malloc)",
              "WARNING: {C} in {F}", WARN, severity=W,
              skip=r"(?:usercopy|__check_object_size|check_object_size|check_heap_object|copy_to_user|copy_from_user|_copy_)",
              classes=(("mm/usercopy", "bad usercopy"), ("mm/vmalloc", "zero-size vmalloc"), ("malloc", "kmalloc bug"))),
    # The rest of those files' WARNINGs are the generic row's; version 3 classed them by the file: its key continues.
    Signature("warn-mm-unclassed", "warning", "WARNING:", _WARN_AT + r"(mm/vmalloc|mm/slab_common|mm/util|mm/slab|mm/slub)\.c:",
              "WARNING in {F}", WARN, severity=W, v3_title="WARNING: {C} in {F}",
              classes=(("mm/vmalloc", "zero-size vmalloc"), ("mm/slab_common", "kmalloc bug"), ("mm/util", "kmalloc bug"),
                       ("mm/slab", "kmalloc bug"), ("mm/slub", "kmalloc bug"))),
    # lib/list_debug.c's checks WARN (CONFIG_DEBUG_LIST before 4.10 BUGs were optional): list corruption.
    Signature("warn-list", "list-corruption", "WARNING:", _WARN_AT + r"lib/list_debug\.c:", "WARNING in {F}", WARN,
              alts=("bad-access in {F}",), severity=W),
    Signature("warn-urb", "warning", "WARNING:", _WARN_AT + r" usb_submit_urb", "WARNING in {F}/usb_submit_urb",
              WARN, severity=W,
              skip=r"^(?:usb_submit_urb|usb_start_wait_urb|usb_bulk_msg|usb_interrupt_msg|usb_control_msg)"),
    # kernel/workqueue.c check_flush_dependency WARNs that %current flushes a !WQ_MEM_RECLAIM workqueue from
    # memory reclaim or a WQ_MEM_RECLAIM worker; only the flush API calls it (__flush_workqueue / flush_workqueue,
    # start_flush_work under __flush_work / flush_work / flush_delayed_work): the flusher is the culprit.  The
    # title is syzkaller's, the WARN site (so that people find it); the flusher names the function and keys the
    # fingerprint (fingerprint.SITE_TITLES): two flushers are two bugs.  Version 3 named the checker itself (the
    # generic row): its key continues.
    Signature("warn-flush-dependency", "warning", "WARNING:", _WARN_AT + r"kernel/workqueue\.c:\d+ check_flush_dependency\b",
              "WARNING in check_flush_dependency", WARN, severity=W, v3_skip="", alts=("WARNING in {F}",),
              skip=r"^(?:check_flush_dependency|_*flush_workqueue|_*flush_work|start_flush_work|flush_delayed_work|"
                   r"flush_rcu_work|drain_workqueue)$",
              message_culprit=_FLUSHER,
              why="kernel/workqueue.c check_flush_dependency `WARN_ONCE(..., \"workqueue: WQ_MEM_RECLAIM %s:%ps is "
                  "flushing !WQ_MEM_RECLAIM %s:%ps\", ...)`"),
    # DMA-API debugging (kernel/dma/debug.c, lib/dma-debug.c before 4.20) checks a driver's DMA call in check_unmap,
    # check_sync, check_for_stack and check_for_illegal_area and WARNs there (err_printk: `DMA-API: %s %s: device
    # driver ...`): the title is syzkaller's, the WARN site; the driver that made the call (below the DMA API's
    # entry points) names the function and keys the fingerprint (fingerprint.SITE_TITLES): two drivers are two bugs.
    # Version 3 titled the driver (the generic row): the key, the driver's `WARNING in F`, is the same.
    Signature("warn-dma-debug", "warning", "WARNING:",
              _WARN_AT + r"(?:kernel/dma/debug|lib/dma-debug)\.c:\d{1,7}\s(?:at\s)?(" + "|".join(DMA_DEBUG_WARN_SITES) + r")\b",
              "WARNING in {1}", WARN, severity=W, alts=("WARNING in {F}",), v3_title="WARNING in {F}", v3_skip="",
              skip=r"^(?:" + "|".join(DMA_DEBUG_WARN_SITES) + r"|_{0,2}dma_(?:map|unmap)_\w+)$",
              why="kernel/dma/debug.c err_printk `WARN(1, pr_fmt(\"%s %s: \") format, ...)` in check_unmap, check_sync, "
                  "check_for_stack, check_for_illegal_area, check_sg_segment"),
    # The irq core's free paths WARN about the IRQ the caller frees (an already-free IRQ, one freed from interrupt
    # context or with its affinity notifier still set, a devm_free_irq of an IRQ devm_request_irq never gave:
    # frames.IRQ_FREE_SITES): the title is syzkaller's, the WARN site; the driver below the irq API (frames.IRQ_FREE_API)
    # names the function and keys the fingerprint (fingerprint.SITE_TITLES): two drivers are two bugs.  Version 3 named
    # the site itself (the generic row): its key, the title, continues.
    Signature("warn-irq-free", "warning", "WARNING:",
              _WARN_AT + r"kernel/irq/(?:manage|devres)\.c:\d{1,7}\s(?:at\s)?(" + "|".join(IRQ_FREE_SITES) + r")\b",
              "WARNING in {1}", WARN, severity=W, v3_skip="", alts=("WARNING in {F}",),
              skip=r"^(?:" + "|".join(IRQ_FREE_API) + r")$",
              why="kernel/irq/manage.c __free_irq `WARN(1, \"Trying to free already-free IRQ %d\\n\", irq)`, free_irq "
                  "`WARN_ON(desc->affinity_notify)`; kernel/irq/devres.c devm_free_irq `WARN_ON(devres_destroy(...))`"),
    # PREEMPT_RCU's scheduler hook WARNs about the task that slept inside an RCU read-side critical section
    # (kernel/rcu/tree_plugin.h rcu_note_context_switch, `Voluntary context switch within RCU read-side critical
    # section!`): the title is syzkaller's, the WARN site; the code that chose to sleep, the first frame past the
    # scheduler and the sleeping primitives (as for `scheduling while atomic`), names the function and keys the
    # fingerprint (fingerprint.SITE_TITLES): two sleepers are two bugs.  Version 3 named the site (the generic row):
    # its key, the title, continues.
    Signature("warn-rcu-context-switch", "warning", "WARNING:",
              _WARN_AT + r"kernel/rcu/tree_plugin\.h:\d{1,7}\s(?:at\s)?rcu_note_context_switch\b",
              "WARNING in rcu_note_context_switch", WARN, severity=W, v3_skip="", alts=("WARNING in {F}",),
              skip=r"^rcu_note_context_switch$|" + _SLEEPER_SKIP,
              why="kernel/rcu/tree_plugin.h rcu_note_context_switch `WARN_ONCE(!preempt && rcu_preempt_depth() > 0, "
                  "\"Voluntary context switch within RCU read-side critical section!\")`"),
    # 3.x warn_slowpath_common printed `WARNING: at %s:%d %pS()`; a syslog relay may squeeze the
    # space out (`WARNING: atarch/x86/xen/mmu.c:475 f+0x32/0x8e()`): the site still follows `at`.
    # (Version 3 took such a line for a message: its title continues as an alias.)
    Signature("warning-squeezed", "warning", "WARNING:", r"WARNING: at([\w/.\-]{1,200}\.[ch]:\d+ [^\s].*\S)",
              "WARNING in {F}", WARN, severity=W, v3_title="WARNING: at{1}",
              why="kernel/panic.c warn_slowpath_common (3.x) `WARNING: at %s:%d %pS()`"),
    Signature("warning", "warning", "WARNING:",
              r"WARNING: (?:CPU: \d+ PID: \d+ at |at |[^ ]+:\d+ at )(\S+)?",
              "WARNING in {F}", WARN, severity=W),
    # A WARN() quoted with its `WARNING: CPU: %d PID: %d at %pS` line cut (kernel/panic.c __warn_printk prints CUT_HERE
    # and the message, __warn the WARNING line, then the registers and trace; lib/bug.c report_bug prints CUT_HERE first
    # for a WARN without a message): the rule, then no report's header before the register dump's PC line
    # (frames.FAULT_PC), whose
    # function is the WARN's site, as the WARNING line's `%pS` would have named it.  Below the rule, another report's
    # header (`WARNING:`, `kernel BUG at`, a message row's line) starts that report instead (events._header_below).
    Signature("warn-cut-headless", "warning", CUT_HERE, r"(?<=---)\[ cut here \]-{3,}", "WARNING in {F}", WARN, severity=W,
              corrupted=True, requires=FAULT_PC.pattern,
              why="kernel/panic.c __warn_printk `pr_warn(CUT_HERE)` and __warn `WARNING: CPU: %d PID: %d at %pS`; "
                  "lib/bug.c report_bug `printk(KERN_DEFAULT CUT_HERE)`"),
    # kmemcheck (2.6.31-4.14) trapped a read of memory not yet written: the registers of the read, then
    # its stack, with no `Call Trace:` line.
    # WARN_ON() of 2.6.0-2.6.18 (include/asm-generic/bug.h and the arch bug.h files: `printk("Badness in %s at
    # %s:%d\n", __FUNCTION__, __FILE__, __LINE__); dump_stack();`; powerpc's trap handler printed the same from
    # its bug table): the function is in the message, as a later WARNING's site is.
    Signature("badness", "warning", "Badness in ", r"Badness in [A-Za-z_$][\w$.]{0,200} at \S{1,200}:\d{1,7}",
              "WARNING in {F}", ((P.HEADER,), (P.TRACE, P.STACK)), severity=W,
              why="include/asm-generic/bug.h (2.6.0-2.6.18) WARN_ON `Badness in %s at %s:%d`, then dump_stack()"),
    # WARN_ON() through the generic bug table (lib/bug.c report_bug, 2.6.19 until it printed `WARNING: at %s:%u`):
    # `Badness at %s:%u` (`Badness at %p [verbose debug info unavailable]` without the file), then show_regs():
    # the trapping PC names the function (powerpc `NIP [..] f+0x..`, s390 `Krnl PSW`, sh `PC is at`).
    Signature("badness-at", "warning", "Badness at ",
              r"^Badness at (?:[^\s:]{1,200}:\d{1,7}|(?:0x)?[0-9a-f]{8,16} \[verbose debug info unavailable\])\s*$",
              "WARNING in {F}", WARN, severity=W,
              why="lib/bug.c (2.6.19-2.6.3x) report_bug `Badness at %s:%u`, then show_regs(regs)"),
    Signature("kmemcheck", "warning", "WARNING:",
              r"WARNING: kmemcheck: Caught (\d{1,3})-bit read from ([a-z]{1,20}|\(invalid shadow state\)) memory",
              "WARNING: kmemcheck: Caught {1}-bit read from {2} memory in {F}", ((P.PC, P.STACK), (P.STACK,)), severity=W,
              why="mm/kmemcheck/error.c kmemcheck_error_recall `WARNING: kmemcheck: Caught %d-bit read from %s "
                  "memory (%p)`, then the shadow, show_regs and print_stack_trace"),
    Signature("warning-text", "warning", "WARNING:", r"WARNING: (.*\S)", "WARNING: {1}", NO_STACK, S.NONE, severity=W),
    # --- INFO: ---------------------------------------------------------------------------------
    Signature("rcu-stall", "rcu-stall", "INFO:",
              r"INFO: (?:rcu_(?:preempt|sched|bh)|rcu_tasks(?:_trace)?|rcu) (?:self-)?detected (?:expedited )?stalls?",
              "INFO: rcu detected stall in {F}", FAULT, S.RCU_STALL, alts=("stall in {F}",), severity=E),
    Signature("hung-task", "hung-task", "INFO:", r"INFO: task .{1,64}?:\d+ (blocked for more than|can't die for more than)",
              "INFO: task {C} in {F}", TRACE, S.HANG, alts=("hang in {F}",), severity=E,
              classes=(("blocked for more than", "hung"), ("can't die for more than", "can't die"))),
    # A hung-task report quoted without its header (kernel/hung_task.c check_hung_task: `INFO: task %s:%d blocked for more
    # than %ld seconds.`, the taint line, then `"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.`
    # and sched_show_task's task line and stack): the note starts it, with a trace below.  Below the header it continues
    # that report (events._hung_header_above).
    Signature("hung-task-body", "hung-task", HUNG_NOTE, r'hung_task_timeout_secs" disables(?: this message|\s*+$)',
              "INFO: task hung in {F}", TRACE, S.HANG, alts=("hang in {F}",), severity=E, corrupted=True, requires=_TRACE_BELOW,
              why='kernel/hung_task.c check_hung_task `"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this '
                  'message.`'),
    Signature("rcu-usage-info", "lockdep", "INFO:", r"INFO: suspicious (?:RCU|rcu_dereference_check\(\)) usage",
              "INFO: suspicious RCU usage in {F}", TRACE, severity=W, skip=_RCU_USAGE_SKIP, v3_skip=_RCU_USAGE_SKIP_V3,
              v4_skip=_RCU_USAGE_SKIP_V4),
    Signature("info-lockdep", "lockdep", "INFO:",
              # kernel/lockdep.c (2.6.18-4.14) print_irq_inversion_bug `[ INFO: possible irq lock inversion dependency
              # detected ]`, print_bad_irq_dependency `[ INFO: %s-safe -> %s-unsafe lock order detected ]` (irqclass
              # `hard`, `soft`, `hard-read` in 2.6.2x, then the state's name: `HARDIRQ`, `SOFTIRQ-READ`, `RECLAIM_FS`)
              r"INFO: (possible circular locking dependency detected|possible recursive locking detected|"
              r"possible irq lock inversion dependency detected|[A-Za-z_\-]{2,24}-safe -> [A-Za-z_\-]{2,24}-unsafe lock order detected)",
              "possible deadlock in {F}", LOCKDEP, severity=W, requires=_LOCKDEP_REQ, fallback="INFO: {1}"),
    Signature("info-inconsistent", "lockdep", "INFO:", r"INFO: (inconsistent lock state)",
              "inconsistent lock state in {F}", LOCKDEP, severity=W, requires=_LOCKDEP_REQ, fallback="INFO: {1}"),
    # A lockdep report quoted without its banner (`WARNING: possible circular locking dependency detected`, 3.x
    # `[ INFO: ... ]`, and the rules and ident line around it): the first line of its body says which report it is.
    # kernel/locking/lockdep.c print_circular_bug_header and print_deadlock_bug print `%s/%d is trying to acquire
    # lock:` (a circular or a recursive locking report, both `possible deadlock`); print_usage_bug prints
    # `inconsistent {%s} -> {%s} usage.` (an inconsistent lock state).  Below a banner they continue its report
    # (FOLLOWS_HEADER).
    Signature("lockdep-acquire-body", "lockdep", "is trying to acquire lock:", r"/\d{1,10} is trying to acquire lock:\s*$",
              "possible deadlock in {F}", LOCKDEP, severity=W, skip=_FLUSH_AS_LOCK, corrupted=True,
              requires=_LOCKDEP_REQ, line_start=True,
              why="kernel/locking/lockdep.c print_circular_bug_header / print_deadlock_bug `%s/%d is trying to acquire lock:`"),
    # A circular-locking report quoted as its dependency chain alone (kernel/locking/lockdep.c print_circular_bug_entry:
    # `\n-> #%u`, the lock's name, `:` and the stack that took it; print_circular_bug prints the chain from `#0`, the
    # lock being taken, back to the one held): `-> #0`'s stack, past lockdep and the lock API, names the code taking
    # the lock, what syzkaller's title reads in the report's `at:` line.  Below the chain's own heading (`the existing
    # dependency chain (in reverse order) is:`) or a banner it only continues that report (events.CHAIN_BODY).
    Signature("lockdep-chain-body", "lockdep", CHAIN_BODY, r"-> #0 \(", "possible deadlock in {F}", ((P.STACK,),),
              severity=W, corrupted=True, line_start=True,
              why="kernel/locking/lockdep.c print_circular_bug_entry `-> #%u`, the lock, `:` and its acquire trace"),
    # A recursive-locking report quoted from its scenario down (kernel/locking/lockdep.c print_deadlock_bug: the banner,
    # `%s/%d is trying to acquire lock:` and `but task is already holding lock:` cut): print_deadlock_scenario ends with
    # ` *** DEADLOCK ***` and ` May be due to missing lock nesting notation`, which no other report prints, then come the
    # held locks and `stack backtrace:`, dump_stack's trace, whose first frame past lockdep and the lock API takes the
    # lock again.  Below a lockdep banner or body line it only continues that report (events._chain_heading_above).
    Signature("lockdep-nesting-body", "lockdep", NESTING_NOTE, r"May be due to missing lock nesting notation",
              "possible deadlock in {F}", TRACE, severity=W, corrupted=True,
              why="kernel/locking/lockdep.c print_deadlock_scenario ` May be due to missing lock nesting notation`, then "
                  "the held locks and dump_stack"),
    Signature("lockdep-usage-body", "lockdep", "inconsistent {", r"inconsistent \{[A-Z][A-Z_\-]{2,24}\} -> \{[A-Z][A-Z_\-]{2,24}\} usage\.",
              "inconsistent lock state in {F}", LOCKDEP, severity=W, corrupted=True, requires=_LOCKDEP_REQ,
              why="kernel/locking/lockdep.c print_usage_bug `inconsistent {%s} -> {%s} usage.`"),
    # kernel/locking/lockdep.c lockdep_rcu_suspicious prints its banner (`WARNING: suspicious RCU usage`), then the
    # check's `%s:%d %s!` (file, line and the message of RCU_LOCKDEP_WARN: include/linux/rculist.h __list_check_rcu
    # `RCU-list traversed in non-reader section!` and `... without holding the required lock!`, include/linux/rcupdate.h
    # `suspicious rcu_dereference_check() usage` and `... _protected() usage`), then `rcu_scheduler_active = %d,
    # debug_locks = %d`: a quote without the banner starts at the check's line.  Below a banner it continues its report
    # (FOLLOWS_HEADER).  That line, or (where the quote cut it too) lockdep_rcu_suspicious's own frame in dump_stack's trace,
    # says the check's line is the report's and no message of another tool.
    Signature("rcu-usage-body", "lockdep", RCU_USAGE_BODY,
              r"^[\w/.\-]{1,200}\.[ch]:\d{1,7} (?:RCU-list traversed (?:in non-reader section|without holding the required "
              r"lock)|suspicious rcu_dereference_(?:check|protected)\(\) usage)!",
              "WARNING: suspicious RCU usage in {F}", TRACE, severity=W, skip=_RCU_USAGE_SKIP, v3_skip=_RCU_USAGE_SKIP_V3,
              v4_skip=_RCU_USAGE_SKIP_V4,
              corrupted=True, requires=r"rcu_scheduler_active = \d|^\s*(?:\[<[0-9a-f]{8,16}>\] )?lockdep_rcu_suspicious\+0x",
              line_start=True,
              why="kernel/locking/lockdep.c lockdep_rcu_suspicious `%s:%d %s!` after its banner, then "
                  "`rcu_scheduler_active = %d, debug_locks = %d`"),
    # The same report quoted from below its check's line: lockdep_rcu_suspicious's `RCU used illegally from ...!` line
    # (RCU_EQS_BODY), then the held locks and dump_stack's trace (one of them required).  Below a banner or a check's
    # line it continues that report (FOLLOWS_HEADER).
    Signature("rcu-usage-eqs-body", "lockdep", RCU_EQS_BODY,
              r"^RCU used illegally from (?:extended quiescent state|idle CPU|offline CPU)!",
              "WARNING: suspicious RCU usage in {F}", TRACE, severity=W, skip=_RCU_USAGE_SKIP, v3_skip=_RCU_USAGE_SKIP_V3,
              v4_skip=_RCU_USAGE_SKIP_V4,
              corrupted=True, line_start=True, requires=_LOCKDEP_REQ,
              why="kernel/locking/lockdep.c lockdep_rcu_suspicious `RCU used illegally from extended quiescent state!`, "
                  "then the held locks (`, at: %pS`) and `stack backtrace:`"),
    Signature("info-static-key", "lockdep", "INFO:", r"INFO: trying to register non-static key",
              "INFO: trying to register non-static key in {F}", TRACE, severity=W,
              skip=r"^(?:register_lock_class|__lock_acquire|lock_acquire|_raw_|lockdep)"),
    Signature("info-allocated", "kasan", "INFO:", r"INFO: Allocated in (\S+?)(?:\+0x\S+)? (age=\d+ cpu=\d+ pid=\d+)",
              "INFO: Allocated in {1} {2}", NO_STACK, S.NONE, corrupted=True),
    # --- faults and traps ----------------------------------------------------------------------
    # s390 (arch/s390/mm/fault.c do_no_context / do_fault_error): `Unable to handle kernel pointer dereference in
    # virtual kernel address space`, `... paging request in virtual user address space`; die(regs, "Oops").
    # dump_fault_info prints the page of the access (`Failing address: %016lx TEID: %016lx`, the TEID's
    # address bits): page 0 is a NULL pointer, the x86 and arm64 kind of an address below PAGE_SIZE.
    Signature("s390-fault", "paging-fault", "Unable to handle kernel",
              r"Unable to handle kernel (?:pointer dereference|paging request) in virtual (?:kernel|user) address space",
              "BUG: unable to handle kernel paging request in {F}", alts=BAD, die=True,
              below=(Below(r"^\s*Failing address: 0{16}\b", "null-deref",
                           "BUG: unable to handle kernel NULL pointer dereference in {F}", BAD,
                           why="arch/s390/mm/fault.c dump_fault_info `Failing address: %016lx TEID: %016lx`"),),
              why="arch/s390/mm/fault.c do_no_context `Unable to handle kernel pointer dereference in virtual kernel "
                  "address space`, then die(regs, \"Oops\")"),
    # s390 program checks (arch/s390/kernel/traps.c do_trap, illegal_op, monitor_event_exception -> die(regs, str),
    # arch/s390/kernel/dumpstack.c die `"%s: %04x ilc:%d [#%d] "`): the trap's name is the report.  The PSW
    # points past the trapping instruction (get_trap_ip subtracts the ilc); its function is the culprit, the
    # Last Breaking-Event-Address when the PSW is no symbol or the start of the next function (culprit.py).
    # A PSW in the first page (the lowcore, which holds no code) is a call through a NULL function pointer.
    # `Oops` is the fault report's own die() (s390-fault above).
    Signature("s390-trap", "invalid-opcode", " ilc:", S390_TRAP,
              "{C} in {F}", die=True, line_start=True,
              classes=(("fixpoint divide exception", "divide error"), ("illegal operation", "invalid opcode"),
                       ("monitor event", "kernel BUG")),
              kinds=(("fixpoint divide exception", "divide-error"), ("HFP divide exception", "divide-error"),
                     ("monitor event", "bug"), ("addressing exception", "paging-fault"),
                     ("translation exception", "paging-fault")),
              below=(Below(r"^\s*Krnl PSW\s*:\s*[0-9a-fA-F]{16}\s+0{13}[0-9a-fA-F]{3}\s", "null-deref",
                           "BUG: unable to handle kernel NULL pointer dereference in {F}", BAD,
                           why="arch/s390/kernel/dumpstack.c show_registers `Krnl PSW : %px %px (%pSR)`"),),
              why="arch/s390/kernel/traps.c do_trap -> die(regs, str); arch/s390/kernel/dumpstack.c die "
                  "`\"%s: %04x ilc:%d [#%d] \"`"),
    # arch/s390/kernel/traps.c kernel_stack_overflow: `Kernel stack overflow.`, show_regs, then
    # panic("Corrupt kernel stack, can't continue."), which continues it: the PSW is the overflowing code.
    Signature("s390-stack-overflow", "stack-overflow", "Kernel stack overflow.", r"^Kernel stack overflow\.\s*+$",
              "kernel stack overflow in {F}", PC_ONLY, alts=("stack-overflow in {F}",), die=True,
              why="arch/s390/kernel/traps.c kernel_stack_overflow `Kernel stack overflow.` then "
                  "panic(\"Corrupt kernel stack, can't continue.\")"),
    # arch/arm64/mm/fault.c die_kernel_fault and arch/arm/mm/fault.c __do_kernel_fault say "NULL pointer
    # dereference" for an address below PAGE_SIZE, as x86 does: the same kind.
    Signature("arm-null-deref", "null-deref", "Unable to handle kernel",
              r"Unable to handle kernel NULL pointer dereference",
              "BUG: unable to handle kernel NULL pointer dereference in {F}", alts=BAD, die=True),
    # arch/powerpc/mm/fault.c bad_page_fault before 4.20 printed every kernel data fault as `Unable to handle kernel paging
    # request for data at address 0x%08lx`; since, `BUG: Kernel NULL pointer dereference on read at 0x%08lx` when the
    # address is below PAGE_SIZE (`regs->dar < PAGE_SIZE`), as x86, arm and arm64 always did.  An address in the first
    # 4 KiB (the smallest page) is that NULL dereference on every kernel: the same title and kind on RHEL 7 and 9.
    Signature("ppc-null-deref-old", "null-deref", "Unable to handle kernel",
              r"Unable to handle kernel paging request for data at address 0x0{0,13}[0-9a-f]{1,3}\s*$",
              "BUG: unable to handle kernel NULL pointer dereference in {F}", alts=BAD, die=True,
              why="arch/powerpc/mm/fault.c bad_page_fault (2.6-4.19) `Unable to handle kernel paging request for data at "
                  "address 0x%08lx`; 4.20+ names an address below PAGE_SIZE a NULL pointer dereference"),
    # arch/arm64/mm/fault.c __do_kernel_fault names a permission fault by what the access was: `write to read-only
    # memory`, `execute from non-executable memory`, else `read from unreadable memory`; do_page_fault names a kernel
    # fetch from a user page `execution of user memory` (die_kernel_fault, PXN: arm64's SMEP) and a kernel access to
    # one outside the uaccess routines `access to user memory outside uaccess routines`.
    Signature("arm-fault", "paging-fault", "Unable to handle kernel",
              r"Unable to handle kernel (paging request|access to user memory|execute from non-executable memory|"
              r"write to read-only memory|read from unreadable memory|execution of user memory)",
              "BUG: unable to handle kernel {1} in {F}", alts=BAD, die=True),
    # arch/parisc/mm/fault.c do_page_fault's no_context, and kernel/traps.c handle_interruption for a kernel-space fault,
    # call parisc_terminate: `%s: Code=%d (%s) at addr %016lx` (2.6: `%s: Code=%d regs=%p (Addr=%08lx)`) with the message
    # it was given, show_regs (`IAOQ[0]: %pS`, the faulting PC), the backtrace, then panic(msg) (CONSEQUENCE_PANIC):
    # parisc's kernel fault report.  An address in the first 4 KiB is a NULL dereference, as ppc-null-deref-old reads it.
    Signature("parisc-null-deref", "null-deref", PARISC_FAULTS,
              rf"{_PARISC_LINE}(?:\([^)\n]{{1,64}}\) at addr |regs=\S{{1,18}} \(Addr=)"
              r"(?:0x)?0{0,13}[0-9a-f]{1,3}\b",
              "BUG: unable to handle kernel NULL pointer dereference in {F}", alts=BAD, die=True, line_start=True,
              why="arch/parisc/kernel/traps.c parisc_terminate `%s: Code=%d (%s) at addr ` RFMT, an address below 4 KiB"),
    Signature("parisc-fault", "paging-fault", PARISC_FAULTS,
              rf"{_PARISC_LINE}(?:\(|regs=)",
              "BUG: unable to handle kernel paging request in {F}", alts=BAD, die=True, line_start=True,
              why="arch/parisc/kernel/traps.c parisc_terminate `%s: Code=%d (%s) at addr ` RFMT, then show_regs"),
    Signature("gpf", "gpf", ("general protection fault", "stack segment: "), r"(general protection fault|stack segment)(?::|,|\s|$)",
              "{C} in {F}", alts=BAD, die=True, classes=(("stack segment", "stack segment fault"),)),
    # A GPF quoted without its header: KASAN's note on the faulting address (mm/kasan/report.c
    # kasan_non_canonical_hook `KASAN: %s in range [0x%016lx-0x%016lx]`), which x86's die_addr prints between
    # __die_header's `general protection fault, ...: 0000 [#1]` and the registers (events.FOLLOWS_HEADER: below
    # the header it only continues it), still says the report is a GPF; the RIP line names where, or, where the
    # quote cut the registers too (as Documentation/process/submitting-patches.rst lets it), x86's `Call Trace:`
    # (arch/x86/kernel/dumpstack.c show_trace_log_lvl; arm64, whose die_kernel_fault also calls the hook below its
    # own header, prints `Call trace:`).
    Signature("gpf-kasan-range", "gpf", KASAN_RANGE,
              r"KASAN: (?:null-ptr-deref|maybe wild-memory-access|probably user-memory-access) in range \[",
              "general protection fault in {F}", alts=BAD, corrupted=True, die=True,
              requires=r"^\s*(?:RIP: [0-9a-f]{4}:|Call Trace:)",
              why="mm/kasan/report.c kasan_non_canonical_hook, from arch/x86/kernel/traps.c die_addr"),
    # 2.6-3.x printed only die()'s header (arch/x86/kernel/traps.c do_double_fault: die("double fault", ..),
    # __die: "%s: %04lx [#%d]"; arch/x86_64/kernel/traps.c __die before 2.6.24: "%s: %04lx [%u] ", no `#`);
    # later kernels print `PANIC: double fault, error_code:` before it.
    Signature("double-fault", "double-fault", ("PANIC: double fault", "double fault: "),
              r"PANIC: double fault|^double fault: [0-9a-f]{4} \[#?\d{1,6}\]", "PANIC: double fault in {F}", die=True),
    # BUG()'s file is __FILE__ as the compiler was given it: a vendor tree or a build outside the source directory
    # prefixes it (`kernel BUG at kernel/msm-4.14/lib/list_debug.c:53!`, Ubuntu's `/build/linux-aa0B4d/linux-5.15.0/...`),
    # as _WARN_AT allows for a WARNING's.
    Signature("kernel-bug-list", "list-corruption", "kernel BUG", r"kernel BUG at " + _BUILD_PREFIX + r"lib/list_debug\.c",
              "BUG: corrupted list in {F}", alts=BAD, die=True),
    # Hardened usercopy refused a copy to or from user memory: the caller copied out of bounds.
    Signature("kernel-bug-usercopy", "bug", "kernel BUG", r"kernel BUG at " + _BUILD_PREFIX + r"mm/usercopy\.c", "BUG: bad usercopy in {F}",
              die=True, v3_title="kernel BUG in {F}",
              why="mm/usercopy.c usercopy_abort `Kernel memory %s attempt detected %s%s%s%s %s (offset %lu, size %lu)!` "
                  "then BUG()"),
    Signature("kernel-bug", "bug", "kernel BUG", r"kernel BUG at ", "kernel BUG in {F}", skip=r"^skb_", die=True,
              below=ASSERT_REPORTER_BUGS),
    # x86_64 before the i386 merge (arch/x86_64/kernel/traps.c handle_BUG, 2.6.0-2.6.23: `printk(KERN_ALERT
    # "Kernel BUG at %.50s:%d\n", f.filename, f.line)`, then die("invalid opcode", ..)).  lib/bug.c report_bug's
    # `Kernel BUG at %p [verbose debug info unavailable]` is a trap no BUG() left in the table (no file): not this.
    Signature("kernel-bug-x86-64", "bug", "Kernel BUG at ", r"Kernel BUG at [^\s:]{1,60}:\d{1,7}\s*$", "kernel BUG in {F}",
              skip=r"^skb_", die=True, v3_title="invalid opcode in {F}",
              why="arch/x86_64/kernel/traps.c (2.6.0-2.6.23) handle_BUG `Kernel BUG at %.50s:%d`, then die()"),
    # The IDTENTRY conversion of the divide error (kernel commit 9d06c4027f21, Linux 5.8) spelt the trap's
    # name with an underscore until it was corrected: arch/x86/kernel/traps.c exc_divide_error
    # `do_error_trap(regs, 0, "divide_error", ...)` -> die() -> __die `"%s: %04lx [#%d]"`.
    Signature("divide-error", "divide-error", ("divide error:", "divide_error:"), r"divide error:|divide_error: [0-9a-f]{4} \[#\d{1,6}\]", "divide error in {F}",
              die=True),
    # arm32 has no divide trap: the EABI division helpers of arch/arm/lib/lib1funcs.S and div64.S branch to Ldiv0 /
    # Ldiv0_64 on a zero divisor, which calls arch/arm/kernel/traps.c __div0 `pr_err("Division by zero in kernel.\n");
    # dump_stack();` and returns: a survived report, whose dump (ARM_UNWIND: frames with no header line) starts in
    # the helpers; the caller that divided is the culprit, titled as x86's divide error.
    Signature("arm-div0", "divide-error", "Division by zero in kernel.", r"^Division by zero in kernel\.$", "divide error in {F}",
              ((P.TRACE, P.STACK), (P.STACK,)), severity=W, line_start=True,
              skip=r"^(?:__div0|Ldiv0(?:_64)?|__aeabi_u?(?:idiv|ldiv)(?:mod)?|__u?(?:div|mod)si3|__do_div64|__div64_32)$",
              why="arch/arm/kernel/traps.c __div0 `pr_err(\"Division by zero in kernel.\\n\"); dump_stack();`, from "
                  "arch/arm/lib/lib1funcs.S Ldiv0"),
    Signature("int3", "invalid-opcode", "int3: ", r"int3: ", "int3 in {F}", die=True),
    Signature("invalid-opcode", "invalid-opcode", "invalid opcode:", r"invalid opcode:", "invalid opcode in {F}", die=True),
    # UBSAN's trap mode (CONFIG_UBSAN_TRAP): the compiler emits a trap with the check's code instead of a call to a
    # lib/ubsan.c handler, and the trap handler prints the check report_ubsan_failure names (`UBSAN: array index out
    # of bounds`): arm64's brk handler through die() `Internal error: %s: %016lx [#%d]`, riscv's die() `%s [#%d]`,
    # x86's handle_bug `%s at %pS` before the invalid-opcode oops.  The title takes the class the handler mode prints
    # for the same check (ubsan_prologue `UBSAN: %s in %s:%d:%d`), so a bug keys the same in both builds.
    Signature("ubsan-trap", "ubsan", "UBSAN:", UBSAN_TRAP, "UBSAN: {C} in {F}", die=True, classes=UBSAN_TRAP_CLASSES,
              why="lib/ubsan.c report_ubsan_failure `UBSAN: array index out of bounds`, arch/arm64/kernel/traps.c die "
                  "`Internal error: %s: %016lx [#%d]`, arch/x86/kernel/traps.c handle_bug `%s at %pS`"),
    Signature("ubsan", "ubsan", "UBSAN:", r"UBSAN: (Undefined behaviour|[a-z\-]+) in ", "UBSAN: {C} in {F}", TRACE,
              severity=W, skip=r"(?:ubsan|overflow)", classes=(("Undefined behaviour", "undefined-behaviour"),)),
    Signature("arm-internal", "paging-fault", "Internal error:", r"Internal error: ", "Internal error in {F}", alts=BAD, die=True),
    # mips BUG() is a `break` with code BRK_BUG and no bug table (arch/mips/include/asm/bug.h HAVE_ARCH_BUG):
    # arch/mips/kernel/traps.c do_trap_or_bp `die_if_kernel("Kernel bug detected", regs)` -> die
    # `printk("%s[#%d]:\n", str, ++die_counter)`, then show_registers (`epc   : %0*lx %pS`) and the trace.
    Signature("mips-bug", "bug", "Kernel bug detected[#", r"Kernel bug detected\[#\d{1,6}\]:", "kernel BUG in {F}",
              die=True,
              why="arch/mips/kernel/traps.c do_trap_or_bp `die_if_kernel(\"Kernel bug detected\", regs)`, "
                  "die `\"%s[#%d]:\\n\"`"),
    # A unit's disabled-trap handler entered from the kernel (the kernel touched the FPU or a vector unit it had not
    # enabled): arch/loongarch/kernel/traps.c do_fpu, do_lsx, do_lasx, do_lbt and arch/mips/kernel/traps.c do_cpu
    # `die_if_kernel("do_fpu invoked from kernel context!", regs)` -> die `printk("%s[#%d]:\n", str, ++die_counter)`,
    # then the registers (LoongArch `ERA: %lx %pS`, MIPS `epc   : %0*lx %pS`) and the stack.
    Signature("die-kernel-context", "invalid-opcode", "invoked from kernel context![#",
              r"^(do_[a-z]{2,6} invoked from kernel context)!\[#\d{1,6}\]:", "{1} in {F}", die=True, line_start=True,
              why="arch/loongarch/kernel/traps.c do_fpu/do_lsx/do_lasx/do_lbt, arch/mips/kernel/traps.c do_cpu "
                  "`die_if_kernel(\"do_fpu invoked from kernel context!\", regs)`, die `\"%s[#%d]:\\n\"`"),
    Signature("arm-unhandled", "paging-fault", "Unhandled fault:", r"Unhandled fault:", "Unhandled fault in {F}",
              alts=BAD, die=True),
    Signature("hard-lockup", "hard-lockup", "Watchdog detected hard LOCKUP",
              r"Watchdog detected hard LOCKUP on cpu", "BUG: hard lockup in {F}", NMI_PC, S.LOCKED_CPU,
              alts=("stall in {F}",), skip=_NMI_SKIP, stackless_title="BUG: hard lockup"),
    # A quote that starts at die()'s line (arch/x86/kernel/dumpstack.c __die_header `%s: %04lx [#%d]` with str
    # "Oops", which only arch/x86/mm/fault.c page_fault_oops passes; 6.10 printed it as `Oops: Oops: 0000 [#1]`)
    # lost both the fault's header and its `#PF:` lines: the fault it was is told by CR2 as above.  Below its
    # header the line only continues the report (FOLLOWS_HEADER).
    Signature("oops-headless", "paging-fault", "Oops: ", X86_DIE_OOPS,
              "BUG: unable to handle kernel paging request in {F}", alts=BAD, corrupted=True, die=True,
              requires=r"^\s*(?:RIP: [0-9a-f]{4}:|EIP: (?:[0-9a-f]{4}:\[<[0-9a-f]{8}>\]|[A-Za-z_.$][\w.$]{0,127}\+0x))",
              below=(X86_CR2_NULL,),
              why="arch/x86/kernel/dumpstack.c __die_header `%s: %04lx [#%d]` of die(\"Oops\") (page_fault_oops); its "
                  "register dump names the PC as x86_64's `RIP: %04x:` or i386's `EIP: %04x:[<%08lx>]` (2.6-4.x "
                  "arch/x86/kernel/process_32.c __show_regs) or `EIP: %pS` (since 4.x)"),
    # powerpc die() (arch/powerpc/kernel/traps.c __die: `Oops: %s, sig: %ld [#%d]`) without a fault or BUG
    # line before it (those it continues, CONTINUES_REPORT): the reason die() was given is the report.
    Signature("ppc-oops", "bug", "Oops: ", r"^Oops: ([A-Z][A-Za-z ]{2,60}), sig: \d+", "Oops: {1} in {F}", die=True,
              kinds=(("Kernel access of bad area", "paging-fault"), ("Machine check", "machine-check"))),
    # A Rust panic: the message (Rust 1.73+ prints it below `panicked at file:l:c:`), then BUG(), whose
    # report continues this one (CONTINUES_REPORT).
    Signature("rust-panic", "bug", "rust_kernel: panicked",
              r"rust_kernel: panicked at (?:'(.{1,300}?)', \S+|\S+:\d+:\d+:?\s*$)", "{1} in {F}", TRACE,
              message_below=True, die=True, v3_title="kernel BUG in rust_helper_BUG",
              why="rust/kernel/lib.rs #[panic_handler] `pr_emerg!(\"{}\\n\", info)` (module prefix `rust_kernel: `), "
                  "then BUG() in rust/helpers/bug.c rust_helper_BUG (rust/helpers.c before 6.11)"),
    # A leaked reference holds a device being unregistered; printed every 10 s; no stack, the name varies.
    Signature("netdev-refcount", "refcount", "unregister_netdevice: waiting for",
              r"unregister_netdevice: waiting for \S+ to become free", "unregister_netdevice: waiting for DEV to become free",
              NO_STACK, S.NONE, severity=E,
              why="net/core/dev.c netdev_wait_allrefs_any `unregister_netdevice: waiting for %s to become free. "
                  "Usage count = %d`"),
    # A fatal machine check panics with its own reason right below its banks (arch/x86_64/kernel/mce.c mce_panic:
    # print_mce `CPU %d: Machine Check Exception: %16Lx`, then panic(msg); arch/i386/kernel/cpu/mcheck/p4.c, k7.c
    # `panic("CPU context corrupt")`, `panic("Unable to continue")`): that panic titles it, as a panic with a reason does.
    Signature("mce", "machine-check", "Machine Check Exception", r"Machine Check Exception",
              "machine check exception", NO_STACK, S.NONE, panic_title=True,
              why="arch/x86_64/kernel/mce.c print_mce `CPU %d: Machine Check Exception: %16Lx`, mce_panic -> panic(msg)"),
    Signature("vfs", "bug", "VFS: ", r"VFS: (Close: file count is 0|Busy inodes after unmount)", "{C}", NO_STACK, S.NONE,
              classes=(("Close: file count is 0", "VFS: Close: file count is zero (use-after-free)"),
                       ("Busy inodes after unmount", "VFS: Busy inodes after unmount (use-after-free)"))),
    Signature("trusty-assert", "panic", "trusty: panic", r"trusty: panic .*?ASSERT FAILED at \([^)]*\): (.*)",
              "trusty: ASSERT FAILED: {1}", NO_STACK, S.NONE),
    Signature("trusty-panic", "panic", "trusty: panic", r"trusty: panic [^:]*: (.*)", "trusty: panic: {1}",
              NO_STACK, S.NONE),
    Signature("reboot", "panic", "Booting the kernel.", r"^Booting the kernel\.", "unexpected kernel reboot",
              NO_STACK, S.NONE),
    # The Go runtime's own crash (a fuzzer or agent in the guest): Go's runtime/panic.go throw -> fatalthrow
    # prints `fatal error: %s`, then the traceback's `goroutine %d [%s]:` (runtime/traceback.go
    # goroutineheader) or `runtime stack:`; without them the words are another message's.
    Signature("go-fatal", "panic", "fatal error:", r"^fatal error: (.*)", "go runtime error", NO_STACK, S.NONE,
              requires=r"^(?:goroutine \d+ \[|runtime stack:|\[signal )"),
    Signature("syzfail", "panic", "SYZFAIL:", r"SYZFAIL: (.*)", "SYZFAIL: {1}", NO_STACK, S.NONE),
    # --- panic() ----------------------------------------------------------------------------------
    Signature("stack-protector", "stack-protector", "Kernel panic",
              r"Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: " + _F,
              "kernel panic: stack is corrupted in {F}", ((P.HEADER,), (P.TRACE, P.STACK)), own_report=True),
    Signature("sysrq-panic", "sysrq", "Kernel panic", r"Kernel panic - not syncing: sysrq triggered crash",
              "kernel panic: sysrq triggered crash", TRACE, own_report=True),
    Signature("init-signal", "init-signal", "Kernel panic",
              r"Kernel panic - not syncing: Attempted to kill init!(?: exitcode=0x0*(?:[1-7][0-9a-f]|[1-9a-f]))?\s*$",
              "kernel panic: Attempted to kill init!", TRACE),
    Signature("init-exit", "init-exit", "Kernel panic",
              r"Kernel panic - not syncing: Attempted to kill init! exitcode=0x[0-9a-f]*+(?<=00)\s*+$",
              "kernel panic: Attempted to kill init! (init exited)", TRACE, own_report=True),
    Signature("no-root-fs", "no-root-fs", "Kernel panic",
              r"Kernel panic - not syncing: (?:VFS: )?Unable to mount root fs", "kernel panic: VFS: Unable to mount root fs",
              TRACE, own_report=True),
    # The OOM killer's panics (mm/oom_kill.c: check_panic_on_oom `Out of memory: %s panic_on_oom is enabled`, 2.6.x
    # `out of memory. panic_on_oom is selected`, out_of_memory `Out of memory and no killable processes...`, `System
    # is deadlocked on memory`); a bare `panic("Out of memory")` is a caller giving up on an allocation of its own
    # (mm/page_ext.c at boot), a panic like any other.
    Signature("oom-panic", "oom", "Kernel panic",
              r"Kernel panic - not syncing: (?=Out of memory(?::| and no killable)|out of memory\. panic_on_oom|"
              r"System is deadlocked on memory)" + _TEXT_TO_EOL,
              "kernel panic: {1}", TRACE, alts=("oom in out_of_memory",), v3_title="kernel panic: Out of memory",
              why="mm/oom_kill.c check_panic_on_oom `Out of memory: %s panic_on_oom is enabled`, out_of_memory "
                  "`Out of memory and no killable processes...`; both from out_of_memory, the OOM killer's entry: the "
                  "key is the `oom in out_of_memory` bucket, so that a caller's own `panic(\"Out of memory\")` is not "
                  "the OOM killer's; titled by the panic's own words, as syzkaller titles a panic"),
    # 3.x kernel/watchdog.c watchdog_overflow_callback panicked with its report's own words
    # (`panic("Watchdog detected hard LOCKUP on cpu %d", this_cpu)` when hardlockup_panic is set).
    Signature("hard-lockup-panic", "hard-lockup", "Kernel panic",
              r"Kernel panic - not syncing: (?:Hard LOCKUP|Watchdog detected hard LOCKUP on cpu)",
              "kernel panic: Hard LOCKUP", NMI_PC, S.LOCKED_CPU, skip=_NMI_SKIP),
    # drivers/watchdog/hpwdt.c hpwdt_pretimeout, HPE iLO's NMI (its watchdog's pretimeout, iLO's `Generate NMI`, a
    # hardware error logged in the IML): `panic("An NMI occurred, please see the Integrated Management Log for
    # details.\n")` (2.6.x-3.x), `"An NMI occurred, but unable to determine source.\n"`, `"An NMI occurred. Depending on
    # your system the reason for the NMI is logged in any one of the following resources:\n1. Integrated Management
    # Log (IML)\n..."` (3.x-4.15), and since 4.16 the same after the NMI status byte (`hex_byte_pack(panic_msg, mynmi)`:
    # `00: An NMI occurred. ...`).  One event on every kernel: one title, so that a fleet's iLO NMIs stay one history.
    Signature("hpwdt-nmi-panic", "panic", "Kernel panic",
              r"Kernel panic - not syncing: ((?:[0-9a-f]{2}: )?An NMI occurred[,.](?:\s*+\S)*+)\s*+$",
              "kernel panic: An NMI occurred", TRACE, v3_title="kernel panic: {1}",
              why="drivers/watchdog/hpwdt.c hpwdt_pretimeout: panic()/nmi_panic() with the four messages above"),
    Signature("mce-panic", "machine-check", "Kernel panic",
              r"Kernel panic - not syncing: (?:Fatal machine check|Machine check|Fatal hardware error|Fatal local machine check|Timeout: Not all CPUs entered)",
              "kernel panic: fatal machine check", NO_STACK, S.NONE),
    Signature("panic-consequence", "panic", "Kernel panic",
              r"Kernel panic - not syncing: (Fatal exception|panic_on_warn set|hung_task: blocked tasks|softlockup: hung tasks|rcu_stall|Oops - BUG|BUG!|Oops|"
              r"Aiee, killing interrupt handler!|Attempted to kill the idle task!)",
              "kernel panic: {1}", TRACE, corrupted=True, alts=("kernel panic: {1} in {F}",)),
    Signature("panic", "panic", "Kernel panic", r"Kernel panic - not syncing: " + _TEXT_TO_EOL, "kernel panic: {1}", TRACE),
)

# A panic whose reason only says "an earlier report was fatal": the cause is that report.  parisc_terminate panics with
# the message of the fault report it printed (PARISC_MESSAGES).
CONSEQUENCE_PANIC = re.compile(
    rf"Kernel panic - not syncing: (?:[a-z]+: )?(?:{PARISC_MESSAGES}|Fatal exception|panic_on_warn set|hung_task: blocked tasks|"
    r"softlockup: hung tasks|rcu_stall|Oops - BUG|Oops|BUG!|Hard LOCKUP|Fatal hardware error|Fatal machine check|"
    r"kernel stack overflow|corrupted stack end|"
    # kernel/exit.c do_exit: a task the earlier oops killed could not exit (in an interrupt, or the idle task)
    r"Aiee, killing interrupt handler!|Attempted to kill the idle task!)"
)

# Detectors that panic right after their own report, with the reason they print (kernel/watchdog.c
# watchdog_timer_fn `panic("softlockup: hung tasks")`, kernel/hung_task.c check_hung_uninterruptible_tasks
# `panic("hung_task: blocked tasks")`, kernel/rcu/tree_stall.h panic_on_rcu_stall `panic("RCU Stall")`,
# kernel/watchdog_hld.c watchdog_overflow_callback `nmi_panic(regs, "Hard LOCKUP")`): the fatal
# report is the last one of that kind before the panic line.
PANIC_NAMES_REPORT: tuple[tuple[str, frozenset[str]], ...] = (
    ("softlockup: hung tasks", frozenset({"soft-lockup"})),
    ("hung_task: blocked tasks", frozenset({"hung-task"})),
    ("RCU Stall", frozenset({"rcu-stall"})),
    ("rcu_stall", frozenset({"rcu-stall"})),
    ("Hard LOCKUP", frozenset({"hard-lockup"})),
)


class Escalation(NamedTuple):
    """One task's stall seen by two detectors, the one that ends the machine reporting later."""

    first: str  # the kind of the detector that reports first
    fatal: str  # the kind of the detector that panics


# RCU's stall warning (kernel/rcu/tree_stall.h, after rcu_cpu_stall_timeout: 21 s by default, often booted shorter)
# and the watchdog's soft lockup (kernel/watchdog.c, after 2 * watchdog_thresh: 20 s by default) on the same spinning
# task: only the watchdog ends the machine (`softlockup_panic`; an RCU stall panics only with `panic_on_rcu_stall`).
STALL_ESCALATIONS: tuple[Escalation, ...] = (Escalation(first="rcu-stall", fatal="soft-lockup"),)

# Reports that older kernels printed as a WARN() message: the `WARNING: at` line opens them and the
# report's own header follows as the message (3.x kernel/watchdog.c watchdog_overflow_callback:
# `WARN(1, "Watchdog detected hard LOCKUP on cpu %d", this_cpu)`).
WARN_CARRIED_KINDS = frozenset({"hard-lockup"})

# Rows that match a message rather than a report: a WARN() always prints its site (kernel/panic.c
# __warn `WARNING: CPU: %d PID: %d at %pS`, 3.x warn_slowpath_common `WARNING: at %s:%d %pS()`), so a
# bare `WARNING: text` line is a driver's pr_warn (`WARNING: strange, CPU MTRRs all blank?`).
# `unregister_netdevice: waiting for` repeats every 10 s and never ends: a state, which a real report
# after it outranks.
MESSAGE_ONLY = frozenset({"warning-text", "netdev-refcount"})

# Rows that match a WARN()'s message (lib/debugobjects.c debug_print_object's `ODEBUG:` line): the `WARNING:` line
# of the same WARN() prints next to it (since 4.1x the message first, before it the site first, 3.x with `Hardware
# name:` between), and that line's report is the one; the message alone reports only where a quote dropped it.
WARN_MESSAGES = frozenset({"odebug-message", "refcount-message"})

# Header lines that the kernel prints right below another report's header, as part of its report: (the line's
# header, the header above it, how many lines below it at most).  arch/x86/kernel/traps.c exc_double_fault prints
# `PANIC: double fault, error_code:` and then die()'s `double fault: 0000 [#1]`; arch/x86/mm/fault.c
# show_fault_oops prints the fault's `BUG:` header and then its `#PF:` lines.
FOLLOWS_HEADER: tuple[tuple[str, str, int], ...] = (
    *((header, "general protection fault", 2) for header in KASAN_RANGE),
    ("double fault: ", "PANIC: double fault", 2),
    # lockdep's banner, its ident line and rule, then the body's first line (kernel/locking/lockdep.c print_circular_bug_header,
    # print_usage_bug: the `-----` rule and print_kernel_ident's line between), other CPUs' lines maybe printed between
    *((body, banner, 12) for body in ("is trying to acquire lock:", "inconsistent {") for banner in ("WARNING:", "INFO:")),
    # lockdep_rcu_suspicious: its banner, the rule, then the check's line
    *((body, banner, 4) for body in RCU_USAGE_BODY for banner in ("WARNING:", "INFO:")),
    # ... and its `RCU used illegally from ...!` lines, below the check's line, `other info ...` and `rcu_scheduler_active`
    *((RCU_EQS_BODY, above, 10) for above in ("WARNING:", "INFO:", *RCU_USAGE_BODY, RCU_EQS_BODY)),
    ("Kernel bug detected[#", "kernel BUG", 3),
    # arm's BUG() before GENERIC_BUG (arch/arm/kernel/traps.c __bug: `printk(KERN_CRIT"kernel BUG at %s:%d!\n",
    # file, line); *(int *)0 = 0;`): the NULL write it makes on purpose reports the BUG's registers and trace.
    ("Unable to handle kernel", "kernel BUG", 2),
    ("#PF: ", "BUG:", 2),
    # arch/x86/mm/fault.c page_fault_oops: the header, its `#PF:` lines and the page-table dump, then die("Oops"),
    # other messages of the boot maybe printed between.
    ("Oops: ", "BUG:", 12),
    ("Oops: ", "#PF: ", 11),
)

# Header lines that continue the report before them instead of starting a new one.
CONTINUES_REPORT = re.compile(
    r"(?:invalid opcode: 0000|Kernel panic - not syncing|unregister_netdevice: waiting for|"
    r"PANIC: double fault|Internal error:|kernel BUG at rust/helpers|unreferenced object 0x|^Oops: [A-Z][A-Za-z ]{2,60}, sig: \d+|"
    # s390 BUG(): lib/bug.c report_bug prints `kernel BUG at`, then monitor_event_exception calls die()
    r"^monitor event: [0-9a-f]{4} ilc:)"
)
# Messages with a stack of their own that end the text a report's title and culprit come from.
ENDS_REPORT = re.compile(r"(?:vmalloc: allocation failure:|FAULT_INJECTION: forcing a failure|FAULT_FLAG_ALLOW_RETRY missing)")

# Lines that contain a header literal but are not kernel crash reports.
SUPPRESSIONS: dict[str, re.Pattern[str]] = {
    "BUG:": re.compile(r"(?:[A-Za-z]BUG:|BUG: (?:KASAN|KMSAN): .*?\bstack-trace is missing)"),
    "WARNING:": re.compile(
        r"(?:[A-Za-z]WARNING:|sshd|EXT4-fs|XFS|WARNING: (?:ignoring|Spectre|/etc|can't|[Tt]he mand mount|"
        r"CPU: \d+ PID: \d+ at (?:\S+) (?:sched_setaffinity)|[a-z]+:\d+ mount)|Mitigation|mitigation|"
        r"WARNING: You are running|WARNING: unsupported|WARNING: workqueue cpumask|WARNING: Flush |"
        # a subsystem's message that contains the word, not a WARN() report: `Foo Bar: WARNING: ...`
        r"^[A-Z][A-Za-z0-9 ]{2,60}: WARNING:)"
    ),
    "INFO:": re.compile(
        r"(?:[A-Za-z]INFO:|INFO: lockdep is turned off|INFO: NMI handler .* took too long|INFO: recovery required|"
        r"INFO: Stall ended|INFO: RCU|INFO: Freed in|INFO: Slab 0x|INFO: Object 0x|EXT4-fs)"
    ),
    "general protection fault": re.compile(r"(?:general protection fault:? ?.* ip:[0-9a-f]+ sp:|error:\d+ in )"),
    "Booting the kernel.": re.compile(r".(?=Booting)"),
}

def headers_of(sig: Signature) -> tuple[str, ...]:
    return sig.header if isinstance(sig.header, tuple) else (sig.header,)


HEADERS: tuple[str, ...] = tuple(dict.fromkeys(h for sig in SIGNATURES for h in headers_of(sig)))
BY_HEADER: dict[str, tuple[Signature, ...]] = {
    h: tuple(sig for sig in SIGNATURES if h in headers_of(sig)) for h in HEADERS
}

# Culprits that say more about the crash than its shape: a NULL write in sysrq_handle_crash (RHEL 8)
# and a panic() called from it (Linux 6.1) are both the deliberate sysrq-c test crash.
KIND_BY_FUNCTION: dict[str, str] = {
    "sysrq_handle_crash": "sysrq",
}
