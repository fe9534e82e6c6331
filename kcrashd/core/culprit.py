"""Pick the culprit function of a report from its lines, per the signature's stack spec.

A stack spec is a list of parts matched against the report in order (signatures.Part): a line part
(PC line, `Call Trace`, `at:` line) advances to the first line that matches it and may yield a
candidate; a STACK part collects the frames that follow.  The culprit is the first candidate that
is not generic (frames.is_skipped); if a spec yields none, the next spec is tried.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from kcrashd.core import frames, wrapped
from kcrashd.core.signatures import S390_TRAP, WARN, Part, Signature, Spec, Strategy

_HEADER_FN = re.compile(r"\b(?:in|at):? ([A-Za-z_$][A-Za-z0-9_$.]*)(?:\+0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?)?(?:\s|$|\[)")
# A bare code address where a header names its function: `%pB` / `%pS` print the address itself when no symbol
# covers it (lib/vsprintf.c symbol_string without a kallsyms match): no function, the trace names it.
_BARE_ADDRESS = re.compile(r"(?:0x)?[0-9a-f]{8,16}")
_TRACE = re.compile(r"^\s*(?:Call Trace|Call trace|Backtrace)\b")
# A lockdep lock line (kernel/locking/lockdep.c print_lock: `, at: %pS` of the acquire ip; before 4.x
# `, at: ` and print_ip_sym's `[<%p>] %pS`), also as a quote leaves it with the address and the offset
# cut: `(&h->lock#2){+.+.-.}, at: mb_cache_shrink_scan` (group 2), or decoded (scripts/decode_stacktrace.sh:
# `at: genl_rcv (net/netlink/genetlink.c:1210)`).
# The end of a `%pS` (`f+0x1/0x2`) where scripts/decode_stacktrace.sh may have decoded it: parse_symbol rewrites a
# line's last word `f+0x1/0x2` (or the one before a `[mod]`) as `f (file.c:N)`.
_PS_END = rf"(?:\+0x|{frames.DECODED_POSITION})"
_AT_LINE = re.compile(
    r"(?:, at:|\bat:) (?:\[<[0-9a-fA-F]+>\]\s+)?\.?([A-Za-z_$][A-Za-z0-9_$.]*)"
    rf"{_PS_END}|"
    r"[})], at: {1,4}\.?([A-Za-z_$][A-Za-z0-9_$.]{0,200}) {0,8}$"
)
# A held-lock line (`, at: [<addr>]`) cut before its `%pS`: what every such line contains, and the line.
_WRAPPED_AT = "at: [<"
_AT_ADDRESS_EOL = re.compile(r"\bat: {1,4}\[<[0-9a-fA-F]{1,16}>\]\s*$")
# lockdep's header of its own trace (kernel/locking/lockdep.c: `pr_warn("\nstack backtrace:\n")`, then
# dump_stack(), whose `Call Trace:` line a quote may leave out).
_LOCKDEP_BACKTRACE = re.compile(r"^\s*stack backtrace:\s*$")
_INTERRUPT = re.compile(r"^--- interrupt: [0-9a-f]+ at \.?([A-Za-z_$][A-Za-z0-9_$]*)")
_LEAK_START = re.compile(rf"^{frames.LEAK_TRACE}")
_LAST_FUNCTION = re.compile(r"^\s*last function: ([A-Za-z_$][A-Za-z0-9_$]*)")
_PAGE_OWNER = re.compile(r"^page last allocated via")
# mm/slub.c print_track: `INFO: %s in %pS age=%lu cpu=%u pid=%d`, and `%s in %pS ...` since 2021's "mm, slub:
# don't combine pr_err with INFO" dropped the prefix from SLUB's detail lines (print_page_info's `Slab 0x%p` too).
_FREED_IN = re.compile(r"^(?:INFO: )?Freed in ([A-Za-z_$][A-Za-z0-9_$.]*)\+0x")
# A trace trimmed of its offsets (frames.mark_trimmed_frames) ends such a frame in the mark.
_IRQ_END = rf"(?:{_PS_END}|{frames.TRIMMED_MARK}$)"
_IRQ_ENTRY = re.compile(
    rf"(?:^\s*(?:\w*apic_timer_interrupt\w*|el1h_64_irq|el1_irq|__irq_svc|gic_handle_irq){_IRQ_END}|"
    rf"\](?:\s+\?)?\s+\w*apic_timer_interrupt\w*{_IRQ_END}|Exception stack\(|"
    r"^\s*</IRQ>|^\s*<EOI>)"
)
# Fault injection prints its own stack; one of its frames inside ours means two dumps interleaved.
_FAULT_INJECTION = re.compile(r"^(?:__)?should_fail")
# Syscalls that only dispatch to a driver or protocol handler: in any arch's wrapper spelling
# (`__ia32_compat_sys_ioctl` -> `ioctl`) they end a stall's walk like the VFS multiplexers.
_MULTIPLEXED_SYSCALLS = frozenset({"ioctl", "sys_ioctl"})
# A driver's compat_ioctl only converts arguments for its native ioctl handler: the handler above
# it is the culprit, or the compat handler itself when it loops on its own.
_COMPAT_IOCTL = re.compile(r"_compat_ioctl$")
# The WARN site of kernel/panic.c __warn: `WARNING: CPU: 1 PID: 2 at kernel/module.c:1108 module_put+0x57/0x70`,
# and since 6.18 `WARNING: kernel/module.c:1108 at module_put+0x57/0x70, CPU#1: insmod/2` (`%s:%d at %pS, CPU#%d:
# %s/%d`), or, for a WARN whose bug entry has no file, `WARNING: at %pS, CPU#%d: %s/%d` (the site's offset, then
# `, CPU#`).  scripts/decode_stacktrace.sh replaces `f+0x1/0x2` with `f (file.c:123)`.
_WARN_SITE = re.compile(
    r"(?:\bat ?[^\s:]{1,200}:\d+ |\bWARNING: [^\s:]{1,200}:\d+ at |"
    r"\bWARNING: at (?=[A-Za-z_$][A-Za-z0-9_$.]{0,200}\+0x[0-9a-fA-F]{1,16}/0x[0-9a-fA-F]{1,16}(?: \[[\w-]{1,64}\])?, CPU#))"
    r"\.?([A-Za-z_$][A-Za-z0-9_$.]*)(?:\+0x| \()"
)
# PC lines no frame parser reads: old x86 show_regs (`EIP is at f+0x1/0x2`), the closing
# `EIP: [<addr>] ? f+0x1/0x2 SS:ESP` line, a decoded `RIP: 0010:f (file.c:123)`, and klogd's
# translation `EIP: 0010:[mod:f+16/3868]` (Documentation/admin-guide/bug-hunting.rst).
_PC_IS_AT = re.compile(rf"^\s*[ER]?IP is at ([A-Za-z_$][A-Za-z0-9_$.]*){_PS_END}")
_QUESTIONED_PC = re.compile(
    r"\b[ER]?IP: (?:\[<[0-9a-fA-F]+>\] \? |(?:[0-9a-fA-F]{4}:)?(?=[A-Za-z_$][A-Za-z0-9_$.]* \()|"
    r"\s*[0-9a-fA-F]{4}:\[(?:[A-Za-z0-9_\-]{1,64}:)?(?=[A-Za-z_$][A-Za-z0-9_$.]*\+\d+/\d+\]))"
    r"([A-Za-z_$][A-Za-z0-9_$.]*)"
)
# A kernel-mode PC that is no symbol: `RIP: 0010:0xffff8bbfafef2e80` (user mode is 0033).
# lib/smp_processor_id.c check_preemption_disabled prints `caller is %pS` right below its header.
_CALLER_IS = re.compile(rf"^\s*caller is ([A-Za-z_$][A-Za-z0-9_$.]*){_PS_END}")
_CALLER_LINES = 3
_RAW_PC = re.compile(r"\b[ER]?IP: 0010:(?:0x)?[0-9a-fA-F]{6,16}\s*$")
# A fault on fetching an instruction: the kernel jumped to an address that holds no code it may run (data, a page
# marked NX, a user page under SMEP), and the PC is that address, not code that ran: arch/x86/mm/fault.c
# show_fault_oops prints `#PF: supervisor instruction fetch in kernel mode` (X86_PF_INSTR, 5.1+) and, before,
# `kernel tried to execute NX-protected page - exploit attempt?` / `unable to execute userspace code (SMEP?)`.  The
# PC then names whatever symbol precedes the address (LKDTM's EXEC_DATA: `RIP: 0010:data_area+0x0/...`), as a bare
# address names none: the caller's return address is the culprit (_without_reliable_frame).
_INSTRUCTION_FETCH = re.compile(
    r"#PF: supervisor instruction fetch in kernel mode|kernel tried to execute NX-protected page|"
    r"unable to execute userspace code"
)
# arm64's: arch/arm64/mm/fault.c __do_kernel_fault `Unable to handle kernel execute from non-executable memory` (a
# permission fault), and mem_abort_decode's `EC = 0x21: IABT (current EL)` for any kernel instruction abort.  The pc
# then names the nearest text symbol below the address, even far past its size (`pc : f+0x7ea8/0x1298`); the `lr :`
# the kernel prints next (process.c __show_regs) is the return address into the function whose branch jumped there.
_ARM64_INSTRUCTION_ABORT = re.compile(r"Unable to handle kernel execute from non-executable memory|EC = 0x21: IABT \(current EL\)")
_ARM64_PC = re.compile(rf"^\s*pc : \.?([A-Za-z_$][A-Za-z0-9_$.]*){_PS_END}")
# powerpc's: arch/powerpc/mm/fault.c __bad_page_fault `BUG: Unable to handle kernel instruction fetch%s` (the 0x400 and
# 0x480 instruction storage interrupts), after bad_kernel_fault's `kernel tried to execute %s page (%lx) - exploit
# attempt?`.  The NIP (process.c show_regs `NIP [%016lx] %pS`) is the address jumped to: since 7.x module data has
# kallsyms names, so LKDTM's EXEC_DATA reads `NIP [..] data_area+0x0/0x40 [lkdtm]` (6.1: the last text symbol, far past
# its size); the `LR [..] %pS` below it is the return address into the function whose branch jumped there.
_PPC_INSTRUCTION_FETCH = re.compile(r"Unable to handle kernel instruction fetch")
_PPC_NIP = re.compile(rf"^\s*NIP \[[0-9a-fA-F]{{1,16}}\] \.?([A-Za-z_$][A-Za-z0-9_$.]*){_PS_END}")
# How far below the header the fault's own lines are looked for (arm64's Mem abort info is longer).
_FAULT_LINES = 8
_ABORT_LINES = 16
# An x86 kernel-mode PC line: `RIP: 0010:`, i386's `EIP: 0060:`, and 2.6-4.x's `IP: [<addr>]` / `RIP: 0010:[<addr>]`.
_X86_KERNEL_PC = re.compile(r"\b[ER]?IP: (?:00[16]0:|\[<)")
# arm64 `pc : 0x0` / `lr : f+0x..` (arch/arm64/kernel/process.c __show_regs; arm and arm64 before 4.x `PC is at %pS` /
# `LR is at %pS`, read for a PC in the first page only: a call through a NULL function pointer), powerpc `NIP [0000000000000000] 0x0`
# / `LR [c000000000123456] f+0x..` (arch/powerpc/kernel/process.c show_regs prints both with %pS), s390
# `Krnl PSW : 0704c00180000000 0000000000000000 (0x0)` / the first trace entry, the return address in r14
# that show_trace prints in parentheses (`([<000003ff80193b76>] f+0x3c6/0x4b0)`, arch/s390/kernel/dumpstack.c).
# A quote may strip powerpc's bracketed address (`NIP 0x0`, `LR  f+0x..`): %pS of no symbol prints `0x%lx`.
_RAW_ARM_PC = re.compile(
    r"^\s*(?:pc : |NIP \[[0-9a-fA-F]{1,16}\] )(?:0x)?[0-9a-fA-F]{1,16}\s*$|^\s*NIP\s++0x[0-9a-fA-F]{1,16}\s*$|"
    r"^\s*PC is at 0x0{0,13}[0-9a-fA-F]{1,3}\s*$|"
    r"Krnl PSW\s*:\s*[0-9a-fA-F]{1,16}\s+[0-9a-fA-F]{1,16}\s+\((?:0x)?[0-9a-fA-F]{1,16}\)\s*$"
)
# The link register's leader on its own line: powerpc's `LR [%016lx] ` (its address a quote may strip) and ARM's
# `LR is at ` (_ARM_LR_AT); _LINK_REGISTER adds arm64's `lr : ` and s390's r14 entry, _PPC_LR reads them below a PC.
_ARM_LR_AT = "LR is at "
_LR_HEAD = rf"LR(?: \[[0-9a-fA-F]{{1,16}}\])?\s++|{_ARM_LR_AT}"
_LR_SYMBOL = rf"\.?([A-Za-z_$][A-Za-z0-9_$.]*){_PS_END}"
_LINK_REGISTER = re.compile(rf"^\s*(?:lr : |{_LR_HEAD}|\(\[<[0-9a-fA-F]{{1,16}}>\] ){_LR_SYMBOL}")
# s390 show_regs (arch/s390/kernel/dumpstack.c): `Krnl PSW : <mask> <addr> (%pSR)`, at the start of a
# function (`f+0x0/`), and show_last_breaking_event's `Last Breaking-Event-Address:` with the branch below it.
_S390_PSW = re.compile(r"^\s*Krnl PSW\s*:")
_S390_PSW_AT_START = re.compile(r"^\s*Krnl PSW\s*:\s*[0-9a-fA-F]{1,16}\s+[0-9a-fA-F]{1,16}\s+\([A-Za-z_$][\w$.]{0,200}\+0x0/")
_S390_BREAKING_EVENT = re.compile(r"^\s*Last Breaking-Event-Address:\s*$")
_S390_TRAP = re.compile(S390_TRAP)
# A BUG/WARN site in a header file (`at include/linux/skbuff.h:2301`), and a PC that names a compiler clone.
_HEADER_FILE_SITE = re.compile(r"\bat \S{1,200}\.h:\d+")
_CLONE_PC = re.compile(rf"(?:IP|pc|is at|NIP)\b[^+]{{0,80}}?\b([A-Za-z_$][A-Za-z0-9_$]*\.(?:part|isra|constprop)\.\d+){_PS_END}")
# powerpc `LR [%016lx] %pS` below `NIP` (arch/powerpc/kernel/process.c show_regs) and 32-bit ARM's `LR is at %pS` below
# `PC is at %pS` (arch/arm/kernel/process.c __show_regs; arm64 before 4.x the same words): a leaf helper's caller.
_PPC_LR = re.compile(rf"^\s*(?:{_LR_HEAD}){_LR_SYMBOL}")
# kernel/panic.c print_oops_end_marker (`---[ end trace %016llx ]---`): the report was printed to its end.
_END_MARKER = "---[ end trace"
# Module-annotated frame: `func+0x12/0x34 [mod]`.
# Decoded (scripts/decode_stacktrace.sh handle_line prints the module after the position, its brackets
# stripped): `f (drivers/x.c:12) mod`.
_IN_MODULE = re.compile(r"\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+ \[[A-Za-z0-9_\-]+|\.[chS]:\d{1,7}\) \[?[A-Za-z0-9_\-]{1,64}\]?\s*$")


@dataclass(slots=True)
class Culprit:
    """The chosen function and extra names for alternative titles."""

    function: str | None
    alternatives: list[str] = field(default_factory=list)
    fault_injection: bool = False
    # Found where fingerprint version 2 named none (`in corrupted`): the PC, WARN site, `?` frame or
    # link register of a report without a usable reliable frame.
    recovered: bool = False
    # The function fingerprint version 3 chose where a version-4 rule chose another (an out-of-line
    # header helper, a polled device accessor's caller, a frame line that lost its first column), `""`
    # when version 3 chose none: its key continues in `fingerprint_aliases`.
    earlier: str | None = None
    # A stall whose stack shows only the watchdog's own reporting path: no function to name, and the report
    # is whole (culprit._stalled).
    messenger_only: bool = False
    # A function read where the title's convention reads none (an RCU stall quoted with its stalled task's trace but
    # neither the interrupted registers nor the interrupt entry: _stack_only_stall): it keys the report, as an
    # alternative title, while the title stays `in corrupted`.
    key_only: str | None = None


def _line_part(part: Part, text: str) -> tuple[bool, str | None]:
    """Whether `text` matches a line part, and the candidate it yields."""
    if part is Part.PC or part is Part.WARN_PC:
        fn = frames.fault_pc(text)
        if fn is not None:
            return True, fn
        if part is Part.WARN_PC and text.startswith("--- interrupt:"):
            m = _INTERRUPT.match(text)
            return m is not None, m.group(1) if m else None
        return False, None
    if part is Part.TRACE:
        return _TRACE.match(text) is not None, None
    if part is Part.AT:
        m = _AT_LINE.search(text) if "at:" in text else None
        return m is not None, frames.clean_function(m.group(1) or m.group(2)) if m else None
    if part is Part.LEAK:
        return _LEAK_START.match(text) is not None, None
    if part is Part.IRQ:
        return _IRQ_ENTRY.search(text) is not None, None
    if part is Part.LAST_FUNCTION:
        m = _LAST_FUNCTION.match(text)
        return m is not None, m.group(1) if m else None
    if part is Part.PAGE_OWNER:
        return _PAGE_OWNER.match(text) is not None, None
    if part is Part.FREED_IN:
        m = _FREED_IN.match(text)
        return m is not None, frames.clean_function(m.group(1)) if m else None
    return False, None


# Functions that never return: the return address a frame below one of them shows may lie past
# the end of its caller.  The hardening reports are declared __noreturn too: fortify_panic
# (include/linux/fortify-string.h before 6.9), __fortify_panic (since), usercopy_abort (mm/usercopy.c).
# Since 6.7 panic() is a wrapper whose last instruction calls the __noreturn vpanic() (include/linux/panic.h), and
# do_exit() ends in the __noreturn do_task_dead() (kernel/sched/core.c); kthread_exit() and do_group_exit() are
# __noreturn as well (include/linux/kthread.h, include/linux/sched/task.h).
_NORETURN = frozenset({
    "panic", "vpanic", "nmi_panic", "do_exit", "do_group_exit", "do_task_dead", "kthread_exit", "make_task_dead",
    "__stack_chk_fail", "arm64_serror_panic", "fortify_panic", "__fortify_panic", "usercopy_abort",
})


def _past_noreturn(frame: frames.FrameLine, before: list[str]) -> bool:
    """A return address at offset 0 right below a noreturn call lies past the end of its caller (the
    call was the caller's last instruction, as arm64 builds lay out panic() calls), so the name
    printed is the next function's, never the culprit."""
    return bool(before) and before[-1] in _NORETURN and frame.offset is not None and frame.offset.startswith("0x0/")


def _ppc_link_register(texts: list[str], start: int) -> list[str]:
    """powerpc's link register after its NIP line (arch/powerpc/kernel/process.c show_regs: `NIP [..] %pS`,
    `LR [..] %pS`): the return address of the interrupted function's last call, its caller when the NIP
    is a leaf helper (memcpy); the trace's first frame is only `(unreliable)` for the same reason."""
    for text in texts[start : start + 4]:
        m = _PPC_LR.match(text)
        if m is not None:
            return [frames.clean_function(m.group(1))]
    return []


def _headerless_trace(texts: list[str], start: int) -> int | None:
    """Where a trace with no `Call Trace:` line starts: a report quoted into a commit message or a
    tracker often leaves the header line out, the frames right below the PC line or the registers.
    None when a header line follows `start` (it is searched for as ever) or no frame line does.
    Below lockdep's `stack backtrace:` (_LOCKDEP_BACKTRACE) when the report has one: the held locks'
    `at:` lines above it are no trace."""
    if any(_TRACE.match(t) for t in texts[start:]):
        return None
    below = _below_lockdep_backtrace(texts, start)
    return next((j for j in range(below, len(texts)) if _trace_frame(texts, j, reliable=True)), None)


def _below_lockdep_backtrace(texts: list[str], start: int) -> int:
    """The line below lockdep's `stack backtrace:` after `start`, else `start`.  Not past a fault injection's
    frame (_FAULT_INJECTION): lib/fault-inject.c fail_dump's own dump_stack interleaved with the report above
    it, which the walk reads to leave the report corrupted."""
    mark = next((n for n in range(start, len(texts)) if _LOCKDEP_BACKTRACE.match(texts[n])), None)
    if mark is None:
        return start
    skipped = (fr.function for t in texts[start:mark] for fr in frames.parse_frames(t))
    return start if any(_FAULT_INJECTION.match(fn) for fn in skipped) else mark + 1


def _label_eol(text: str) -> bool:
    """A line whose address is printed on the next line, above the trace: kernel/sched/core.c
    print_preempt_disable_ip (`Preemption disabled at:`, then print_ip_sym's `[<addr>] %pS`),
    lockdep's `is trying to release lock (x) at:` (print_unlock_imbalance_bug), both frames.AT_EOL,
    and a 3.x held-lock line cut before its symbol (_AT_ADDRESS_EOL)."""
    return frames.AT_EOL.search(text) is not None or _AT_ADDRESS_EOL.search(text) is not None


def _trace_frame(texts: list[str], j: int, reliable: bool) -> bool:
    """A frame line (with a reliable frame, `reliable`) that is no labelled address (_label_eol) above
    the trace (samples: tests/core/test_quote_invariance.py)."""
    found = frames.parse_frames(texts[j])
    if not found or (reliable and not any(fr.reliable for fr in found)):
        return False
    return j == 0 or not _label_eol(texts[j - 1])


def _trace_start(texts: list[str]) -> int | None:
    """The line above a report's trace: its header (frames.STACK_START), or, where a quote left that
    out, the line above its first frame line (_headerless_trace's rules, `?` frames included)."""
    start = next((n for n, t in enumerate(texts) if frames.STACK_START.match(t)), None)
    if start is not None:
        return start
    below = _below_lockdep_backtrace(texts, 1)
    return next((j - 1 for j in range(max(below, 1), len(texts)) if _trace_frame(texts, j, reliable=False)), None)


def run_spec(parts: tuple[Part, ...], texts: list[str], headerless: bool = True) -> list[list[str]]:
    """Candidate lists (one per STACK part after the first) from walking `parts` over `texts`.

    `headerless`: an arm32 frame line starts a trace without a header (False: as version 3 read)."""
    groups: list[list[str]] = [[]]
    stacks = 0
    i = 1
    n = len(texts)
    for k, part in enumerate(parts):
        if part is Part.HEADER:
            m = _HEADER_FN.search(texts[0]) if texts else None
            if m is not None and _BARE_ADDRESS.fullmatch(m.group(1)) is None:
                groups[-1].append(frames.clean_function(m.group(1)))
            continue
        if part is Part.STACK:
            stacks += 1
            if stacks > 1:
                groups.append([])
            nxt = parts[k + 1] if k + 1 < len(parts) else None
            seen_frame = False
            while i < n:
                text = texts[i]
                if nxt is not None and _line_part(nxt, text)[0]:
                    break
                if seen_frame and frames.STACK_START.match(text):
                    break
                found = frames.parse_frames(text)
                if found:
                    seen_frame = True
                    groups[-1].extend(fr.function for fr in found if fr.reliable and not _past_noreturn(fr, groups[-1]))
                i += 1
            continue
        first = _headerless_trace(texts, i) if part is Part.TRACE and headerless else None
        if first is not None:
            i = first
            continue
        while i < n:
            if part is Part.TRACE and headerless and frames.arm_unwound(texts[i]):
                break  # an arm32 unwinder's trace has no header: its first frame line starts it
            ok, fn = _line_part(part, texts[i])
            if ok and part is Part.TRACE and ">{" in texts[i]:
                i -= 1  # x86_64 2.6.0-2.6.17 printed the first frames on the `Call Trace:` line (frames._BRACE_FRAME)
            if not ok and part is Part.AT and (_label_eol(texts[i]) if headerless else frames.AT_EOL.search(texts[i])) and i + 1 < n:
                # `... is trying to release lock (x) at:` with the frame on the next line; also a held-lock
                # line `, at: [<addr>]` a quote wrapped before its symbol (not read by version 3)
                found = frames.parse_frames(texts[i + 1])
                ok, fn = bool(found), found[0].function if found else None
            i += 1
            if ok:
                if fn is not None and part is Part.PC and _fetched_pc_line(texts, texts[i - 1]):
                    break  # the address jumped to, not code that ran (_INSTRUCTION_FETCH)
                if fn is not None:
                    groups[-1].append(fn)
                    if part is Part.PC:
                        groups[-1].extend(_ppc_link_register(texts, i))
                break
        else:
            break
    return groups


# kernel/watchdog.c watchdog_hardlockup_check (kernel/watchdog_hld.c watchdog_overflow_callback before 6.6):
# `Watchdog detected hard LOCKUP on cpu %d` (6.6+ `CPU%u: ... on cpu %u`), then the locked CPU's own registers
# (show_regs, when the detector runs on it) or an NMI asking it for them (trigger_single_cpu_backtrace);
# with hardlockup_all_cpu_backtrace, every other CPU's backtrace too.  lib/nmi_backtrace.c prints `Sending NMI
# from CPU %d to CPUs %*pbl:` (nmi_trigger_cpumask_backtrace) and each answer under `NMI backtrace for cpu %d`
# (nmi_cpu_backtrace).
_LOCKED_CPU = re.compile(r"hard LOCKUP on cpu (\d{1,5})")
_NMI_SENT = "Sending NMI from CPU"
_NMI_ANSWER = re.compile(r"NMI backtrace for cpu (\d{1,5})")


def _locked_cpu_lines(texts: list[str]) -> list[str]:
    """A hard lockup's lines with every other CPU's NMI backtrace blanked out: only the locked CPU's own
    dump (below the header until an NMI is sent, or under `NMI backtrace for cpu N` with N the locked CPU)
    shows what it was stuck in; another CPU's is a bystander's (an idle CPU's cpuidle loop).  When the
    locked CPU never answered the NMI (arm64 without pseudo-NMI), nothing names a culprit."""
    m = _LOCKED_CPU.search(texts[0]) if texts else None
    if m is None or not any(_NMI_SENT in t for t in texts[1:]):
        return texts
    locked = m.group(1)
    own = True
    out = [texts[0]]
    for text in texts[1:]:
        if _NMI_SENT in text:
            own = False
        elif "NMI backtrace" in text and (answer := _NMI_ANSWER.search(text)) is not None:
            own = answer.group(1) == locked
        out.append(text if own else "")
    return out


def walked_candidates(sig: Signature, texts: list[str]) -> list[str]:
    """The stack candidates of every stack spec of `sig`, in the order the culprit rule sees them."""
    if sig.strategy is Strategy.LOCKED_CPU:
        texts = _locked_cpu_lines(texts)
    out: list[str] = []
    for parts in sig.stack:
        out.extend(name for name in run_spec(parts, texts)[0] if name not in out)
    return out


def caller_past(sig: Signature, texts: list[str], function: str, passing: re.Pattern[str] | None = None) -> str | None:
    """The first candidate below `function` in the report's walk that no skip rule (nor `passing`) fits (its caller,
    past inlined plumbing); None when the walk does not hold `function`, nothing past it is left, or what is left is a
    dispatcher (frames.STALL_ANCHORS: a softirq, a work item's or a syscall's runner calls every handler, and names none)."""
    cands = walked_candidates(sig, texts)
    if function not in cands:
        return None
    rest = cands[cands.index(function) + 1 :]
    caller = next(
        (name for name in rest if not frames.is_skipped(name, sig.skip_regex) and not (passing and passing.match(name))), None
    )
    return None if caller is None or frames.STALL_ANCHORS.match(caller) else caller


def _candidates(spec: Spec, texts: list[str], headerless: bool = True) -> list[str]:
    """The first candidate list of the first spec that yields any."""
    for parts in spec:
        groups = run_spec(parts, texts, headerless)
        if groups[0]:
            return groups[0]
    return []


def _module_pc(texts: list[str]) -> str | None:
    """The faulting function when it lives in a loadable module (`RIP: f+0x1/0x2 [mod]`)."""
    for text in texts:
        fn = frames.fault_pc(text)
        if fn is not None:
            return fn if _IN_MODULE.search(text) else None
    return None


def _stalled_at_pc(
    texts: list[str], cands: list[str], extra: re.Pattern[str] | None, spinning: frames.Matcher
) -> str | None:
    """A stall whose report shows the interrupted registers (kernel/watchdog.c watchdog_timer_fn
    -> show_regs; a self-detected RCU stall likewise): a driver looping in its own code is the bug,
    whatever called it; a CPU spinning inside a lock primitive (cands[0], the PC) is stuck on the
    lock its caller takes, the first frame outside the kernel's primitives, a subsystem's own lock
    function included (the PC itself when it is one).  None: walk the stack (_recursing, _stall)."""
    in_module = _module_pc(texts)
    if in_module is not None and not frames.is_skipped(in_module, extra):
        return in_module
    if cands and spinning.search(cands[0]) and cands[0] == _first_pc(texts):
        caller = next((c for c in cands if not _skipped_but_lock_wrapper(c, extra) and not frames.NATIVE_SPIN_SLOWPATH.match(c)), None)
        if caller is not None and not frames.STALL_ANCHORS.match(caller):
            return caller
    return None


def _skipped_but_lock_wrapper(name: str, extra: re.Pattern[str] | None) -> bool:
    """Skipped, but not for being a subsystem's lock wrapper: the first frame outside the kernel's lock
    primitives (kernel/locking: the spinlock and rwlock slow paths a CPU spins in) takes the lock."""
    return frames.skipped_but_lock_wrappers(name) or bool(extra is not None and extra.search(name))


def _polled_device(texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """A stall whose PC is a device accessor (a driver polling a register): the accessor's caller."""
    pc = _first_pc(texts)
    if pc is None or not frames.DEVICE_ACCESSOR.match(pc):
        return None
    return _accessor_caller(texts, extra)


def _accessor_caller(texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """The caller of a device accessor the CPU was stuck in: the first frame of the trace.  An
    accessor is a leaf that sets up no frame, so its return address is the first word of the stack,
    which x86 prints as a `?` frame (arch/x86/kernel/dumpstack.c printk_stack_address: no frame
    pointer vouches for it) though it is the real caller."""
    start = _trace_start(texts)
    if start is None:
        return None
    for text in texts[start + 1 :]:
        found = frames.parse_frames(text)
        if found and not frames.is_skipped(found[0].function, extra):
            return found[0].function
    return None


def _first_pc(texts: list[str]) -> str | None:
    return next((fn for fn in map(frames.fault_pc, texts) if fn is not None), None)


def _stall(cands: list[str], extra: re.Pattern[str] | None, rules: StallRules) -> str | None:
    """Walk down to the first dispatcher anchor (`rules.anchors`) and take the nearest useful frame above it.

    A page fault inside the stall hides the frames above it (they handled the fault); if the
    walk then finds no dispatcher (a user-space fault), the frame above the fault is the answer.
    """
    last_good: str | None = None
    above_fault: str | None = None
    for name in cands:
        if frames.FAULT_ENTRY.match(name):
            above_fault = above_fault or last_good
            last_good = None
            continue
        short = frames.strip_syscall(name)
        if _COMPAT_IOCTL.search(name) and last_good is not None:
            return last_good
        if rules.anchors.match(short) or rules.anchors.match(name) or short in _MULTIPLEXED_SYSCALLS:
            if name.startswith("smp_call_function"):
                return name
            if last_good is not None:
                return last_good
            continue
        if not frames.is_skipped(name, extra) and not rules.messengers.match(name):
            last_good = name
    # No anchor: the deepest useful frame is the most stable guess.
    if last_good is not None:
        return last_good
    if above_fault is not None:
        return above_fault
    return next((c for c in cands if not frames.is_skipped(c, extra) and not rules.messengers.match(c)), None)


# Consecutive frames of one function that make it a recursion rather than a loop's callee.
_RECURSION_RUN = 4


def _recursing(cands: list[str], extra: re.Pattern[str] | None) -> str | None:
    """A function that calls itself again and again: when the stack runs out, the recursion is the
    bug, whichever handler started it (arm64 prints the whole recursion, x86 only its top)."""
    run = 1
    for prev, name in itertools.pairwise(cands):
        run = run + 1 if name == prev else 1
        if run >= _RECURSION_RUN and not frames.is_skipped(name, extra):
            return name
    return None


# An x86 frame line of 2.6-4.8 that the unwinder could not vouch for: `[<ffffffff814175bc>] ? copy_net_ns+0x6c/0x130`.
_GUESSED_FRAME = re.compile(r"^\s*\[<[0-9a-fA-F]{6,16}>\]\s+\?\s")


def _guess_only_trace(texts: list[str]) -> list[str]:
    """The functions of a trace whose every frame is a `?` frame of the 2.6-4.8 x86 format, else [].

    Such a trace comes from a kernel built without frame pointers: arch/x86/kernel/dumpstack.c
    print_context_stack calls the printer with `reliable` set only for the return address the frame
    pointer points at, so with none every kernel-text word found on the stack prints as `? f`, in
    stack order (the callee first).  It is the task's real call chain, stale words mixed in; a trace
    in which some frame is reliable had an unwinder, and its `?` frames are the stale words alone.  A quote
    that trimmed the addresses and offsets (frames.mark_trimmed_frames) but kept the `? ` marks is such a trace
    too.  A quote's elision mark (frames.ELISION) between frames does not end the trace."""
    start = _trace_start(texts)
    if start is None:
        return []
    out: list[str] = []
    seen = False
    for text in texts[start + 1 :]:
        found = frames.parse_frames(text)
        if not found:
            if seen and frames.ELISION.match(text) is None:
                break
            continue
        if found[0].reliable or not (_GUESSED_FRAME.match(text) or text.endswith(frames.TRIMMED_MARK)):
            return []
        seen = True
        if not _code_pointer(found[0].offset):
            out.append(found[0].function)
    return out


def _code_pointer(offset: str | None) -> bool:
    """Whether a `?` word of a trace is a function's start address (a function pointer left on the
    stack: a wait queue's wake function, a bit-wait action), never a return address, which a call
    instruction always precedes.  Before 2.6.38 x86 printed the words with `%pS`: such a word is
    `f+0x0/0x..`; since, with `%pB` (lib/vsprintf.c sprint_backtrace looks up the address minus one,
    for a return address past a noreturn call), it is the function before it, `g+0x60/0x60`."""
    if offset is None:
        return False
    off, _, size = offset.partition("/")
    try:
        return int(off, 16) == 0 or (bool(size) and int(off, 16) == int(size, 16))
    except ValueError:
        return False


# kernel/rcu/tree_stall.h rcu_check_gp_kthread_starvation prints the grace-period kthread's own stack
# (`RCU grace-period kthread stack dump:`, sched_show_task) and the CPU it last ran on (`Stack dump where RCU
# GP kthread last ran:`, dump_cpu_task): neither is a stalled CPU.
_GP_KTHREAD_DUMP = re.compile(r"RCU grace-period kthread stack dump:|Stack dump where RCU GP kthread last ran:")
# The start of one CPU's dump (kernel/sched/core.c dump_cpu_task: show_regs' `CPU: %d PID: %d`, an NMI
# backtrace, or `Task dump for CPU %d:`): the next one after a GP kthread's dump is another CPU's.
_CPU_DUMP = re.compile(r"^\s*(?:Task dump for CPU \d+:|NMI backtrace for cpu \d+|CPU: \d+ (?:UID: \d+ )?PID: \d+)")
# How far below `... last ran:` the dump of that CPU starts.
_LAST_RAN_DUMP_LINES = 2


def _without_gp_kthread_dumps(texts: list[str]) -> list[str]:
    """An RCU stall's lines with the grace-period kthread's dumps blanked out (_GP_KTHREAD_DUMP), each up to
    the next CPU's dump; the dump right below `... last ran:` is the kthread's CPU's own."""
    if not any("GP kthread" in t or "grace-period kthread" in t for t in texts):
        return texts
    out: list[str] = []
    block = -1  # index of the GP kthread dump's header line, -1 outside one
    for n, text in enumerate(texts):
        if _GP_KTHREAD_DUMP.search(text):
            block = n
        elif block >= 0 and _CPU_DUMP.match(text):
            owned = "last ran" in texts[block] and n - block <= _LAST_RAN_DUMP_LINES
            block = block if owned else -1
        out.append("" if block >= 0 else text)
    return out


def _hang(cands: list[str], skip: frames.Matcher = frames.HANG_SKIP, rtnl: re.Pattern[str] = frames.HANG_RTNL) -> Culprit:
    for n in cands:
        if frames.HANG_SYNC.match(n):
            alts = [n] if n != "synchronize_rcu" else []
            return Culprit("synchronize_rcu", alts)
    for n in cands:
        if rtnl.match(n):
            return Culprit("rtnl_lock")
    for n in cands:
        if not skip.match(n) and not frames.is_skipped(n):
            return Culprit(n)
    return Culprit(None)


def _hung(sig: Signature, texts: list[str]) -> Culprit:
    """The culprit of a hung task (or of a task that scheduled with its stack end overwritten): the
    first frame outside the sleeping primitives; version 3's choice (frames.HANG_SKIP_V3) continues."""
    cands = _candidates(sig.stack, texts)
    hung = _hang(cands)
    if hung.function is None:
        guessed = _hang_guessed(_guess_only_trace(texts))
        if guessed.function is not None:
            return Culprit(guessed.function, guessed.alternatives, recovered=True, earlier="")
    if hung.function is not None and _below_header(texts, _ARM_FROM, frames.arm_unwound):
        blind = _hang(_candidates(sig.stack, _arm_as_v3(texts), headerless=False), frames.HANG_SKIP_V3, frames.HANG_RTNL_V3)
        hung.earlier = blind.function or "" if blind.function != hung.function else None
    elif hung.function is not None:
        before = _hang(cands, frames.HANG_SKIP_V3, frames.HANG_RTNL_V3).function
        hung.earlier = before or "" if before != hung.function else None
    return hung


def _hang_guessed(cands: list[str]) -> Culprit:
    """A hung task's culprit on a trace of guesses (_guess_only_trace): the stack words above the
    task's real chain are its sleep and wait primitives, and stale words from earlier calls lie
    among them (a `ktime_get` between `schedule_timeout` and `io_schedule_timeout`): the first frame
    outside the primitives below the last of them, else the first outside them."""
    last = max((n for n, c in enumerate(cands) if frames.SLEEPING.match(c)), default=-1)
    below = _hang(cands[last + 1 :])
    return below if below.function is not None else _hang(cands)


# drivers/misc/lkdtm/core.c direct_entry: `pr_info("Performing direct entry %s\n", crashtype->name)` before it calls
# `crashtype->func()`, which CRASHTYPE(name) sets to lkdtm_<name>: the test case the harness ran, by name.
_LKDTM_ENTRY = re.compile(r"lkdtm: Performing direct entry ([A-Z0-9_]{1,48})\s*$")
# How many lines above a report's header its harness's line is looked for (a hung task is reported seconds later),
# and the words any such line holds (a log without them is not searched line by line).
HARNESS_LINES = 80
HARNESS_MARK = "lkdtm: Performing direct entry"


def harness_ran(above: Iterable[str]) -> str | None:
    """The test case a crash-test harness said it ran (_LKDTM_ENTRY), from the lines above a report, nearest last."""
    found = None
    for text in above:
        if "lkdtm: " in text and (m := _LKDTM_ENTRY.search(text)):
            found = "lkdtm_" + m.group(1)
    return found


# How many lines around a header the report's own message may take (a quote wraps one printk line onto a few).
MESSAGE_LINES = 6


def message_named(sig: Signature, around: Iterable[str]) -> str | None:
    """The function the report's own message names (Signature.message_culprit), read in `around` (the lines above
    the header and below it) run together, so a message a quote wrapped is read whole."""
    pattern = sig.message_regex
    if pattern is None:
        return None
    m = pattern.search(" ".join(t.strip() for t in around))
    return frames.clean_function(m.group(1)) if m is not None else None


def _harness_case(sig: Signature, texts: list[str], found: Culprit, ran: str | None) -> Culprit:
    """The test case `ran` (harness_ran) where the walk named the harness, or kernel code a skip list fits right above
    it: the case handed the crash to that code by a tail call and left no frame of its own (LKDTM's HUNG_TASK ends in
    schedule(), SLAB_FREE_DOUBLE in kmem_cache_free(), SPINLOCKUP in spin_lock(), whose slow path a stall's walk
    names when nothing but the harness called it).  A walk that named nothing stays so.  Version 3's key stays."""
    fn = found.function
    if ran is None or fn is None or fn == ran:
        return found  # no frame at all: the kernel printed none of the task that ran it (an unanswered lockup)
    kernel_code = frames.is_skipped(fn, sig.skip_regex) or frames.SPINNING.search(fn) is not None
    if not frames.TEST_HARNESS.match(fn) and not kernel_code:
        return found
    # Where the crash was: the PC, else the site a header names (a WARNING quoted without its RIP line: __warn's
    # `at %pS`), else the first reliable frame.
    top = (_first_pc(texts) or (header_function(texts[0]) if texts else None)
           or next((fr.function for t in texts[1:] for fr in frames.parse_frames(t) if fr.reliable), None))
    if top is not None and frames.TEST_HARNESS.match(top):
        return found  # the harness itself crashed: LKDTM before 4.9 ran every type inline in lkdtm_do_action
    return Culprit(ran, recovered=True, earlier=found.earlier if found.earlier is not None else fn)


def find_culprit(sig: Signature, texts: list[str], ran: str | None = None, said: str | None = None) -> Culprit:
    """The culprit of a report; `texts` are the report's message lines, the header first; `ran`: the test case a
    harness said it ran just before (harness_ran); `said`: the function the report's message names (message_named),
    the culprit where the stack names none (version 3 named none: its key continues)."""
    found = _harness_case(sig, texts, _strategy_culprit(sig, texts), ran)
    if found.function is None and said is not None:
        return Culprit(said, earlier=found.earlier if found.earlier is not None else "")
    if found.function is not None and found.earlier is None and any(_unread_in_v3(t) for t in _v3_unread_candidates(texts)):
        # Version 3 read neither `<addr>{f+30}` (x86_64 2.6.0-2.6.17), `:mod:f+0x1/0x2` (2.6.18-2.6.23),
        # `[<(____ptrval____)>] f+0x1/0x2`, `[<0>] f+0x1/0x2`, a powerpc `NIP f+0x10/0x60` without its address nor
        # a lock line without its offset: what it chose without them continues.
        blind = _strategy_culprit(sig, [texts[0], *("" if _unread_in_v3(t) else t for t in texts[1:])])
        if blind.function != found.function:
            found.earlier = blind.function or ""
    return found


def _v3_unread_candidates(texts: list[str]) -> Iterator[str]:
    """The lines below the header that hold a literal one of _unread_in_v3's tests needs: a `>` (`<addr>{f+30}`,
    `>] :mod:`, `[<0>]`), ` (` (a decoded frame), `at:`, `NIP`, `LR`, `IAOQ`, `ptrval` or the trimmed frame's mark."""
    return (t for t in texts[1:] if ">" in t or " (" in t or "at:" in t or "NIP" in t or "LR" in t or "ptrval" in t
            or "IAOQ" in t or frames.TRIMMED_MARK in t)


def _unread_in_v3(text: str) -> bool:
    """A frame line (frames.frame_unread_in_v3), a powerpc NIP or LR line without its address
    (frames.ppc_register_unread_in_v3), parisc's PC line (frames.parisc_pc_unread_in_v3), ARM's `LR is at` line or a
    bare lock line (_AT_LINE group 2) version 3 could not read."""
    if frames.frame_unread_in_v3(text) or frames.ppc_register_unread_in_v3(text) or frames.parisc_pc_unread_in_v3(text):
        return True
    if _arm_link_register(text):
        return True  # version 3 read powerpc's link register line alone (_PPC_LR)
    m = _AT_LINE.search(text) if "at:" in text else None
    return m is not None and m.group(2) is not None


def _strategy_culprit(sig: Signature, texts: list[str]) -> Culprit:
    """The culprit by the signature's strategy (find_culprit)."""
    extra = sig.skip_regex
    strategy = sig.strategy
    if strategy is Strategy.NONE:
        return Culprit(None)
    if strategy is Strategy.HANG:
        return _hung(sig, texts)
    if strategy is Strategy.RCU_STALL:
        stalled = _without_gp_kthread_dumps(texts)
        stuck = _rcu_stall(stalled, extra, STALL_RULES)
        # Version 3 read the grace-period kthread's dumps too, stopped at fewer anchors, and read no trace of a
        # self-detected stall without its registers (STALL_RULES_V3): what it named continues.
        before = _rcu_stall(texts, extra, STALL_RULES_V3)
        found = Culprit(stuck, earlier=(before or "") if before != stuck else None)
        return found if stuck is not None else _stack_only_stall(stalled, extra, found)
    if strategy is Strategy.STALL:
        found = _stalled(sig.stack, texts, extra, STALL_RULES)
        v3 = _stalled(sig.stack, texts, extra, STALL_RULES_V3)
        v3_choice = v3.earlier if v3.earlier is not None else v3.function
        found.earlier = (v3_choice or "") if v3_choice != found.function else None
        return found
    if strategy is Strategy.LOCKED_CPU:
        locked = _locked_cpu_lines(texts)
        if locked is not texts:
            found = _first_culprit(sig, locked, extra)
            # Version 3 read every CPU's backtrace: what it named continues.
            before = _first_culprit(sig, texts, extra).function
            found.earlier = (before or "") if before != found.function else found.earlier
            return found
    site = _quoted_warn_site(sig, texts, extra)
    found = _first_culprit(sig, texts, extra)
    if site is not None and found.function is not None and not found.recovered:
        # The walk named a caller from the frames the quote kept: the site above them warned.
        before = found.earlier if found.earlier is not None else found.function
        return Culprit(site, earlier=before if before != site else None)
    if found.function is not None and _below_header(texts, _LOST_COLUMN_END, frames.LOST_COLUMN.match):
        # Version 3 could not read a frame line that lost its first column: what it chose continues.
        # Nor a trace without its header line (`all Trace:` is one it lost).
        blind = _first_culprit(sig, ["" if frames.LOST_COLUMN.match(t) else t for t in texts], extra, headerless=False, ended=False)
        if blind.function != found.function:
            found.earlier = blind.function or ""
    elif found.function is not None and _below_header(texts, _WRAPPED_AT, _AT_ADDRESS_EOL.search):
        # Version 3 read no held-lock line wrapped between its address and its symbol: what it chose continues.
        blind = _first_culprit(sig, texts, extra, headerless=False, ended=False)
        if blind.function != found.function:
            found.earlier = blind.function or ""
    elif found.function is not None and _below_header(texts, _ARM_FROM, frames.arm_unwound):
        # Version 3 read an arm32 trace only after a header, and no line with a module inside it.
        blind = _first_culprit(sig, _arm_as_v3(texts), extra, headerless=False, ended=False)
        if blind.function != found.function:
            found.earlier = blind.function or ""
    return _over_thread_plumbing(sig, texts, extra, found)


def header_function(header: str) -> str | None:
    """The function a report's header line names with its `%pS`, if any: a WARNING's site (kernel/panic.c __warn
    `at %pS`, _WARN_SITE), else a sanitizer's `in %pS` (_HEADER_FN, with its offset)."""
    m = _WARN_SITE.search(header)
    if m is None:
        m = _HEADER_FN.search(header)
        if m is None or "+0x" not in m.group(0):
            return None
    return frames.clean_function(m.group(1))


def _quoted_warn_site(sig: Signature, texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """The WARN site of a WARNING quoted without its PC line: kernel/panic.c __warn prints `WARNING: CPU: %d PID: %d
    at %pS`, the WARN's own address, the function its RIP line (__show_regs) names too.  A trap-based WARN (x86
    since 4.x: do_error_trap -> report_bug -> __warn) prints the trace of the trapped frame, which starts at the
    site's caller, so a quote that cut the register dump, RIP line included (Documentation/process/
    submitting-patches.rst asks for registers to be left out), keeps the site in its header alone; the frames a
    quote kept with no `Call Trace:` line are the callers too, and syzkaller takes the header's function when no
    stack part matches.  The same WARNING with and without its RIP line gets one culprit.  None when the quote kept a
    PC line, when its trace (a trace header, or an arm32 unwinder's frames) shows the site (a warn_slowpath WARN's
    dump_stack: the walk reaches it), or when a skip rule fits the site (a helper that warns for its caller: the walk
    goes past it, as past the RIP).  A WARNING with no frame at all stays `in corrupted`, as syzkaller titles it."""
    if sig.stack != WARN or not texts:
        return None
    fn, below = _header_site_of(texts)
    if fn is None or frames.is_skipped(fn, extra) or any(_pc_line(t) for t in texts[1:]):
        return None
    if not any(frames.STACK_START.match(t) or frames.arm_unwound(t) for t in texts[below:]):
        return fn  # frames with no trace header above them (an arm32 unwinder's have none: its trace)
    # The site as a reliable frame: the walk reaches it.  As a `?` frame it is the trap's stale return address (6.x
    # prints `? __warn`, `? site`, `? report_bug` above the caller): the walk would pass it.
    shown = any(fr.reliable and fr.function == fn for t in texts[below:] for fr in frames.parse_frames(t))
    return None if shown else fn


def _header_site_of(texts: list[str]) -> tuple[str | None, int]:
    """The WARN site the header names, and the index of the first line below it: a quote's wrap that cut the header
    after its `at %s:%d` (wrapped.WARN_CUT_AT_SITE, left unjoined outside a stamped log) put the site's `%pS` first on
    the next line."""
    m = _WARN_SITE.search(texts[0])
    if m is not None:
        return frames.clean_function(m.group(1)), 1
    if len(texts) > 1 and wrapped.WARN_CUT_AT_SITE.search(texts[0]):
        found = frames.parse_frames(texts[1])
        if found and found[0].reliable and texts[1].lstrip() == texts[1]:
            return found[0].function, 2
    return None, 1


def _pc_line(text: str) -> bool:
    """A PC line of any form the walk or _without_reliable_frame reads (powerpc's `--- interrupt:` included)."""
    if text.startswith("--- interrupt:") or frames.fault_pc(text) is not None:
        return True
    return bool(_RAW_ARM_PC.match(text) or _PC_IS_AT.match(text) or ("IP" in text and (_RAW_PC.search(text) or _QUESTIONED_PC.search(text))))


def _over_thread_plumbing(sig: Signature, texts: list[str], extra: re.Pattern[str] | None, found: Culprit) -> Culprit:
    """A fragment with no PC line whose trace holds only the plumbing that ran a work item or a kthread
    (frames.THREAD_PLUMBING): arm64's `lr : %pS` (arch/arm64/kernel/process.c __show_regs) is the return
    address into the function that called the faulting code, the work function the plumbing ran, which
    the unwinder did not show.  Version 3 named the plumbing: its key continues.  It walks the candidates
    again only in that rare case (plumbing named, no PC line)."""
    if found.function is None or not frames.THREAD_PLUMBING.match(found.function) or _first_pc(texts) is not None:
        return found
    if any(not frames.THREAD_PLUMBING.match(c) and not frames.is_skipped(c, extra) for c in walked_candidates(sig, texts)):
        return found
    m = next((m for t in texts[1:] if t.lstrip().startswith("lr : ") and (m := _LINK_REGISTER.match(t))), None)
    fn = frames.clean_function(m.group(1)) if m is not None else None
    if fn is None or frames.is_skipped(fn, extra) or frames.THREAD_PLUMBING.match(fn):
        return found
    return Culprit(fn, earlier=found.earlier if found.earlier is not None else found.function)


def _stalled(spec: Spec, texts: list[str], extra: re.Pattern[str] | None, rules: StallRules) -> Culprit:
    """The culprit of a soft lockup (or another stall row), the walk going by `rules`; a polled device
    accessor's caller keeps the walk's answer as the key version 3 gave.  A stack of nothing but the
    watchdog's reporting path (frames.WATCHDOG_REPORTER and the tick and interrupt below it) names no
    function, and is whole: the kernel printed no other stack (Culprit.messenger_only)."""
    cands = _candidates(spec, texts)
    walked = _recursing(cands, extra) or _stall(cands, extra, rules)
    polled = _polled_device(texts, extra)
    if polled is not None:
        return Culprit(polled, earlier=walked if walked != polled else None)
    found = _stalled_at_pc(texts, cands, extra, rules.spinning) or walked
    reporter_only = found is None and any(frames.WATCHDOG_REPORTER.match(c) for c in cands)
    return Culprit(found, messenger_only=reporter_only)


# kernel/rcu/tree_stall.h print_cpu_stall: `INFO: %s self-detected stall on CPU`.
_SELF_DETECTED = "self-detected stall"
_PC_SPECS: Spec = ((Part.PC, Part.STACK),)
_SELF_DETECTED_SPECS: Spec = ((Part.PC, Part.STACK), (Part.TRACE, Part.STACK))


@dataclass(frozen=True, slots=True)
class StallRules:
    """What the stall walks (_stall, _stalled, _rcu_stall) go by: the dispatchers the walk stops at
    (`anchors`), the detector's, timer's and scheduler's frames it passes over (`messengers`), and the
    specs read for a self-detected RCU stall without an interrupt entry (`self_detected`), and the lock primitives a
    PC spins in (`spinning`, _stalled_at_pc)."""

    anchors: frames.Matcher
    messengers: frames.Matcher
    self_detected: Spec
    spinning: frames.Matcher


STALL_RULES = StallRules(frames.STALL_ANCHORS, frames.STALL_EXTRA_SKIP, _SELF_DETECTED_SPECS, frames.SPINNING)
# Version 3's, for the key it gave: fewer anchors and messengers (frames' *_V3 lists), no trace of a
# self-detected stall read without its registers, and x86's paravirt slow path not read as spinning.
STALL_RULES_V3 = StallRules(frames.STALL_ANCHORS_V3, frames.STALL_EXTRA_SKIP_V3, _PC_SPECS, frames.LOCK_PRIMITIVE)


def _stack_only_stall(texts: list[str], extra: re.Pattern[str] | None, found: Culprit) -> Culprit:
    """An RCU stall on another CPU whose stalled task's stack was quoted without its registers or interrupt entry
    (kernel/rcu/tree_stall.h rcu_dump_cpu_stacks -> dump_cpu_task, which falls back to sched_show_task's stack where no
    NMI backtrace is taken; or a quote cut to the trace): syzkaller titles it `in corrupted`, and so does kcrashd, but
    the trace's walk keys it (Culprit.key_only), so that two such stalls of two code paths do not share the key of
    every culprit-less stall.  Version 3 keyed the title: its key continues."""
    if texts and _SELF_DETECTED in texts[0]:
        return found
    walked = _stall(_candidates(((Part.TRACE, Part.STACK),), texts), extra, STALL_RULES)
    if walked is None:
        return found
    return Culprit(None, earlier=found.earlier if found.earlier is not None else "", key_only=walked)


def _rcu_stall(texts: list[str], extra: re.Pattern[str] | None, rules: StallRules) -> str | None:
    """The culprit of an RCU stall report, by `rules` (STALL_RULES, or STALL_RULES_V3 for version 3's key)."""
    # The stalled code is what the timer interrupt interrupted: without the interrupt entry
    # the report shows only the detector's own stack.
    start = next((i for i, t in enumerate(texts) if _IRQ_ENTRY.search(t)), None)
    if start is None:
        # A self-detected stall dumps the registers the timer interrupt saved (print_cpu_stall
        # -> dump_cpu_task -> nmi_cpu_backtrace -> show_regs): its PC is the stalled code.  It dumps
        # only its own CPU's stack (3.x: dump_stack() from the interrupt, later rcu_dump_cpu_stacks):
        # a quote that cut the registers (`...`) keeps the stalled code's trace.
        specs = rules.self_detected if texts and _SELF_DETECTED in texts[0] else _PC_SPECS
        pc_cands = _candidates(specs, texts)
        return _stalled_at_pc(texts, pc_cands, extra, rules.spinning) or _stall(pc_cands, extra, rules)
    cands = _candidates(((Part.PC, Part.STACK), (Part.STACK,)), texts[start:])
    return _stall(cands, extra, rules)


# What every line these tests hold for contains: an arm32 `callee from caller` line its ` from `
# (frames.arm_unwound), a frame line that lost its first column the `>]` after its address (LOST_COLUMN).
_ARM_FROM = " from "
_LOST_COLUMN_END = ">]"


def _below_header(texts: list[str], needs: str, test: Callable[[str], object]) -> bool:
    """Whether `test` holds for a line below the header; only when one of them holds `needs`, which
    every line `test` holds for contains (one search of the joined lines, not one call per line)."""
    below = texts[1:]
    return needs in "\n".join(below) and any(test(t) for t in below)


def _arm_link_register(text: str) -> bool:
    """Whether `text` is ARM's `LR is at %pS` line (arch/arm/kernel/process.c __show_regs)."""
    return text.lstrip().startswith(_ARM_LR_AT)


def _arm_as_v3(texts: list[str]) -> list[str]:
    """The lines as version 3 read an arm32 report: no trace it could not read, no `LR is at` line (_unread_in_v3)."""
    return ["" if frames.arm_unread_before_v4(t) or _arm_link_register(t) else t for t in texts]


def _first_culprit(sig: Signature, texts: list[str], extra: re.Pattern[str] | None, headerless: bool = True,
                   ended: bool = True) -> Culprit:  # fmt: skip
    """The first candidate of the stack spec that is not generic, else what the kernel printed anyway.

    `ended`: a report printed to its end names its WARN site (False: as version 3 read).  An instruction fetch's
    PC (_INSTRUCTION_FETCH) is no candidate; version 3 took it first, and its key continues."""
    found = _walked_culprit(sig, texts, extra, headerless, ended)
    faulted = _frame_holding_fault_address(texts)
    if faulted is not None and faulted != found.function and not frames.is_skipped(faulted, extra):
        before = found.earlier if found.earlier is not None else found.function
        return Culprit(faulted, earlier=before or "")
    fetched = _fetched_pc(texts)
    if fetched is not None and fetched != found.function:
        found.earlier = fetched
    return found


def _walked_culprit(sig: Signature, texts: list[str], extra: re.Pattern[str] | None, headerless: bool,
                    ended: bool) -> Culprit:  # fmt: skip
    """_first_culprit's walk."""
    caller = _s390_breaking_event(texts, extra) or _link_register_caller(texts, extra)
    if caller is not None:
        return Culprit(caller, recovered=True, earlier=_outside_pc(texts))
    helper = _out_of_line_helper(texts)
    passed: str | None = None
    v3_stop: str | None = None  # version 3's culprit, where a skip rule of version 4 passed it
    lock_site: str | None = None  # the first `at:` line's function, skipped or not
    for parts in sig.stack:
        above: str | None = None  # the candidate before this one: what it called
        cands = run_spec(parts, texts, headerless)[0]
        if lock_site is None and cands and parts[0] is Part.AT:
            lock_site = cands[0]
        for i, cand in enumerate(cands):
            if _FAULT_INJECTION.match(cand):
                return Culprit(None, fault_injection=True)
            if frames.TEST_HARNESS.match(cand) and above is not None and not frames.REPORTING.search(above):
                # The test case the harness ran, though a skip rule fits its name (`kmalloc_oob_right`).
                return Culprit(above, earlier=v3_stop or passed or cand)
            above = cand
            if frames.is_skipped(cand, extra):
                if v3_stop is None and passed is None and not _skipped_in_v3(cand, sig):
                    v3_stop = cand
                continue
            if cand != helper:
                return Culprit(cand, earlier=v3_stop or passed or _v3_beyond(cand, cands[i + 1 :], sig))
            passed = helper
    found = _no_walked_culprit(texts, extra, ended)
    v3_named = v3_stop or passed  # version 3 stopped at it: it never got here
    # A lockdep report whose walk named nothing (no trace printed, or only generic frames) names its first `at:`
    # line's function as printed (kernel/locking/lockdep.c print_lock: `, at: %pS` of the acquire site), a skipped one
    # included (`flush_workqueue`, whose lockdep map stands for the workqueue), rather than no culprit.  Version 3
    # named none (`ended` False reads as it read); where it skipped fewer frames, it may have stopped there too.
    if found.function is None and ended and lock_site is not None and sig.kind == "lockdep":
        return Culprit(lock_site, earlier=None if v3_named == lock_site else v3_named or "")
    if v3_named is not None and v3_named != found.function:
        found.earlier = v3_named
    return found


def _no_walked_culprit(texts: list[str], extra: re.Pattern[str] | None, ended: bool) -> Culprit:
    """What a report names when the walk found no frame to blame: what the kernel printed anyway."""
    recovered = _without_reliable_frame(texts, extra, ended) or _named_caller(texts)
    if recovered is None:
        guessed = (_locker_on_guessed_chain(texts, extra) or _first_guessed(texts, extra) or _module_past_helper(texts, extra)
                   or _fragment_pc(texts))
        if guessed is not None:
            # Version 3 left such a fault `in corrupted`: its key continues.
            return Culprit(guessed, recovered=True, earlier="")
    if recovered is not None and ended:
        before = _without_reliable_frame(texts, extra, ended=False)
        if before != recovered:
            return Culprit(recovered, recovered=True, earlier=before or "")
    return Culprit(recovered, recovered=recovered is not None)


def _v3_beyond(chosen: str, rest: list[str], sig: Signature) -> str | None:
    """Version 3's choice where version 4 chose a frame version 3 skipped (frames.UNSKIPPED_SINCE_V4): the next
    candidate it did not skip, `""` when none is left; None when version 3 chose `chosen` too."""
    if not frames.UNSKIPPED_SINCE_V4.match(chosen):
        return None
    return next((c for c in rest if not _skipped_in_v3(c, sig)), "")


def _skipped_in_v3(name: str, sig: Signature) -> bool:
    """Whether fingerprint version 3 skipped the frame too (version 4 extended its skip lists:
    frames.SKIPPED_SINCE_V4 and the rows' `v3_skip`, and narrowed them: frames.UNSKIPPED_SINCE_V4)."""
    if frames.UNSKIPPED_SINCE_V4.match(name):
        return True
    v3_extra = sig.v3_skip_regex
    if frames.SKIPPED_SINCE_V4.match(name):
        return bool(v3_extra is not None and v3_extra.search(name))
    return frames.is_skipped(name, v3_extra)


def _out_of_line_helper(texts: list[str]) -> str | None:
    """An inline helper of a header whose own check fired (`kernel BUG at include/net/cfg80211.h:2473!`,
    lib/bug.c report_bug prints the file of the BUG_ON) and that the compiler emitted out of line (the
    PC names a clone, `wdev_priv.part.8`): the helper only checked its caller's argument, and the
    caller is the culprit.  An inline helper inlined into its caller has no symbol of its own: then
    the PC names the caller itself and nothing is skipped."""
    if not texts or _HEADER_FILE_SITE.search(texts[0]) is None:
        return None
    for text in texts[1:]:
        fn = frames.fault_pc(text)
        if fn is not None:
            m = _CLONE_PC.search(text)
            return fn if m is not None and frames.clean_function(m.group(1)) == fn else None
    return None


# powerpc's `Faulting instruction address: 0x%08lx` (arch/powerpc/mm/fault.c, kernel/traps.c: regs->nip) and its
# stack lines `[%lx] [%lx] %pS` (kernel/process.c show_stack: the frame, the return address, its symbol+off/size).
_FAULT_ADDRESS_TEXT = "Faulting instruction address: "
_PPC_FAULT_ADDRESS = re.compile(rf"^\s*{_FAULT_ADDRESS_TEXT}0x([0-9a-fA-F]{{1,16}})\s*$")
_PPC_ADDRESSED_FRAME = re.compile(
    r"^\s*\[[0-9a-fA-F]{1,16}\]\s+\[([0-9a-fA-F]{1,16})\]\s+\.?([A-Za-z_$][A-Za-z0-9_$.]{0,200})\+0x([0-9a-fA-F]{1,8})/0x([0-9a-fA-F]{1,8})\b"
)


def _frame_holding_fault_address(texts: list[str]) -> str | None:
    """A powerpc report quoted without its NIP line: the function of a stack line whose symbol's extent
    (the return address less its offset, plus its size) holds the faulting instruction's address is the function
    that faulted (the first, `(unreliable)`, line is often it: the saved LR of a function that had not yet
    stored its own frame).  None when a PC line is there (it names the function) or no extent holds the address."""
    fault = next((int(m.group(1), 16) for t in texts[:_FAULT_LINES]
                  if _FAULT_ADDRESS_TEXT in t and (m := _PPC_FAULT_ADDRESS.match(t))), None)
    if fault is None or _first_pc(texts) is not None:
        return None
    for text in texts:
        m = _PPC_ADDRESSED_FRAME.match(text) if "] [" in text else None
        if m is not None:
            start = int(m.group(1), 16) - int(m.group(3), 16)
            if start <= fault < start + int(m.group(4), 16):
                return frames.clean_function(m.group(2))
    return None


# lib/bug.c report_bug's BUG() header (`kernel BUG at %s:%u!`; 2.6.0-2.6.23 x86_64 `Kernel BUG at %.50s:%d`).
_BUG_AT = re.compile(r"\b[Kk]ernel BUG at \S{1,200}:\d{1,7}")


def _module_past_helper(texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """A fault whose PC lines name only skipped helpers (`_find_first_bit`, `memcpy`: they ran on what their
    caller handed them) and whose trace names no frame to blame: the first module frame of the trace, a `?` one
    included, is the driver whose call the helper ran (its return address was on the stack: the unwinder only
    could not vouch for it, arch/x86/kernel/dumpstack.c printk_stack_address).  Other `?` frames stay guesses."""
    pcs, raw_pc = _named_pcs(texts, with_site=False)
    if raw_pc or not pcs or any(not frames.is_skipped(fn, extra) for fn in pcs):
        return None
    return next((fr.function for text in texts[1:] for fr in frames.parse_frames(text)
                 if fr.module and not frames.is_skipped(fr.function, extra)), None)


def _fragment_pc(texts: list[str]) -> str | None:
    """A pasted BUG() fragment, its header and PC line and no frame at all (`kernel BUG at mm/vmalloc.c:512!` and
    `RIP: 0010:alloc_vmap_area+0x36f/0x390`): the PC's function, though a skip rule fits it, as issue 13 asks ("a
    pasted fragment still names the RIP's function").  lib/bug.c report_bug prints the file of the BUG_ON the PC
    trapped in: the function holding the failed assertion is named, the only code the report names.  A fault's PC
    in a skipped helper says nothing of who called it: such a fragment stays `in corrupted`, as syzkaller has it."""
    if not texts or "BUG at " not in texts[0] or _BUG_AT.search(texts[0]) is None:
        return None
    if any(frames.parse_frames(t) for t in texts[1:]):
        return None
    pcs, raw_pc = _named_pcs(texts, with_site=False)
    return pcs[0] if pcs and not raw_pc else None


def _locker_on_guessed_chain(texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """A fault inside a lock primitive (the PC in kernel/locking: the lock's own memory was bad, a
    lock of a NULL or freed object) in a trace whose every frame is a guess (_guess_only_trace: the
    2.6-4.8 x86 trace of a kernel without frame pointers, arch/x86/kernel/dumpstack.c): the guessed
    frames are the task's chain, and the first outside the primitives took the lock, as for a CPU
    spinning in one (_stalled_at_pc: a subsystem's own lock function included)."""
    pc = _first_pc(texts)
    if pc is None or not frames.LOCK_PRIMITIVE.search(pc):
        return None
    return next((c for c in _guess_only_trace(texts) if not _skipped_but_lock_wrapper(c, extra)), None)


def _first_guessed(texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """The first frame outside the skip lists of a trace whose every frame is a guess (_guess_only_trace:
    an x86 kernel of 2.6-4.8 built without frame pointers) in a report that prints no PC (a sleep in atomic
    context, a panic): no frame is reliable, and the guessed words in stack order, function pointers left
    out, are the task's chain.  A report with a PC line names its function there; past a skipped PC the
    guesses are not read (_locker_on_guessed_chain reads them for a lock primitive's PC only)."""
    if _first_pc(texts) is not None:
        return None
    return next((c for c in _guess_only_trace(texts) if not frames.is_skipped(c, extra)), None)


def _s390_breaking_event(texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """s390: the function that ran when the PSW does not name it.

    A PSW that is no symbol (a branch to a bad address) names nothing; after a program check that
    die() reports by name (`monitor event: 0040 ilc:2`: the PSW is past the trapping instruction,
    arch/s390/kernel/traps.c get_trap_ip subtracts the ilc), a PSW at the start of a function names
    the next one (a BUG()'s monitor call was the last instruction of its function).  The Last
    Breaking-Event-Address (dumpstack.c show_last_breaking_event: the last branch taken) is in the
    function that ran; without a symbol there, after such a trap, r14's return address (show_trace's
    parenthesised first entry) names its caller."""
    psw = next((t for t in texts[1:] if _S390_PSW.match(t)), None)
    if psw is None:
        return None
    raw = _RAW_ARM_PC.match(psw) is not None or past_its_symbol(psw)
    past_end = not raw and _S390_PSW_AT_START.match(psw) is not None and any(_S390_TRAP.search(t) for t in texts[:3])
    if not (raw or past_end):
        return None
    event = next((n for n, t in enumerate(texts) if _S390_BREAKING_EVENT.match(t)), len(texts))
    found = frames.parse_frames(texts[event + 1]) if event + 1 < len(texts) else ()
    if found and not frames.is_skipped(found[0].function, extra):
        return found[0].function
    if not past_end:
        return None
    m = next((m for t in texts if t.lstrip().startswith("([<") and (m := _LINK_REGISTER.match(t))), None)
    fn = frames.clean_function(m.group(1)) if m is not None else None
    return None if fn is None or frames.is_skipped(fn, extra) else fn


# A `%pS` of a PC: `f+0xOFF/0xSIZE` (kernel/kallsyms.c __sprint_symbol).
_PC_SYMBOL = re.compile(r"\+0x([0-9a-f]{1,16})/0x([0-9a-f]{1,16})")


def past_its_symbol(text: str) -> bool:
    """Whether the PC line `text` names a symbol the address lies past the end of (offset >= size): kallsyms names
    the nearest text symbol below an address (a module's lookup, kernel/module/kallsyms.c find_kallsyms_symbol, ends
    the last one at the end of the module's text), so such an address is in no function, as a jump into data
    leaves the PC (`NIP [..] f+0x2b80c/0x9604`): the caller is the link register's, as for a bare address."""
    m = _PC_SYMBOL.search(text)
    return m is not None and int(m.group(1), 16) >= int(m.group(2), 16) > 0


def _outside_pc(texts: list[str]) -> str | None:
    """The symbol the fault's PC line names when the address lies past it (past_its_symbol): what version 3 took
    for the culprit (its key continues); None for another PC."""
    at = _fault_pc_at(texts)
    return frames.fault_pc(texts[at]) if at is not None and past_its_symbol(texts[at]) else None


def _fault_pc_at(texts: list[str]) -> int | None:
    """Where the report's first PC line is (a bare one, _RAW_ARM_PC, or one naming a symbol): the fault's; later
    register dumps (a syscall's user PC) are not."""
    return next((n for n, t in enumerate(texts[1:], 1) if _RAW_ARM_PC.match(t) or frames.fault_pc(t) is not None), None)


def _link_register_caller(texts: list[str], extra: re.Pattern[str] | None) -> str | None:
    """A PC that is no symbol (arm64 `pc : 0x0`, a call through a NULL or data pointer): the link
    register holds the return address into the function that made the call
    (arch/arm64/kernel/process.c __show_regs prints `pc : %pS` and `lr : %pS`)."""
    raw = _fault_pc_at(texts)
    if raw is None or not (_RAW_ARM_PC.match(texts[raw]) or _jumped_to_pc(texts, texts[raw]) or past_its_symbol(texts[raw])):
        return None
    for text in texts[raw:]:
        m = _LINK_REGISTER.match(text)
        if m is not None:
            fn = frames.clean_function(m.group(1))
            return None if frames.is_skipped(fn, extra) else fn
    return None


def _named_caller(texts: list[str]) -> str | None:
    """The function a report names as its caller on the line below its header, when no frame does
    (lib/smp_processor_id.c check_preemption_disabled: `caller is %pS`, its own return address)."""
    for text in texts[1:_CALLER_LINES]:
        m = _CALLER_IS.match(text)
        if m is not None:
            return frames.clean_function(m.group(1))
    return None

def _without_reliable_frame(texts: list[str], extra: re.Pattern[str] | None, ended: bool) -> str | None:
    """The culprit when no reliable frame names one, from what the kernel printed anyway.

    The PC line (arch/x86/kernel/dumpstack.c show_ip; the old `EIP is at %pS`, even marked `?`)
    names the faulting function, in a pasted fragment too; the WARN site (kernel/panic.c __warn
    `at %s:%d %pS`, 3.x warn_slowpath_common `at %s:%d %pS()`) does when the trace reaches past the
    reporting machinery or the report printed its end marker (else the report was cut, and it
    stays corrupted): the site comes from the WARN's own return address, not from the unwinder.  A PC that is
    no symbol at all (a jump into data or through a NULL pointer) leaves the caller's return
    address as the first `?` frame (the unwinder only could not vouch for it:
    arch/x86/kernel/dumpstack.c printk_stack_address): a module's frame first, else the first.
    """
    past_reporting = (ended and any(_END_MARKER in t for t in texts[1:])) or any(
        not frames.is_skipped(fr.function, extra) for t in texts[1:] for fr in frames.parse_frames(t)
    )
    pcs, raw_pc = _named_pcs(texts, past_reporting)
    usable = [fn for fn in pcs if not frames.is_skipped(fn, extra)]
    if usable or not raw_pc:
        return usable[0] if usable else None
    unreliable: list[frames.FrameLine] = []
    for text in texts[1:]:
        unreliable.extend(fr for fr in frames.parse_frames(text) if not frames.is_skipped(fr.function, extra))
    in_module = next((fr.function for fr in unreliable if fr.module), None)
    return in_module or (unreliable[0].function if unreliable else None)


def _fetch_fault(texts: list[str]) -> bool:
    """Whether the report's fault lines say it faulted fetching an instruction (_INSTRUCTION_FETCH)."""
    return any(_INSTRUCTION_FETCH.search(t) for t in texts[:_FAULT_LINES])


def _pc_function(text: str) -> str | None:
    """The function a PC line names: the old `EIP is at %pS`, a `?`-marked or 2.6 RIP, else frames.fault_pc."""
    m = _PC_IS_AT.match(text) or _QUESTIONED_PC.search(text)
    return frames.clean_function(m.group(1)) if m else frames.fault_pc(text)


def _fetched_pc_line(texts: list[str], text: str) -> bool:
    """Whether `text` is the x86 kernel-mode PC line of a fault on fetching an instruction (_INSTRUCTION_FETCH)."""
    return _X86_KERNEL_PC.search(text) is not None and _fetch_fault(texts)


def _jumped_to_pc(texts: list[str], text: str) -> bool:
    """Whether `text` is a PC line naming the address a branch jumped to, not code that ran: arm64's `pc :` line of a
    kernel instruction abort (_ARM64_INSTRUCTION_ABORT), or powerpc's `NIP` line of an instruction fetch fault
    (_PPC_INSTRUCTION_FETCH)."""
    if _ARM64_PC.match(text) is not None:
        return any(_ARM64_INSTRUCTION_ABORT.search(t) for t in texts[:_ABORT_LINES])
    return _PPC_NIP.match(text) is not None and any(_PPC_INSTRUCTION_FETCH.search(t) for t in texts[:_FAULT_LINES])


def _fetched_pc(texts: list[str]) -> str | None:
    """The symbol an instruction-fetch fault's PC line names (version 3 took it for the culprit), if any."""
    head = "\n".join(texts[:_ABORT_LINES])
    if "fetch" not in head and "execute" not in head and "IABT" not in head:
        return None  # none of _INSTRUCTION_FETCH's or _ARM64_INSTRUCTION_ABORT's words: the common case, cheaply
    if any(_ARM64_INSTRUCTION_ABORT.search(t) for t in texts[:_ABORT_LINES]):
        pc = next((m.group(1) for t in texts[1:] if (m := _ARM64_PC.match(t))), None)
        return frames.clean_function(pc) if pc is not None else None
    if any(_PPC_INSTRUCTION_FETCH.search(t) for t in texts[:_FAULT_LINES]):
        pc = next((m.group(1) for t in texts[1:] if (m := _PPC_NIP.match(t))), None)
        return frames.clean_function(pc) if pc is not None else None
    if not _fetch_fault(texts):
        return None
    for text in texts:
        if "IP" in text and _X86_KERNEL_PC.search(text):
            fn = _pc_function(text)
            if fn is not None:
                return fn
    return None


def _named_pcs(texts: list[str], with_site: bool) -> tuple[list[str], bool]:
    """Functions the report's PC lines (and WARN site, `with_site`) name, in order; and whether a
    kernel-mode PC line printed a bare address (`RIP: 0010:0xffff...`)."""
    out: list[str] = []
    head = _WARN_SITE.search(texts[0]) if texts and with_site else None
    if head is not None:
        out.append(frames.clean_function(head.group(1)))
    raw = False
    fetch = _fetch_fault(texts)
    for text in texts:
        if "IP" in text and _RAW_PC.search(text):
            raw = True
        if "IP" not in text:
            continue
        fn = _pc_function(text)
        if fn is not None and fetch and _X86_KERNEL_PC.search(text):
            raw = True  # the address jumped to (_INSTRUCTION_FETCH), whatever symbol it falls in
        elif fn is not None:
            out.append(fn)
    return out, raw
