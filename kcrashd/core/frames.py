"""Call-trace lines of every architecture, and the skip lists that pick the culprit frame.

A crash's culprit is the first frame that is not the messenger (reporting, exception entry), nor
shared infrastructure (allocator, locking, string and list helpers) whose caller is the real bug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import NamedTuple, TypeAlias

from kcrashd.core import rust_symbols

_SYM = r"[A-Za-z_$][A-Za-z0-9_$.]*"
_OFF = r"\+0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?"
_MOD = r"(?:\s+\[(?P<mod>[A-Za-z0-9_\-]+)(?:\s+[0-9a-f]+)?\])?"
_RUST = r"<[^>]{1,200}>::[A-Za-z0-9_]+"
_ARM_MOD = r"(?:\s\[[A-Za-z0-9_\-]{1,64}\])?"  # the caller's module on an arm32 line (not reported)
# x86_64 before 2.6.24 printed a module's symbol as `:mod:f+0x1/0x2` (arch/x86_64/kernel/traps.c printk_address:
# `" [<%016lx>] %s%s%s%s+0x%lx/0x%lx\n", address, delim, modname, delim, symname, ...` with delim ":").
_MOD_BEFORE = r"(?::(?P<pmod>[A-Za-z0-9_\-]{1,64}):)?"

# /proc/PID/stack prints every frame as `[<0>] %pB` (fs/proc/base.c proc_pid_stack: the address hidden since 4.15),
# and so do the hung-task and sysrq dumps pasted from it.
_HIDDEN_ADDRESS = "[<0>]"

# One entry per frame shape: arm32, x86 (old and new), arm64, riscv, s390x, ppc64.
_FRAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    # arm32 `[<c0>] (callee+0x1/0x2) from [<c0>] (caller+0x1/0x2)` yields two functions; a module's
    # symbol carries its name inside the parentheses (`%pS`/`%ps`: `(f+0x40/0x80 [mod])`).  A quote may cut the
    # first address column (`(callee) from [<c0>] (caller+0x1/0x2)`), as x86 quotes lose theirs (below).
    re.compile(
        rf"^\s*(?:\[<[0-9a-fA-F]+>\]\s+)?\((?P<fn>{_SYM}|{_RUST})(?:{_OFF})?{_MOD}\) from \[<[0-9a-fA-F]+>\]\s+"
        rf"\((?P<fn2>{_SYM}){_OFF}{_ARM_MOD}\)"
    ),
    # arm32 since 5.17 without CONFIG_BACKTRACE_VERBOSE (arch/arm/kernel/traps.c dump_backtrace_entry:
    # `"%s %ps from %pS\n"`): ` callee [mod] from caller+0x1/0x2 [mod]`.
    re.compile(rf"^\s*(?P<fn>{_SYM}){_MOD} from (?P<fn2>{_SYM}){_OFF}{_ARM_MOD}\s*$"),
    # x86 <= 4.8, s390x, riscv, arm64 with addresses: `[<ffffffff81167230>] ? func+0x60/0x70 [mod]`; a log
    # that lost its first column still shows `<ffffffff81167230>] func+0x60/0x70`.  s390 puts an entry the
    # unwinder cannot vouch for in parentheses (arch/s390/kernel/dumpstack.c show_trace: `([<%016lx>] %pSR)`).
    # A `%p` printed before the pointer-hashing key is ready (lib/vsprintf.c ptr_to_id, 4.15+) is `(____ptrval____)`
    # (`(ptrval)` on 32-bit): kmemleak's `[<%p>] %pS` lines of an early-boot scan.  A hidden address is `0`
    # (_HIDDEN_ADDRESS).
    re.compile(
        rf"^\s*(?P<q>\()?\[?<(?:[0-9a-fA-F]{{6,16}}|0|\((?:____)?ptrval(?:____)?\))>\]\s+(?P<q2>\?\s+)?{_MOD_BEFORE}"
        rf"(?P<fn>{_SYM}|{_RUST}){_OFF}{_MOD}"
    ),
    # The same with its address's brackets lost, as an s390 console copied through a mismatched EBCDIC code page
    # shows it (`[` and `]` are the characters the 037 and 1047 pages place apart): ` <00000000001f5886> f+0x5a6/0x7e0`,
    # `(<00000000003cabcc> f+0x49c/0x6b0)`.
    re.compile(rf"^\s*(?P<q>\()?<[0-9a-fA-F]{{6,16}}> (?P<q2>\?\s+)?(?P<fn>{_SYM}){_OFF}{_MOD}"),
    # ppc64: `[c000...] [c000...] func+0x1/0x2 (unreliable)`; a quote may cut one of the two address columns or put
    # `[...]` for an address, as it does for the NIP line's (FAULT_PC).
    re.compile(rf"^\s*(?:\[(?:[0-9a-fA-F]{{6,16}}|\.{{3}})\]\s+){{1,2}}\.?(?P<fn>{_SYM}){_OFF}{_MOD}(?P<unrel>\s+\(unreliable\))?"),
    # new x86 / arm64 / riscv: ` func+0x1/0x2 [mod]`, `? func+...`, Rust `<T as Tr>::f+0x`
    re.compile(rf"^\s*(?P<q>\?\s+)?(?P<fn>{_SYM}|{_RUST}){_OFF}{_MOD}(?:\s|$)"),
)

# scripts/decode_stacktrace.sh replaces a frame's `f+0x1/0x2` with `f (file.c:123)` (an inlined chain lists more
# `file:line` pairs inside the parentheses): ` futex_lock_pi (kernel/futex.c:2740)`, `? f (file.c:1)`.
# 2.6-4.x traces keep their address column before it (` [<ffffffff8108a6d5>] ? __lock_acquire (kernel/locking/
# lockdep.c:3123)`, as decoded reports of those years show it).
# A source position as a symbolizer prints it (`net/core/sock.c:1419`).
SOURCE_POSITION = r"[A-Za-z0-9_./\-]{1,200}\.[chS]:\d{1,7}"
DECODED_POSITION = rf" \({SOURCE_POSITION}(?:[ )]|$)"
# The address columns kept before it: x86's `[<addr>]` (hidden `[<0>]` of /proc/PID/stack, kmemleak's early
# `[<(____ptrval____)>]`, s390's `([<addr>]`) and ppc64's `[sp] [pc]` (arch/powerpc/kernel/process.c show_stack).
_DECODED_ADDRESS = (
    r"(?:\(?\[<(?:[0-9a-fA-F]{6,16}|0|\((?:____)?ptrval(?:____)?\))>\]\s+|\[[0-9a-fA-F]{8,16}\]\s+\[[0-9a-fA-F]{8,16}\]\s+)?"
)
_DECODED_FRAME = re.compile(rf"^\s*{_DECODED_ADDRESS}(?P<q>\?\s)?(?P<fn>{_SYM}){DECODED_POSITION}")
# decode_stacktrace.sh decodes a line's last word only (handle_line) and parse_symbol drops the parentheses
# around it: arm32's `[<c0>] (f) from [<c0>] (g+0x1/0x2)` (arch/arm/kernel/traps.c dump_backtrace_entry)
# becomes `[<c0>] (f) from [<c0>] g (file.c:N)`, the 5.17 ` f from g+0x1/0x2` ` f from g (file.c:N)`.
_DECODED_ARM = re.compile(
    rf"^\s*(?:\[<[0-9a-fA-F]{{6,16}}>\]\s+)?\(?(?P<fn>{_SYM})(?:{_OFF})?{_ARM_MOD}\)? from "
    rf"(?:\[<[0-9a-fA-F]{{6,16}}>\]\s+)?(?P<fn2>{_SYM}){DECODED_POSITION}"
)


def _decoded_frames(text: str) -> tuple[FrameLine, ...]:
    """The frames of a line scripts/decode_stacktrace.sh rewrote (_DECODED_FRAME, _DECODED_ARM), else none;
    behind an old x86 stack marker too (`<<EOE>>  [<addr>] f (file.c:N)`, _STACK_MARKER)."""
    marker = _STACK_MARKER.match(text) if "<" in text else None
    if marker is not None:
        text = text[marker.end() :]
    arm = _DECODED_ARM.match(text) if " from " in text else None
    if arm is not None:
        return (FrameLine(clean_function(arm.group("fn")), None, None, True),
                FrameLine(clean_function(arm.group("fn2")), None, None, True))
    m = _DECODED_FRAME.match(text)
    return (FrameLine(clean_function(m.group("fn")), None, None, m.group("q") is None),) if m is not None else ()

# What every match of each _FRAME_PATTERNS entry holds (a cheap test before its regex, so a skipped
# regex could not have matched): the first arm32 shape its `) from [<`, the second its ` from `, the
# address shape the `>]` closing its address, the bracketless one the `> ` after it, ppc64 the `]`
# closing its first bracket; the last shape its `+0x` (_OFF), which parse_frames has already tested.
_FRAME_NEEDS: tuple[str, ...] = (") from [<", " from ", ">]", "> ", "]", "+0x")

# The faulting-PC line of each architecture: x86 RIP/EIP (2.6-3.x show_regs: `EIP is at %pS`), arm64/riscv
# pc/epc (mips __show_regs: `epc   : %0*lx %pS`, the address before the symbol), arm PC is at, ppc NIP, s390 PSW.
# powerpc show_regs prints `NIP [%016lx] %pS`; a quote often strips the bracketed address (`NIP f+0x10/0x60`):
# zero to two bracketed addresses before the symbol, as syzkaller's RIP-frame pattern accepts after `NIP`, or a
# quote's `[...]` for one.
# powerpc's xmon prints the PC as `    pc: %lx: %pS` (arch/powerpc/xmon/xmon.c excprint: xmon_print_symbol(nip, ": ",
# "\n")), a ppc64 ELFv1 symbol with its dot.  A quote may put a space after x86's segment (`RIP: 0010: f+0x1/0x2`).
# parisc's show_regs prints a kernel-mode PC as `IAOQ[0]: %pS` (arch/parisc/kernel/traps.c; IAOQ[1] is the next one).
FAULT_PC = re.compile(
    rf"(?:\b(?:RIP|EIP|IP): (?:[0-9a-fA-F]{{4}}: ?)?(?:\[<[0-9a-fA-F]+>\]\s+){{0,2}}|^\s*RIP\s+\[<[0-9a-fA-F]+>\]\s+|"
    rf"^\s*(?:pc|epc)\s*:\s*(?:\[<[0-9a-fA-F]+>\]\s+|[0-9a-fA-F]{{8,16}}:?\s+\.?)?|^PC is at |^\s*[ER]IP is at |^\s*NIP(?:\s*+:)?(?:\s*+\[(?:[0-9a-fA-F]+|\.{{3}})\]){{0,2}}\s++\.?|"
    rf"Krnl PSW\s*:\s*[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+\(?|^\s*TPC: <|^\s*IAOQ\[0\]: )(?::[A-Za-z0-9_\-]{{1,64}}:)?(?P<fn>{_SYM})(?:{_OFF}|{DECODED_POSITION})"
)
# A frame line whose first column was lost (`<ffffffff81329372>] blk_queue_bio+0x2a2/0x380`).
LOST_COLUMN = re.compile(r"^\s*<[0-9a-fA-F]{6,16}>\]")
# kmemleak's header of a leaked object's trace (mm/kmemleak.c print_unreferenced: `backtrace:`, later
# `backtrace (crc %x):`).
LEAK_TRACE = r"\s*backtrace(?: \(crc [0-9a-f]+\))?:"
# Lines after which a new stack starts (one culprit list per stack).
STACK_START = re.compile(
    r"^(?:\s*Call Trace:?|\s*Call trace:|\s*Backtrace:|Allocated by task \d+|Freed by task \d+|"
    rf"{LEAK_TRACE}|Uninit was (?:stored to memory|created) at:|"
    r"\s*status: [0-9a-f]+ badaddr: [0-9a-f]+ cause: |Last Breaking-Event-Address:)"
)

_SUFFIX = re.compile(r"(?:\.(?:isra|constprop|cold|part|llvm|lto_priv|localalias|ipa|specialized)(?:\.\d++)*+)++$|\.\d++$")


class FrameLine(NamedTuple):
    """A frame found on one line: cleaned name, offset, module, reliability (a named tuple: built
    for every frame line, it costs half of a frozen dataclass)."""

    function: str
    offset: str | None
    module: str | None
    reliable: bool


_CXX_MANGLED = re.compile(r"_Z(\d+)")


def clean_function(name: str) -> str:
    """Drop compiler clone suffixes (`.isra.0`, `.cold`, `.constprop.3`, `.part.1`), ppc dots, the
    C++ mangling of a plain function (`_Z8fakeNameiii` -> `fakeName`) and Rust's (rust_symbols)."""
    if name.startswith(("_R", "__cfi__R")):
        rust = rust_symbols.readable(name)
        if rust is not None:
            return rust
    if name.startswith(".") and len(name) > 1:
        name = name[1:]
    if name.startswith("_Z"):
        m = _CXX_MANGLED.match(name)
        if m is not None:
            n = int(m.group(1))
            inner = name[m.end() : m.end() + n]
            if len(inner) == n and inner.isidentifier():
                name = inner
    if "." not in name:
        return name
    if name.startswith("<"):
        return name
    return name.split(".", 1)[0] if not name.startswith("$") else _SUFFIX.sub("", name)


# x86 stack-switch markers that old kernels printed on the frame's own line
# (arch/x86/kernel/dumpstack_64.c: ` <IRQ> `, ` <<EOE>> `, ` <NMI> `; ` <EOI> ` frames are the
# interrupted code, which a report from the interrupt handler did not name, so they stay unread).
_STACK_MARKER = re.compile(r"^\s*<{1,2}(?:IRQ|EOE|NMI)>{1,2}[ \t]+(?=[\[?A-Za-z_$(<])")

# klogd translated a frame's `[<c0123456>]` into `[f+71/115]` (decimal offsets; documented in the
# kernel's Documentation/admin-guide/bug-hunting.rst): ` [f+71/115] f+0x47/0x73`.
_DECIMAL_PREFIX = re.compile(r"^\s*\[[A-Za-z_$][A-Za-z0-9_$.]{0,127}\+\d{1,9}/\d{1,9}\][ \t]+(?=[?A-Za-z_$])")


# x86_64 of 2.6.0-2.6.17 printed an address as `<addr>{[:mod:]sym+offset}`, the offset in decimal, several frames
# on a line and the first on the `Call Trace:` line itself (arch/x86_64/kernel/traps.c printk_address:
# `printk("<%016lx>{%s%s%s%s%+ld}", address, delim, modname, delim, symname, offset)`; show_trace).
_BRACE_FRAME = re.compile(r"<[0-9a-fA-F]{8,16}>\{(?::([A-Za-z0-9_\-]{1,64}):)?([A-Za-z_$][A-Za-z0-9_$.]{0,200})\+(\d{1,9})\}")
# Its PC lines: `RIP: 0010:[<addr>] <addr>{f+30}`, the oops summary `RIP <addr>{f+30} RSP <addr>`, and the line
# below a fault's header (arch/x86_64/mm/fault.c: `Unable to handle kernel ... at %016lx RIP: `, then the address).
_BRACE_PC = re.compile(r"(?:\bRIP: [0-9a-fA-F]{4}:\[<[0-9a-fA-F]{8,16}>\] |^\s*RIP |^\s*(?=<))<[0-9a-fA-F]{8,16}>\{(?::[A-Za-z0-9_\-]{1,64}:)?([A-Za-z_$][A-Za-z0-9_$.]{0,200})\+\d{1,9}\}")


_MOD_BEFORE_SYMBOL = re.compile(r">\]\s+(?:\?\s+)?:[A-Za-z0-9_\-]{1,64}:[A-Za-z_$]")


def frame_unread_in_v3(text: str) -> bool:
    """A frame line fingerprint version 3 could not read: a decoded `f (file.c:123)` (_DECODED_FRAME), x86_64's
    symbols of 2.6.0-2.6.23 (`<addr>{f+30}`, `[<addr>] :mod:f+0x1/0x2`), a trimmed frame (mark_trimmed_frames), an address `%p` printed unhashed-yet
    (`[<(____ptrval____)>] f+0x1/0x2`) or hidden (`[<0>] f+0x1/0x2`, fs/proc/base.c proc_pid_stack)."""
    if text.endswith(TRIMMED_MARK) or (">{" in text and _BRACE_FRAME.search(text) is not None):
        return True
    if " (" in text and _decoded_frames(text):
        return True
    if ("ptrval" in text or _HIDDEN_ADDRESS in text) and parse_frames(text):
        return True
    return ">] " in text and _MOD_BEFORE_SYMBOL.search(text) is not None


# powerpc's `NIP [%016lx] %pS` and `LR [%016lx] %pS` (arch/powerpc/kernel/process.c show_regs) as a quote leaves
# them with the bracketed address stripped (`NIP f+0x10/0x60`, `LR  g+0x344/0x674`): version 3 read neither.
_PPC_REGISTER_UNBRACKETED = re.compile(r"^\s*(?:NIP|LR)\s++\.?[A-Za-z_$][A-Za-z0-9_$.]{0,200}\+0x")


def ppc_register_unread_in_v3(text: str) -> bool:
    """A powerpc NIP or LR line without its bracketed address, which fingerprint version 3 could not read."""
    return ("NIP" in text or "LR" in text) and _PPC_REGISTER_UNBRACKETED.match(text) is not None


def parisc_pc_unread_in_v3(text: str) -> bool:
    """parisc's kernel-mode PC line `IAOQ[0]: f+0x1/0x2` (FAULT_PC), which fingerprint version 3 did not read."""
    return "IAOQ[0]: " in text and fault_pc(text) is not None


def _brace_frames(text: str) -> tuple[FrameLine, ...]:
    """The `<addr>{sym+offset}` frames of an x86_64 2.6.0-2.6.17 trace line (_BRACE_FRAME), in its order."""
    return tuple(
        FrameLine(clean_function(m.group(2)), hex(int(m.group(3))), m.group(1), True) for m in _BRACE_FRAME.finditer(text)
    )


# A frame a quote trimmed to its function's name, as Documentation/process/submitting-patches.rst ("Backtraces in
# commit messages") asks of a trace: `mba_wrmsr`, `? f`, `g [mod]`, powerpc's `f (unreliable)` alone on its line,
# or with the source position a symbolizer printed after it (`sk_alloc net/core/sock.c:1419`).  The name keeps the
# compiler's clone suffixes (`.isra.0`, `.constprop.0`, clang ThinLTO's `.llvm.` and a decimal hash of up to 20
# digits), a module's build ID after its name (kernel/kallsyms.c with CONFIG_STACKTRACE_BUILD_ID: `[%s %20phN]`)
# and arm64's unwind source mark after it (arch/arm64/kernel/stacktrace.c dump_backtrace_entry, 6.13 on:
# `%pSb %s` with `(C)` caller, `(P)` PC, `(L)` LR, `(T)` task, ...).  An inlined callee's
# `f file.c:12 [inline]` line, which the symbolizer prints without an offset in a whole report too, stays no frame.
# Such a line is a frame only inside a trace (mark_trimmed_frames): elsewhere a lone word is prose, a test's name or
# a shell's output.
_BARE_FRAME = re.compile(
    r"^[ \t]{0,8}(?P<q>\? )?(?P<fn>[A-Za-z_][A-Za-z0-9_]{2,127}(?:\.[a-z]{3,12}(?:\.\d{1,20})?){0,3})"
    r"(?: \[(?P<mod>[a-z0-9_\-]{1,64})(?: [0-9a-f]{40})?\])?"
    rf"(?P<pos> {SOURCE_POSITION})?(?P<unrel> \(unreliable\))?(?: \([A-Z]\))? {{0,4}}$"
)
# A quote's mark where it cut lines out of a report (`...`, `[...]`, `<snip>`, `[ snip ]`): a trace goes on below it.
ELISION = re.compile(r"^\s*(?:\.{3}|\[ ?(?:\.{3}|snip) ?\]|<(?:\.{3}|snip)>)\s*$")
_HEX_WORD = re.compile(r"^ {0,8}[0-9a-f]{8,16}$")
# The entry and exit marks of a trace's stack sections (arch/x86/kernel/dumpstack.c show_trace_log_lvl: `<TASK>`,
# `<IRQ>`, `</IRQ>`, `<NMI>`, `</NMI>`; 4.x `<EOI>`, `<<EOE>>`).
_SECTION_MARK = re.compile(r"^\s*<{1,2}/?(?:TASK|IRQ|NMI|SOFTIRQ|EOI|EOE)>{1,2}\s*$")
# KFENCE's lines above a stack it prints (mm/kfence/report.c kfence_report_error: `%s at 0x%p [ ... ] (in kfence-#%td):`,
# kfence_print_object: `allocated by task %d on cpu %d at %lu.%06lus (%lu.%06lus ago):`, `freed by task ...`).
_KFENCE_STACK = re.compile(r"\(in kfence-#\d{1,9}\):\s*$|^\s*(?:allocated|freed) by task \d{1,9} on cpu \d{1,5} at ")
# The registers an exception frame prints inside a trace, its frames going on below (arch/x86/kernel/dumpstack.c
# show_trace_log_lvl calls show_regs_if_on_stack: `RIP: 0010:f+0x1/0x2`, `RSP: 0018:...`, `RAX: ...`, `Code: ...`).
_TRACE_REGISTERS = re.compile(r"^\s*(?:[A-Z][A-Z0-9_]{1,7}: {0,2}[0-9a-fA-F]|(?:RIP|EIP|Code): )")
# A frame whose address %pS found no symbol for (`[<00000000e0a73ec7>] 0xffffffffc01d2036`: a freed module's text).
_NO_SYMBOL = re.compile(r"^\s*(?:\[<[0-9a-fA-F]{1,16}>\]\s{1,4})?(?:\? )?0x[0-9a-fA-F]{1,16}\s*$")
# The mark mark_trimmed_frames puts behind a trimmed frame's line: a NUL, which decode_log drops from every log,
# so no input can forge it.
TRIMMED_MARK = "\x00"
# A line whose address is printed on the next one: lockdep's `is trying to release lock (x) at:`
# (print_unlock_imbalance_bug), kernel/sched/core.c print_preempt_disable_ip's `Preemption disabled at:`.
AT_EOL = re.compile(r"\bat:\s*$")


def mark_trimmed_frames(texts: list[str]) -> list[str]:
    """`texts` (a report's lines, its header first) with each trimmed frame line (_BARE_FRAME) that follows
    the header, a trace's start, a section mark, a line whose address is printed below it (lockdep's and
    print_preempt_disable_ip's `... at:`) or another frame marked (TRIMMED_MARK) so that parse_frames reads
    it; an exception frame's registers and a symbolizer's inlined-callee lines within the trace keep it
    going, a blank line ends it."""
    # No character _BARE_FRAME takes is a `+`: a report none of whose other lines is such a frame (most
    # reports: their frames keep their offsets) has nothing to mark, and the walk below is skipped.
    if not any(_BARE_FRAME.match(t) for t in texts[1:] if "+" not in t):
        return list(texts)
    return _marked_in_traces(texts)


def _marked_in_traces(texts: list[str]) -> list[str]:
    """mark_trimmed_frames's walk: the trace each line is in, and the trimmed frames marked there."""
    out = list(texts)
    in_trace = False
    # A symbolizer prints an inlined callee's line with its position and no offset; in a trace whose frames
    # keep their offsets, such a line is that, not a trimmed frame.
    offsets = ["+0x" in t and bool(parse_frames(t)) for t in texts]  # a frame line with its offset
    untrimmed = any(offsets)
    for i, text in enumerate(texts):
        if offsets[i]:
            in_trace = True  # what every branch below leaves for such a line: no trimmed frame (no `+`)
        elif i == 0 or _trace_opens(text):
            in_trace = True
        elif in_trace and (m := _BARE_FRAME.match(text)) and not _HEX_WORD.match(text):
            if not (untrimmed and m.group("pos")):
                out[i] = text + TRIMMED_MARK
        elif in_trace and (_TRACE_REGISTERS.match(text) or _NO_SYMBOL.match(text) or text.rstrip().endswith(" [inline]")):
            continue
        else:
            in_trace = bool(text.strip()) and bool(parse_frames(text))
    return out


def _trace_opens(text: str) -> bool:
    """Whether a trace (or a frame printed on the next line) follows the line `text` (mark_trimmed_frames);
    each search only where its literal is there."""
    if text.rstrip().endswith("at:") and AT_EOL.search(text):
        return True
    if STACK_START.match(text) or _SECTION_MARK.match(text):
        return True
    if ("..." in text or "snip" in text) and ELISION.match(text):
        return True
    return ("kfence-#" in text or " by task " in text) and _KFENCE_STACK.search(text) is not None


def _trimmed_frame(text: str) -> tuple[FrameLine, ...]:
    m = _BARE_FRAME.match(text[:-1])
    if m is None:
        return ()
    reliable = m.group("q") is None and m.group("unrel") is None
    return (FrameLine(clean_function(m.group("fn")), None, m.group("mod"), reliable),)


# The symbol x86's function padding carries before each function (CONFIG_CALL_PADDING, 6.2+: `__pfx_f`, the 16 bytes of
# int3/nop ahead of `f`).  Padding holds no call, so no return address points into it: a `__pfx_f+0x10/0x10` word
# (f's entry, as kallsyms names it) is a function pointer left on the stack, a `?` frame however a quote printed it.
PADDING_PREFIX = "__pfx_"


@lru_cache(maxsize=16384)
def parse_frames(text: str) -> tuple[FrameLine, ...]:
    """The frames on one call-trace line (two for arm32 `x from y`), empty if it is no frame line."""
    if "+0x" not in text:
        if "(stack is not available)" in text:
            return (FrameLine("(stack is not available)", None, None, True),)
        decoded = _decoded_frames(text) if " (" in text else ()
        if decoded:
            return decoded
        if text.endswith(TRIMMED_MARK):
            return _trimmed_frame(text)
        return _brace_frames(text) if ">{" in text else ()
    eoi = "<EOI>" in text
    marker = _STACK_MARKER.match(text) if "<" in text else _DECIMAL_PREFIX.match(text)
    if marker is not None:
        text = text[marker.end() :]
    for needs, pat in zip(_FRAME_NEEDS, _FRAME_PATTERNS, strict=True):
        m = pat.match(text) if needs in text else None
        if m is None:
            continue
        groups = m.groupdict()
        questionable = bool(groups.get("q") or groups.get("q2") or groups.get("unrel")) and not eoi
        questionable = questionable or m.group("fn").startswith(PADDING_PREFIX)
        rest = text[m.start("fn") :]
        off = rest.split("+", 1)[1].split()[0].rstrip(")") if "+" in rest else None
        out = [FrameLine(clean_function(m.group("fn")), off, groups.get("mod") or groups.get("pmod"), not questionable)]
        if groups.get("fn2"):
            out.append(FrameLine(clean_function(groups["fn2"]), None, None, not questionable))
        return tuple(out)
    # A decoded line keeping an offset before its last word (`(f+0x1/0x2) from g (file.c:N)`).
    return _decoded_frames(text) if " (" in text else ()


def arm_unwound(text: str) -> bool:
    """An arm32 `callee from caller` frame line.  With CONFIG_ARM_UNWIND the kernel prints the trace
    with no header (arch/arm/kernel/traps.c dump_backtrace calls unwind_backtrace; only the
    frame-pointer walker prints `Backtrace: `), so such a line starts a stack by itself."""
    return " from " in text and len(parse_frames(text)) == 2


def arm_unread_before_v4(text: str) -> bool:
    """An arm32 frame line fingerprint version 3 could not read: a module's name inside the
    parentheses (`(f+0x40/0x80 [mod])`) or the 5.17 shape without addresses (` f from g+0x1/0x2`)."""
    if not arm_unwound(text):
        return False
    return not text.lstrip().startswith("[<") or "]) from" in text or text.rstrip().endswith("])")


@lru_cache(maxsize=8192)
def fault_pc(text: str) -> str | None:
    """The function of a faulting-PC line (x86 RIP, arm64 pc, ppc NIP, s390 PSW), else None."""
    # Every FAULT_PC match holds `IP` (RIP, EIP, IP, NIP, `[ER]IP is at`), `pc` (pc, epc), `PC is at`,
    # `Krnl PSW` or sparc64's `TPC: <` (arch/sparc/kernel/process_64.c show_regs `TPC: <%pS>`), and `+0x`
    # or a decoded position, or parisc's `IAOQ[0]: `: a frame line without them is no PC line.
    if "+0x" not in text:
        brace = _BRACE_PC.search(text) if ">{" in text else None
        if brace is not None:
            return clean_function(brace.group(1))
        if " (" not in text:  # nor decoded (scripts/decode_stacktrace.sh: `RIP: 0010:f (file.c:12)`)
            return None
    if not ("IP" in text or "pc" in text or "PC is at" in text or "Krnl PSW" in text or "TPC: <" in text
            or "IAOQ[0]: " in text):
        return None
    m = FAULT_PC.search(text)
    return clean_function(m.group("fn")) if m else None


# --- skip lists (data) ----------------------------------------------------------------------
# Regexps searched in the cleaned function name; one rule per family of functions, grouped by why
# such a frame is not the culprit.  bench/rule_support.py counts the corpus files each rule fits.
# arm's BUG() before GENERIC_BUG called arch/arm/kernel/traps.c __bug, which prints `kernel BUG at` and writes to
# NULL: the fault's PC is __bug, its caller the BUG's site.
_ARM_BUG_SINCE_V4 = r"__bug"
# The spinlock and rwlock API before 2.6.33 renamed it _raw_* (kernel/spinlock.c `void __lockfunc _spin_lock(spinlock_t
# *lock)`, `_spin_lock_irqsave`, `_spin_unlock_irqrestore`, `_read_lock_bh`, `_write_lock_irq`, ...), and the x86 rwlock
# slow paths (arch/x86/lib/rwlock_64.S __read_lock_failed / __write_lock_failed).
_LOCK_26_SINCE_V4 = r"_{1,2}spin_(?:lock|unlock|trylock)\w{0,20}|_(?:read|write)_(?:lock|unlock|trylock)\w{0,20}|__(?:read|write)_lock_failed"
# PREEMPT_RT's sleeping spinlock_t and rwlock_t (rtmutex-based): the entry points other than rt_spin_lock and
# rt_read_lock / rt_write_lock themselves.  kernel/locking/spinlock_rt.c __rt_spin_lock (5.15+), the RT patch queue's
# kernel/locking/rtmutex.c __rt_spin_lock, rt_spin_lock_slowlock (3.x-5.x) and kernel/locking/rt.c (3.x);
# the 4.1x-5.x RT queue's kernel/locking/rwlock-rt.c __read_rt_lock / __write_rt_lock, and 5.15's
# kernel/locking/rwbase_rt.c rwbase_read_lock / rwbase_write_lock that rwlock_t and rw_semaphore share.
_RT_LOCK_SINCE_V4 = r"__rt_(?:spin|read|write)_(?:lock|unlock|trylock)\w{0,24}|__(?:read|write)_rt_(?:lock|unlock|trylock)\w{0,12}|_{0,2}rwbase_\w{1,32}"
# mm/page_alloc.c's allocation path below alloc_pages: get_page_from_freelist takes a free page for the
# caller (rmqueue / buffered_rmqueue before 4.13 and their helpers, then prep_new_page -> post_alloc_hook).  And
# the page allocator's entry points of 6.10+ that the allocation-profiling rename (`_noprof`) and 6.14's frozen
# pages gave names the page-allocator rule's prefixes miss: get_free_pages_noprof (__get_free_pages),
# mm/mempolicy.c alloc_frozen_pages_noprof (alloc_pages' body) and free_frozen_pages.
_PAGE_ALLOC_SINCE_V4 = (
    r"get_page_from_freelist|_{0,2}rmqueue(?:_(?:bulk|pcplist|buddy|smallest|fallback|cma_fallback|claim|steal))?|"
    r"buffered_rmqueue|prep_new_page|post_alloc_hook|get_free_pages_noprof|alloc_frozen_pages(?:_nolock)?(?:_noprof)?|"
    r"free_frozen_pages"
)
# lib/cpumask.c alloc_cpumask_var_node / zalloc_cpumask_var_node (and the _var forms): with CPUMASK_OFFSTACK
# they kmalloc a cpumask for the caller, like the duplicating helpers of mm/util.c.
_CPUMASK_ALLOC_SINCE_V4 = r"z?alloc_cpumask_var(?:_node)?|free_cpumask_var"
# mm/slub.c object_err / slab_err / slab_bug print an object's or a slab's description for a checker (SLUB
# debugging, and mm/kasan/report.c print_address_description of 4.0-4.5): the checker's caller is the culprit.
_SLUB_REPORT_SINCE_V4 = r"object_err|slab_err|slab_bug"
# mm/vmalloc.c below vmalloc / __vmalloc_node_range: __get_vm_area_node (and the __get_vm_area, get_vm_area and
# *_caller entry points over it) reserves the virtual range through alloc_vmap_area (with __alloc_vmap_area or
# insert_vmap_area / __insert_vmap_area under it, by release), __vmalloc_area_node backs it with pages; vmap and vm_map_ram
# map the caller's pages; the free side is remove_vm_area / __vunmap -> free_vmap_area (free_unmap_vmap_area,
# __free_vmap_area).  They work on the caller's behalf like the slab and page allocators.  vunmap and vm_unmap_ram
# themselves stay: they check their caller's context (mm/vmalloc.c vunmap `BUG_ON(in_interrupt())`, might_sleep),
# and syzkaller's titles, which kcrashd follows, name them (its skip list has no vmalloc entry).
_VMALLOC_SINCE_V4 = (
    r"_{0,2}alloc_vmap_area|_{0,2}insert_vmap_area|_{0,2}get_vm_area(?:_node|_caller)?|__vmalloc_area_node|vmap|"
    r"vm_map_ram|remove_vm_area|_{1,2}vunmap|_{0,2}free_vmap_area|free_unmap_vmap_area"
)
# block/bio.c bio_put drops the caller's reference to a bio and, at zero, bio_free gives it back to its bio_set's
# mempool (mempool_free): the free side of bio_alloc_bioset, like kfree for kmalloc.
_BIO_FREE_SINCE_V4 = r"bio_put|bio_free"
# PREEMPT_RT's per-CPU local locks: the RT patch queue's include/linux/locallock.h (3.0-rt to 5.x-rt: __local_lock,
# __local_lock_irq, __local_lock_irqsave, __local_unlock*, local_lock_cpu, ...) takes a spinlock_t for the caller
# (local_bh_disable took `local_softirq_lock` through it), as include/linux/local_lock_internal.h's __local_lock*
# (5.8+: local_lock, local_lock_irqsave, local_lock_nested_bh, local_trylock) do on PREEMPT_RT.
_LOCAL_LOCK_SINCE_V4 = r"_{0,2}local_(?:try|un)?lock\w{0,20}"
# The socket lock: net/core/sock.c lock_sock_nested (include/net/sock.h lock_sock calls it) takes sk_lock.slock and
# sleeps in __lock_sock until no other owner holds the socket, lock_sock_fast likewise, release_sock gives it back:
# the protocol code that calls them (tcp_close) takes the lock.
_SOCK_LOCK_SINCE_V4 = r"lock_sock(?:_nested|_fast)?|__lock_sock|release_sock"
# The generic out-of-line atomic64_t of lib/atomic64.c (32-bit kernels without native 64-bit atomics: atomic64_read,
# atomic64_add_return, ..., renamed generic_atomic64_* in 5.x) and the x86-32 cmpxchg8b / 386 forms of
# arch/x86/lib/atomic64_cx8_32.S and atomic64_386_32.S (atomic64_add_return_cx8, atomic64_inc_386): they update the
# caller's counter, as the atomic_* helpers do.
_ATOMIC64_SINCE_V4 = r"(?:generic_)?atomic64_[a-z0-9_]{1,32}"
# The checks of DMA-API debugging that WARN about a driver's DMA call (kernel/dma/debug.c err_printk; lib/dma-debug.c
# before 4.20; check_sg_segment's `mapping sg segment longer than device claims to support` and `... across boundary`).
DMA_DEBUG_SITES = ("check_unmap", "check_sync", "check_for_stack", "check_for_illegal_area", "check_sg_segment")
# And add_dma_entry's, on the mapping a driver makes (`cacheline tracking EEXIST, overlapping mappings aren't supported`,
# err_printk since 5.x; before, active_cacheline_inc_overlap's `exceeded %d overlapping mappings of cacheline %pa`
# inlined into it), and the mapping hooks the static checks are inlined into (debug_dma_map_page calls check_for_stack
# and check_for_illegal_area, debug_dma_map_sg those and check_sg_segment): WARN sites the signature row reads
# (signatures.py warn-dma-debug), not skipped everywhere.
DMA_DEBUG_WARN_SITES = (*DMA_DEBUG_SITES, "add_dma_entry", "debug_dma_map_page", "debug_dma_map_sg")
# The irq core's free paths that WARN about the IRQ their caller hands them (kernel/irq/manage.c __free_irq
# `Trying to free already-free IRQ %d` and `... from IRQ context!`, free_irq `WARN_ON(desc->affinity_notify)`,
# __free_percpu_irq `Trying to free already-free IRQ %d`, free_nmi `WARN_ON(!irq_is_nmi(desc))`; kernel/irq/devres.c
# devm_free_irq `WARN_ON(devres_destroy(...))`: an IRQ the driver never requested with devm_request_irq).
IRQ_FREE_SITES = ("__free_irq", "free_irq", "__free_percpu_irq", "free_nmi", "devm_free_irq")
# Their entry points and wrappers, the driver below them the culprit (include/linux/pci.h pci_free_irq and
# drivers/pci/irq.c; remove_percpu_irq, free_percpu_irq and free_percpu_nmi call the __ forms; devm_irq_release is
# the devres callback that calls free_irq).
IRQ_FREE_API = (*IRQ_FREE_SITES, "free_percpu_irq", "remove_percpu_irq", "free_percpu_nmi", "devm_irq_release",
                "pci_free_irq")
# fs/proc/generic.c's WARNINGs about what its caller hands it: __xlate_proc_name a name holding a `/` (`WARN(1, "name
# '%s'\n", name)`), remove_proc_entry and remove_proc_subtree a directory that still holds another owner's entries
# (`removing non-empty directory '%s/%s', leaking at least '%s'`).
PROC_CALLER_SITES = ("__xlate_proc_name", "remove_proc_entry", "remove_proc_subtree")
# The code between them and the driver whose entry it is: procfs itself, the irq core's /proc/irq/N plumbing
# (kernel/irq/proc.c register_irq_proc / register_handler_proc under __setup_irq, unregister_irq_proc under free_desc)
# with the IRQ request and free API that reaches it and the descriptor teardown (irq_free_descs, irq_domain_free_irqs,
# irq_dispose_mapping), and a PCI device's interrupt teardown under pci_disable_device (do_pci_disable_device,
# pcibios_disable_device, ACPI's acpi_pci_irq_disable -> acpi_unregister_gsi(_ioapic) -> x86's mp_unmap_irq).
PROC_CALLER_API = (
    r"_*proc_\w+|_*xlate_proc_name|remove_proc_\w+|(?:un)?register_(?:irq|handler)_proc|free_desc|"
    r"irq_free_descs?|irq_domain_free_irqs\w*|irq_dispose_mapping|__setup_irq|request_threaded_irq|request_irq|"
    r"request_any_context_irq|devm_request_threaded_irq|devm_request_irq|mp_unmap_irq|acpi_unregister_gsi\w*|"
    r"acpi_pci_irq_disable|pcibios_disable_device|do_pci_disable_device|pci_disable_device|" + "|".join(IRQ_FREE_API)
)
# The common clock framework's checks on the count a consumer drops (drivers/clk/clk.c clk_core_disable `WARN(core->
# enable_count == 0, "%s already disabled\n", ...)` and `Disabling critical %s`, clk_core_unprepare `%s already
# unprepared` and `Unpreparing critical %s`): the consumer that disabled or unprepared once too often is the culprit.
CLK_CALLER_SITES = ("clk_core_disable", "clk_core_unprepare")
# The consumer API down to them (clk_disable, clk_unprepare, clk_disable_unprepare, the clk_bulk_* forms, devm's
# release) and the framework's locked wrappers (clk_core_disable_lock, clk_core_disable_unprepare).
CLK_CALLER_API = r"clk_core_\w+|clk_(?:bulk_)?(?:disable|unprepare)(?:_unprepare)?|devm_clk_release|clk_gate_\w+"
# The DMA API's sync calls on a driver's streaming mapping (kernel/dma/mapping.c __dma_sync_single_for_cpu /
# _for_device, __dma_sync_sg_*, and dma_sync_single_for_cpu / dma_sync_single_range_for_cpu ... before 6.x made them
# inline wrappers): a DMA-API debugging report there is on the driver's call, as for dma_map / dma_unmap (SKIP_ALLOCATOR).
_DMA_SYNC_SINCE_V4 = r"_{0,2}dma_sync_(?:single|sg)(?:_range)?_for_(?:cpu|device)"
# Bit operations the atomics rule did not name: include/asm-generic/bitops (instrumented-atomic.h change_bit,
# instrumented-non-atomic.h test_bit / _test_bit / test_bit_acquire) and their arch_* and generic_* / const_* forms
# (arch_test_bit, generic_test_bit, arch_set_bit, arch___clear_bit): they read or flip a bit of the caller's word.
# The bitmap searches read the caller's bitmap the same way: lib/find_bit.c (find_first_bit, find_next_zero_bit,
# _find_first_and_bit, find_nth_bit, ...) and arm's arch/arm/lib/findbit.S (_find_first_bit_le, _find_next_zero_bit_be).
_BITOPS_SINCE_V4 = (
    r"_{0,3}(?:change|test)_bit(?:_acquire)?|(?:arch|generic|const)_{1,4}(?:change|test|set|clear)_bit(?:_acquire|_unlock)?|"
    r"_{0,2}find_(?:first|next|last|nth)_(?:and_|andnot_|or_|zero_)?bit(?:_le|_be)?"
)
# The optimistic-spinning helper of mutexes and rwsems (include/linux/sched.h owner_on_cpu, called by
# kernel/locking/mutex.c mutex_spin_on_owner and rwsem.c rwsem_spin_on_owner) asks whether the lock's owner runs.
_OWNER_SPIN_SINCE_V4 = r"owner_on_cpu"
# The user-memory copies below copy_to_iter / copy_page_to_iter: lib/iov_iter.c copyin / copyout / copyout_mc and
# _copy_mc_to_iter, copy_folio_from_iter_atomic, include/linux/uio.h copy_folio_to_iter; and lib/scatterlist.c
# extract_iter_to_sg / extract_user_to_sg (6.3+), which pin or copy an iterator's pages into the caller's sg table.
_USER_ITER_SINCE_V4 = (
    r"copyin|copyout(?:_mc)?|_?copy_mc_to_iter|copy_folio_(?:to_iter|from_iter_atomic)|extract_(?:user|iter)_to_sg"
)
# Page-cache helpers that find, create or lock a page for the caller: mm/filemap.c find_or_create_page,
# grab_cache_page / grab_cache_page_write_begin / grab_cache_page_nowait, read_cache_folio, the page lock
# (__lock_page, __lock_page_killable, __lock_page_or_retry; 5.16+ __folio_lock, __folio_lock_killable,
# __folio_lock_or_retry; include/linux/pagemap.h lock_page / folio_lock when emitted out of line), and the truncation
# walk of mm/truncate.c (truncate_inode_pages / _range / _final over find_lock_entries / find_get_entries), which
# drops the pages of the mapping its filesystem hands it.
_PAGECACHE_SINCE_V4 = (
    r"find_or_create_page|grab_cache_page(?:_write_begin|_nowait)?|read_cache_folio|"
    r"_{0,2}(?:lock_page|folio_lock)(?:_killable|_or_retry)?|truncate_inode_pages(?:_range|_final)?|find_(?:lock|get)_entries"
)
# The dentry and inode reference helpers around dput and iput: fs/dcache.c fast_dput (dput's lockless drop), fs/inode.c
# iput_final (the last iput evicts the inode) and ihold (WARN_ON when the caller holds no reference).
_VFS_REF_SINCE_V4 = r"fast_dput|iput_final|ihold"
# Irq-flag tracing of softirqs before 5.9 (kernel/locking/lockdep.c trace_softirqs_on / trace_softirqs_off, renamed
# lockdep_softirqs_on / _off): local_bh_enable's bookkeeping, like trace_hardirqs_on.
_SOFTIRQ_TRACE_SINCE_V4 = r"trace_softirqs_o(?:n|ff)"
# arm64's MTE tag-check fault path (arch/arm64/mm/fault.c do_tag_check_fault -> __do_kernel_fault -> do_tag_recovery
# -> report_tag_fault -> kasan_report): the exception entry that reports the faulting access of KASAN_HW_TAGS.
_MTE_REPORT_SINCE_V4 = r"do_tag_recovery|report_tag_fault"
# lockdep's entry points that re-validate the held locks for their caller (kernel/locking/lockdep.c lock_set_class /
# __lock_set_class, lock_downgrade / __lock_downgrade, lock_sync, and reacquire_held_locks under them and __lock_release),
# and the tracepoints lock_acquire / lock_release call (include/trace/events/lock.h: trace_lock_acquire, trace_lock_release,
# trace_lock_contended, trace_lock_acquired, out of line where the compiler did not inline them).
_LOCKDEP_SINCE_V4 = r"reacquire_held_locks|_{0,2}lock_(?:set_class|downgrade|sync)|trace_lock_(?:acquired?|release|contended)"
# kmemleak's scanner (mm/kmemleak.c): the kmemleak thread's kmemleak_scan_thread -> kmemleak_scan, and the debugfs
# file's kmemleak_write (`scan`, `clear`: kmemleak_scan, kmemleak_do_cleanup), kmemleak_open and kmemleak_seq_start /
# next / stop / show (reading the leaks found).  It walks every object by itself and loops there (a soft lockup in
# kmemleak_scan, a fault in scan_block below it): the code that ran, not a hook reporting for a caller.  Version 3
# skipped it with the hooks (UNSKIPPED_SINCE_V4).
_KMEMLEAK_SCANNER_SINCE_V4 = r"kmemleak_(?:scan|scan_thread|write|open|release|seq_(?:start|next|stop|show)|do_cleanup)"
# A subsystem's own uevent callback (struct bus_type / class / device_type `.uevent`: usb_udc_uevent, dmi_dev_uevent,
# pci_uevent), which drivers/base/core.c dev_uevent calls to add the device's variables: that subsystem's code, which
# takes its locks and reads its state, not the uevent plumbing (lib/kobject_uevent.c kobject_uevent_env, add_uevent_var,
# uevent_net_*, dev_uevent itself, drivers/base/core.c uevent_show / uevent_store), which stays skipped as syzkaller's
# list skips add_uevent_var.  Version 3 skipped every name holding `uevent` (UNSKIPPED_SINCE_V4).
_UEVENT_CALLBACK_SINCE_V4 = r"(?!dev_uevent$)(?!_{0,2}kobject_)[\w.]{1,120}_uevent"
# The sanitizers' runtimes under more underscores (mm/kasan/common.c ____kasan_slab_free / ____kasan_kmalloc of
# 5.12-6.7, the wrappers ___kasan_*): the same runtime as __kasan_slab_free.
_SANITIZER_RUNTIME_SINCE_V4 = r"_{3,6}(?:kasan|kfence|ubsan)\w{0,48}"
# KASAN's free-time check of a slab object (mm/kasan/common.c check_slab_allocation, 6.11+: __kasan_slab_pre_free and
# __kasan_mempool_poison_object call it, and it reports a double or invalid free through kasan_report_invalid_free):
# the runtime under a name without `kasan`, as ____kasan_slab_free was before it.
_KASAN_CHECK_SINCE_V4 = r"check_slab_allocation"
SKIP_REPORTING = (
    # sanitizer and coverage runtimes
    r"(?:^(?:__)?(?:kasan|kfence|ubsan)|^_*asan_|^__msan|kmsan|hwasan|^kcsan_setup_watchpoint|^check_memory_region|"
    r"^__sanitizer_|^write_comp_data|^__tsan|^(?:" + _SANITIZER_RUNTIME_SINCE_V4 + r"|" + _KASAN_CHECK_SINCE_V4 + r")$)",
    # stack and register dumpers
    r"^_*(?:dump_stack|show_stack|dump_backtrace|dump_trace|show_trace|walk_stack|arch_stack_walk|stack_trace_|save_stack|show_regs|hex_dump|"
    r"unwind_(?:next_frame|backtrace)|read_once_word)",
    # report printers (print_address_description, print_usage_bug, print_tainted, get_taint, ...),
    # mm/page_alloc.c warn_alloc, which reports an allocation failure for the caller that asked, and SLUB's
    # object printers, which KASAN of 4.0-4.5 called too (_SLUB_REPORT_SINCE_V4)
    r"^(?:print_|get_taint$|warn_alloc$|(?:" + _SLUB_REPORT_SINCE_V4 + r")$)",
    # WARN()/BUG() machinery
    r"^(?:__warn|warn_slowpath|warn_on_slowpath$|warn_bogus|report_bug|fixup_bug|handle_bug|__bug_on|bug_handler|call_break_hook|brk_handler|"
    + _ARM_BUG_SINCE_V4 + r"$)",
    # trap and exception entry (x86, powerpc), and the oops path itself
    r"^(?:do_trap|do_error|do_invalid_op|invalid_op|exc_|asm_exc_|program_check|do_general_protection|"
    r"general_protection|do_divide_error|divide_error|do_undefinstr|__und_svc|die$|__die|oops_|die_kernel_fault|"
    r"_*crash_kexec|machine_kexec)",
    # page-fault handling that ends in an oops
    r"^(?:no_context|page_fault_oops|kernelmode_fixup_or_oops|_*do_kernel_fault|_*do_page_fault|handle_page_fault|"
    r"page_fault$|do_user_addr_fault|_*bad_area|do_bad_area|__do_user_fault)",
    # arm/arm64 exception entry
    r"^(?:do_translation_fault|do_mem_abort|el1_abort|el1_da|el1h_64_sync|el1_sync|el1h_64_error|el1_error|do_sea|"
    r"arm64_serror_panic|do_serror|"
    r"arm64_notify_die|__arm64_notify|do_debug_exception|el1_dbg|do_alignment|do_DataAbort|do_PrefetchAbort|__dabt_svc|"
    r"do_tag_check_fault|do_el1_)",
    # arm64's MTE tag-fault reporting (_MTE_REPORT_SINCE_V4)
    r"^(?:" + _MTE_REPORT_SINCE_V4 + r")$",
    # sleep-in-atomic checks
    r"^_*might_(?:sleep|fault|resched)",
    # hardening checks that report someone else's overflow
    r"^_*(?:fortify_|stack_chk_fail|stack_protector|refcount_warn_saturate|refcount_error_report)",
    # printk
    r"^_*v?printk",
    # panic() and the kernel's own panic helpers (nmi_panic, __reiserfs_panic, check_panic_on_warn, mm/oom_kill.c
    # check_panic_on_oom, ...), not a driver function that merely ends in `_panic`; Rust's panic path (rust/kernel/lib.rs panic handler ->
    # BUG()) and the `core` library's panicking, unwrap-failure and formatting code that reports for its caller;
    # kernel/panic.c add_taint, which panics when panic_on_taint names the taint its caller reported
    r"(?:^_*v?panic$|^__\w+_panic$|^nmi_panic|^panic_|panic_on_warn|^check_panic_on_oom$|^add_taint$|^rust_helper_BUG$|^rust_begin_unwind$|"
    r"^__rustc::|^core::|^<&?core::|^<[^<>]{1,200} as core::fmt::)",
    # lockdep internals
    r"^(?:lockdep_|debug_lockdep|_*lock_acquire|_*lock_release|lock_(?:acquired|contended)$|mark_lock|mark_irqflags|mark_usage|valid_state$|"
    r"mark_held_locks|debug_check_no_|check_noncircular|check_prevs?_add|validate_chain|register_lock_class|"
    r"look_up_lock_class|hlock_class|lockdep_)",
    r"^(?:" + _LOCKDEP_SINCE_V4 + r")$",
    # debugobjects
    r"(?:^_*debug_(?:object|print_object)|_is_static_object$)",
    # DMA-API debugging (kernel/dma/debug.c): the checkers WARN about the driver's call
    r"^(?:(?:" + "|".join(DMA_DEBUG_SITES) + r")$|debug_dma_)",
    # NMI backtrace of all CPUs
    r"^(?:nmi_cpu_backtrace|nmi_trigger_cpumask_backtrace|arch_trigger_cpumask_backtrace)",
    # preemption debugging
    r"^(?:check_preemption_disabled|debug_smp_processor_id)",
    # fault injection, and kmemleak's hooks that slab, vmalloc and drivers call on an object's behalf (kmemleak_alloc,
    # kmemleak_free, kmemleak_ignore, ...), not its scanner (_KMEMLEAK_SCANNER_SINCE_V4)
    r"^(?:should_fail|(?!(?:" + _KMEMLEAK_SCANNER_SINCE_V4 + r")$)kmemleak)",
    # tracepoints and irq-flag tracing
    r"^(?:trace_hardirqs|perf_trace|__traceiter|__bpf_trace)",
    r"^(?:" + _SOFTIRQ_TRACE_SINCE_V4 + r")$",
)
# The SLAB allocator's internals (mm/slab.c, the allocator of RHEL 5-6 and many 2.6-4.x kernels):
# kmem_cache_alloc -> __cache_alloc -> ____cache_alloc -> cache_alloc_refill -> cache_grow -> kmem_getpages ->
# the page allocator, and the free side's cache_flusharray -> free_block -> kmem_freepages.
_SLAB_SINCE_V4 = (
    r"_{0,4}cache_alloc(?:_node|_refill)?|cache_grow(?:_begin|_end)?|kmem_(?:get|free)pages|fallback_alloc|"
    r"alloc_slabmgmt|cache_flusharray|free_block|cache_alloc_debugcheck_(?:before|after)"
)
# The slab free path's lookup of an object's cache (mm/slab.h cache_from_obj, 3.x-6.x; virt_to_cache, 3.x-6.x, mm/slab.c
# before 3.x): `WARN_ONCE(..., "%s: Wrong slab cache. %s but object is from %s\n", ...)` and `WARN_ONCE(...,
# "%s: Object is not a Slab page!\n", __func__)` check the caller's object; inlined into kmem_cache_free / kfree
# where the build inlines it (syzkaller titles such a WARN by the caller of kfree), out of line elsewhere (Debian's
# 6.1 amd64 build): the caller of the free is the culprit either way.  7.x moved the report out of line into mm/slub.c
# warn_free_bad_obj (`kmem_cache_free(%s, %p): object belongs to different cache %s`, below kmem_cache_free: the lab's
# sid-7.2-arm64 SLAB_FREE_CROSS and SLAB_FREE_PAGE runs, `WARNING: mm/slub.c:6500 at warn_free_bad_obj+0xe0/0x108`).
_SLAB_CACHE_LOOKUP_SINCE_V4 = r"cache_from_obj|virt_to_cache|warn_free_bad_obj"
# The x86 rwsem slow-path thunks of 2.6-5.x (arch/x86/lib/rwsem.S call_rwsem_down_read_failed /
# call_rwsem_down_write_failed: save the registers and call rwsem_down_*_failed for down_read/down_write).
_RWSEM_THUNK_SINCE_V4 = r"call_rwsem_down_(?:read|write)_failed(?:_killable)?"
# The socket buffer's free path frees the skb, its head and its fragment pages for the caller (net/core/skbuff.c
# skb_free_head -> skb_free_frag / page_frag_free, skb_release_data, skb_release_all, __kfree_skb, consume_skb, kfree_skb
# and its _reason form, napi_consume_skb, skb_attempt_defer_free, and net/core/dev.c __dev_kfree_skb_any /
# __dev_kfree_skb_irq): a bad page it frees is the caller's (signatures._BAD_PAGE_SKIP).
SKB_FREE = (
    r"skb_free_head|skb_free_frag|skb_release_data|skb_release_all|__kfree_skb|consume_skb|kfree_skb\w{0,16}|"
    r"napi_consume_skb|skb_attempt_defer_free|__dev_kfree_skb_(?:any|irq)|dev_kfree_skb_(?:any|irq)"
)
# Its entry points, what code calls to free an skb (consume_skb, napi_consume_skb, skb_attempt_defer_free,
# dev_kfree_skb_any / _irq and their __ forms; kfree_skb and __kfree_skb are frees already): as with kfree, a report
# raised inside them (a WARN of the softirq core's local_bh_enable when the caller freed with interrupts off) is the
# caller's.  A fault inside the release internals (skb_release_data on a corrupted skb) stays where it is.
_SKB_FREE_API_SINCE_V4 = r"consume_skb|napi_consume_skb|skb_attempt_defer_free|_{0,2}dev_kfree_skb_(?:any|irq)"
SKIP_ALLOCATOR = (
    # kmalloc and slab caches
    r"(?:kmalloc|kzalloc|kvmalloc|kcalloc|krealloc|kmem_cache|^__kmem)",
    # frees
    r"^(?:kv?free|__kfree_skb)",
    # slab internals
    r"^(?:_{0,3}slab_|slub_|alloc_slab|new_slab|allocate_slab|setup_object|do_slab_free|_*set_freepointer|"
    r"_{2,3}cache_free|cache_free_debugcheck|free_debug_processing|__free_slab|discard_slab|free_to_partial_list|"
    r"(?:" + _SLAB_SINCE_V4 + r"|" + _SLAB_CACHE_LOOKUP_SINCE_V4 + r")$)",
    # page allocator
    r"^(?:_*alloc_pages|alloc_page|__get_free_pages|get_zeroed_page|page_alloc|_*free_pages|free_page|_*folio_alloc|"
    r"__free_one_page|free_unref_page|free_pcp|free_pages_prepare|__free_pages_ok|page_frag_alloc|__alloc_frozen_pages)",
    # the page allocator's own path below alloc_pages (_PAGE_ALLOC_SINCE_V4)
    r"^(?:" + _PAGE_ALLOC_SINCE_V4 + r")$",
    # vmalloc
    r"^(?:_*vmalloc|vfree|vzalloc|__kvmalloc|kvrealloc)",
    # the bio's free side (_BIO_FREE_SINCE_V4)
    r"^(?:" + _BIO_FREE_SINCE_V4 + r")$",
    # the socket buffer's free entry points (_SKB_FREE_API_SINCE_V4)
    r"^(?:" + _SKB_FREE_API_SINCE_V4 + r")$",
    # vmalloc's internals (_VMALLOC_SINCE_V4)
    r"^(?:" + _VMALLOC_SINCE_V4 + r")$",
    # duplicating helpers (mm/util.c: allocate and copy on the caller's behalf)
    r"^(?:kmemdup|kstrn?dup|memdup_user|vmemdup_user|strndup_user)",
    # off-stack cpumask allocation (_CPUMASK_ALLOC_SINCE_V4)
    r"^(?:" + _CPUMASK_ALLOC_SINCE_V4 + r")$",
    # page-cache lookups
    r"^(?:pagecache_get_page|_*filemap_get_folio(?!s)|filemap_alloc_folio|read_cache_page|do_read_cache|folio_unlock|"
    r"unlock_page|_*set_page_owner|_*reset_page_owner)",
    # xarray, IDR and IDA walkers
    r"^(?:xas_|xa_|ida_|idr_)",
    # page-cache find, create, lock and truncate helpers (_PAGECACHE_SINCE_V4)
    r"^(?:" + _PAGECACHE_SINCE_V4 + r")$",
    # dentry and inode puts, and their reference helpers (_VFS_REF_SINCE_V4)
    r"^(?:dput|iput)$",
    r"^(?:" + _VFS_REF_SINCE_V4 + r")$",
    # mempools, per-cpu chunks and the per-cpu allocator (mm/percpu.c)
    r"^(?:mempool_|pcpu_|_*alloc_percpu|free_percpu$)",
    # the DMA API's allocation, mapping and sync entry points (include/linux/dma-mapping.h), which call the
    # DMA-API debug checkers on the driver's behalf
    r"^(?:dma_(?:alloc|free)_(?:coherent|attrs|noncoherent)$|dma_(?:map|unmap)_(?:single|sg|page)|dma_pool_(?:alloc|free)$)",
    r"^(?:" + _DMA_SYNC_SINCE_V4 + r")$",
)
# A subsystem's own lock function (fs/btrfs/locking.c btrfs_tree_read_lock): it takes the kernel's lock
# for its callers, so a frame to skip past, but the code that takes the lock when a CPU spins in it.
LOCK_WRAPPER_RULE = r"_(?:read|write)_lock$"
SKIP_LOCKING = (
    # the spinlock and rwlock API of 2.6.x (_LOCK_26_SINCE_V4)
    r"^(?:" + _LOCK_26_SINCE_V4 + r")",
    # spinlocks, and PREEMPT_RT's sleeping spinlocks and rwlocks (kernel/locking/spinlock_rt.c rt_spin_lock ...)
    r"^(?:_raw_spin|raw_spin|spin_(?:lock|unlock|trylock|is_locked)|do_raw_spin|__raw_spin|queued?_spin|_*pv_queued|"
    r"rt_(?:spin|read|write)_(?:lock|unlock|trylock))",
    # their PREEMPT_RT implementation's inner entry points (_RT_LOCK_SINCE_V4)
    r"^(?:" + _RT_LOCK_SINCE_V4 + r")$",
    # rwlocks
    r"^(?:_raw_read|_raw_write|queued?_read|queued?_write|do_raw_read|do_raw_write|read_lock|write_lock|"
    r"read_unlock|write_unlock)",
    # subsystems' own `*_read_lock`/`*_write_lock` wrappers (kept apart: skipped_but_lock_wrappers)
    LOCK_WRAPPER_RULE,
    # mutexes
    r"(?:^(?:_*mutex_|_*ww_mutex|rtlock|osq_)|rt_mutex)",
    # semaphores and rwsems
    r"^(?:down_read|down_write|down$|down_(?:interruptible|killable|timeout|trylock)|__down|up_read|up_write|up$|"
    r"_*rwsem_|_*percpu_down|percpu_up|" + _RWSEM_THUNK_SINCE_V4 + r"$)",
    # atomics and bit operations
    r"^(?:atomic_|arch_atomic|raw_atomic|__atomic|test_and_|_*set_bit|_*clear_bit|_atomic_dec_and_lock)",
    # 64-bit atomics of lib/atomic64.c and arch/x86/lib (_ATOMIC64_SINCE_V4), the other bit operations
    # (_BITOPS_SINCE_V4) and the spinning helper of sleeping locks (_OWNER_SPIN_SINCE_V4)
    r"^(?:" + _ATOMIC64_SINCE_V4 + "|" + _BITOPS_SINCE_V4 + "|" + _OWNER_SPIN_SINCE_V4 + r")$",
    # reference counts, per-cpu counters (lib/percpu_counter.c takes its own lock for the caller) and the
    # reference tracker (lib/ref_tracker.c checks and reports its user's get/put pairs)
    r"^(?:_*refcount_|kref_|_*percpu_counter_|ref_tracker_)",
    # completions and wake-ups
    r"^(?:complete(?:_all|_on_|_and_exit)?$|wait_for_completion|_*wait_for_common|do_wait_for_common|__wake_up)",
    # wait-queue and wait-on-bit primitives
    r"^(?:bit_wait|out_of_line_wait|_*wait_on_bit|finish_wait|prepare_to_wait)",
    # bottom-half disabling, and PREEMPT_RT's local locks (_LOCAL_LOCK_SINCE_V4)
    r"^_*local_bh",
    r"^(?:" + _LOCAL_LOCK_SINCE_V4 + r")$",
    # the socket lock (_SOCK_LOCK_SINCE_V4)
    r"^(?:" + _SOCK_LOCK_SINCE_V4 + r")$",
    # seqlocks
    r"^(?:seqcount|write_seqcount|read_seqcount|__seqprop)",
    # RCU read-side locks
    r"^(?:rcu_lock_|rcu_read_(?:un)?lock|__rcu_read)",
)
# MMIO and port I/O accessors: a CPU stuck in one is polling a device for its caller.
DEVICE_ACCESSOR_RULE = r"^(?:read[bwlq]$|write[bwlq]$|__raw_read|__raw_write|io(?:read|write)\d|(?:logic_)?(?:in|out)[bwl]$)"
DEVICE_ACCESSOR = re.compile(DEVICE_ACCESSOR_RULE)
# Skip rules fingerprint version 4 added to version 3's lists: a frame only they skip was version 3's
# culprit, whose key culprit._first_culprit keeps (`Culprit.earlier`).
# fs/seq_file.c's printers format or copy their caller's arguments into the seq_file buffer (seq_printf -> seq_vprintf ->
# vsnprintf, seq_puts and seq_write copy the caller's string or bytes, seq_escape_mem escapes them): a bad argument
# faults below them, the show() function that passed it is the culprit.
_VSPRINTF_SINCE_V4 = r"string_nocheck|check_pointer(?:_msg)?|error_string|seq_v?printf|seq_puts|seq_write|seq_escape(?:_mem|_str)?"
# lib/kasprintf.c kasprintf / kvasprintf format into memory they allocate for the caller, drivers/base/devres.c
# devm_kasprintf / devm_kvasprintf likewise for a driver; lib/devres.c __devm_ioremap_resource maps a resource the
# driver passed (and names the region with devm_kasprintf from it).
_DEVRES_SINCE_V4 = r"(?:devm_)?kv?asprintf|_*devm_(?:platform_)?ioremap(?:_resource)?(?:_wc)?"
# The integer helpers of include/linux/log2.h (`__roundup_pow_of_two(n)`: `1UL << fls_long(n - 1)`), bitops.h and
# math64.h compute on their caller's value: a shift or a divide they trip on (UBSAN: shift-out-of-bounds in
# ./include/linux/log2.h, a divide error) is the caller's; the compiler may emit them out of line.
_ARITHMETIC_SINCE_V4 = (
    r"_*ilog2(?:_u32|_u64)?|_*(?:roundup|rounddown)_pow_of_two|_*order_base_2|is_power_of_2|bits_per|"
    r"_*fls(?:64|_long)?|_*ffs(?:64)?|ffz|ro[lr](?:8|16|32|64)|_*(?:sw_)?hweight(?:8|16|32|64|_long)|"
    r"sign_extend(?:32|64)|get_count_order(?:_long)?|div(?:64)?_[us]64(?:_rem)?|mul_u64_u32_shr"
)
# lib/string.c strnstr and strnchrnul, string searches the other str* helpers' rule did not name.
_STRING_SINCE_V4 = r"strnstr|strnchrnul"
# The address-conversion checks of CONFIG_DEBUG_VIRTUAL: arch/x86/mm/physaddr.c __phys_addr / __phys_addr_symbol and
# arm64's arch/arm64/mm/physaddr.c __virt_to_phys / __phys_addr_symbol BUG (VIRTUAL_BUG_ON) on the address their
# caller passed to __pa() or virt_to_page().
_PHYS_ADDR_SINCE_V4 = r"__phys_addr(?:_symbol)?|__virt_to_phys"
# kernel/workqueue.c's queue, flush and cancel API past what version 3 skipped (__flush_workqueue, __flush_work,
# flush_work, the cancel and queue calls): insert_work links a work item onto its pool for __queue_work (and
# insert_wq_barrier a flush barrier for __flush_work), so ODEBUG or list debugging that fires there checks the
# caller's work item; flush_workqueue is the name __flush_workqueue had as a function until 5.17 made it a macro
# over it; start_flush_work is __flush_work's first half (it queues the barrier, and might_sleep()s for it),
# flush_delayed_work, flush_rcu_work and flush_scheduled_work (before 6.x a function over flush_workqueue) and 3.x's
# flush_work_sync flush the work their caller hands them; work_grab_pending is try_to_grab_pending's 6.10 name.
_WORKQUEUE_SINCE_V4 = (
    r"insert_work|insert_wq_barrier|flush_workqueue|start_flush_work|flush_delayed_work|flush_rcu_work|"
    r"flush_scheduled_work|flush_work_sync|work_grab_pending"
)
# drivers/usb/core/urb.c usb_kill_anchored_urbs / usb_poison_anchored_urbs / usb_unlink_anchored_urbs (usb_kill_urb
# for every URB of the driver's anchor), usb_poison_urb and usb_unlink_urb, and drivers/usb/core/hcd.c
# usb_hcd_submit_urb / usb_hcd_unlink_urb, the hand-off of usb_submit_urb / usb_unlink_urb to the host controller.
_USB_URB_SINCE_V4 = r"usb_(?:kill|poison|unlink)_anchored_urbs|usb_(?:poison|unlink)_urb|usb_hcd_(?:submit|unlink)_urb"
# A device class's unregistration that hands its device to the device core's teardown (device_unregister, device_del,
# skipped already): drivers/tty/tty_io.c tty_unregister_device, drivers/char/hw_random/core.c hwrng_unregister,
# drivers/i2c/i2c-core-base.c i2c_del_adapter and the __unregister_client it runs on each client through
# drivers/base/core.c device_for_each_child.  A use-after-free found there is the disconnecting driver's, which
# freed what it registered too early (syzkaller's reports 422 and 424, USB disconnects: `hso_probe`,
# `chaoskey_disconnect`).  And the device core's creation wrappers over device_add (skipped already): drivers/base/
# core.c device_create, device_create_with_groups and device_create_groups_vargs allocate, name and add a device for
# their caller.
_DEVICE_UNREGISTER_SINCE_V4 = (
    r"tty_unregister_device|hwrng_unregister|i2c_del_adapter|__unregister_client|device_for_each_child|"
    r"device_create(?:_with_groups|_groups_vargs)?"
)
# Checks that report on what their caller hands them: include/linux/seqlock.h seqprop_assert (the seqcount
# writer's preemption assertion), btrfs's assertion reporter (fs/btrfs/ctree.h assertfail, fs/btrfs/messages.c
# btrfs_assertfail since 6.2: `assertion failed: %s, in %s:%d`, then BUG()) and XFS's (fs/xfs/xfs_message.c assfail:
# `Assertion failed: %s, file: %s, line: %d`, then BUG() when bug_on_assert is set, else WARN() as asswarn does,
# for the ASSERT() of its caller), SLUB's object check (mm/slub.c
# check_object) on the caller's object, and the dummy USB host controller's enqueue
# (drivers/usb/gadget/udc/dummy_hcd.c dummy_urb_enqueue, the host-controller end of usb_hcd_submit_urb, which the
# URB family skips).
# btrfs's assertion reporters (the BUG's title names them, as syzkaller's does: signatures.ASSERT_REPORTER_BUGS, fingerprint.SITE_TITLES).
ASSERT_REPORTER_SITES = ("btrfs_assertfail", "assertfail")
_CALLER_CHECK_SINCE_V4 = "|".join(("seqprop_assert", *ASSERT_REPORTER_SITES, r"ass(?:fail|warn)", "check_object", "dummy_urb_enqueue"))
# lib/plist.c, the priority-sorted list (plist_add / plist_del / plist_requeue and CONFIG_DEBUG_PLIST's plist_check_*):
# a list library like list.h's, whose list_add / list_del checks (lib/list_debug.c) fire on the caller's list.
_PLIST_SINCE_V4 = r"plist_[a-z_]{1,32}"
# lib/ratelimit.c ___ratelimit (the __ratelimit macro's function; __ratelimit itself before 4.x) takes the lock of the
# ratelimit_state its caller passes: lockdep's report on that lock (an uninitialised one: `trying to register
# non-static key`) is the caller's.
_RATELIMIT_SINCE_V4 = r"_{2,3}ratelimit"
# The entry code of the other architectures, skipped like x86_64's (SKIP_ENTRY): where a kernel thread starts
# (ret_from_fork and its asm trampoline, powerpc's ret_from_kernel_thread, arm32's kernel_thread_helper of 2.6),
# and where a syscall or an exception from user space comes in: arm64 arch/arm64/kernel/entry.S el0t_64_sync (el0_sync
# before 5.12) -> entry-common.c el0t_64_sync_handler -> el0_svc -> syscall.c do_el0_svc -> el0_svc_common ->
# invoke_syscall; arm32 entry-common.S vector_swi / ret_fast_syscall / __sys_trace; powerpc entry_64.S
# system_call_common -> interrupt.c system_call_exception, ret_from_syscall; x86's 32-bit entry_INT80_32 /
# entry_SYSENTER_32 -> do_int80_syscall_32 / do_fast_syscall_32; s390 __do_syscall.  None is a bug's own code: a
# report whose frames above them were all skipped (or cut by a quote's `...`) is no bug of the entry code.  The way
# back to user space is not among them: kernel/entry/common.c exit_to_user_mode_prepare schedules there, and a
# preemption count leaked by a syscall is reported as `scheduling while atomic` in it (syzkaller's reports 642, 645).
_ENTRY_SINCE_V4 = (
    r"ret_from_fork(?:_asm)?|ret_from_kernel_thread|kernel_thread_helper|"
    r"el0t_(?:64|32)_sync(?:_handler)?|el0_sync(?:_compat)?(?:_handler)?|el0_svc(?:_common|_handler|_compat)?|"
    r"do_el0_svc(?:_compat)?|_{0,2}invoke_syscall|vector_swi|ret_fast_syscall|__sys_trace(?:_return)?|"
    r"system_call_common|system_call_vectored_common|system_call_exception|ret_from_syscall|"
    r"entry_INT80_(?:32|compat)|entry_SYSENTER_(?:32|compat)|do_int80_syscall_32|_{0,2}do_fast_syscall_32|__do_syscall"
)
SKIPPED_SINCE_V4 = re.compile(
    rf"^(?:{_VSPRINTF_SINCE_V4}|{_DEVRES_SINCE_V4}|{_ARITHMETIC_SINCE_V4}|{_RWSEM_THUNK_SINCE_V4}|{_SLAB_SINCE_V4}|{_SLAB_CACHE_LOOKUP_SINCE_V4}|{_SLUB_REPORT_SINCE_V4}|{_ARM_BUG_SINCE_V4}|{_LOCK_26_SINCE_V4}|"
    rf"{_RT_LOCK_SINCE_V4}|{_PAGE_ALLOC_SINCE_V4}|{_CPUMASK_ALLOC_SINCE_V4}|{_VMALLOC_SINCE_V4}|{_LOCAL_LOCK_SINCE_V4}|"
    rf"{_SOCK_LOCK_SINCE_V4}|{_BIO_FREE_SINCE_V4}|{_ATOMIC64_SINCE_V4}|{_BITOPS_SINCE_V4}|{_OWNER_SPIN_SINCE_V4}|"
    rf"{_USER_ITER_SINCE_V4}|{_PAGECACHE_SINCE_V4}|{_VFS_REF_SINCE_V4}|{_SOFTIRQ_TRACE_SINCE_V4}|{_MTE_REPORT_SINCE_V4}|"
    rf"{_STRING_SINCE_V4}|{_PHYS_ADDR_SINCE_V4}|{_WORKQUEUE_SINCE_V4}|{_USB_URB_SINCE_V4}|{_DEVICE_UNREGISTER_SINCE_V4}|{_CALLER_CHECK_SINCE_V4}|{_DMA_SYNC_SINCE_V4}|{_PLIST_SINCE_V4}|{_RATELIMIT_SINCE_V4}|{_ENTRY_SINCE_V4}|"
    rf"{_LOCKDEP_SINCE_V4}|{_SANITIZER_RUNTIME_SINCE_V4}|{_KASAN_CHECK_SINCE_V4}|{_SKB_FREE_API_SINCE_V4})$"
)
# Frames version 3 skipped that version 4 reads as a culprit (the opposite of SKIPPED_SINCE_V4): where one is chosen,
# version 3's key names the next frame it did not skip (culprit._first_culprit, and the *_V3 stall and hang lists).
UNSKIPPED_SINCE_V4_RULES = (rf"^(?:{_KMEMLEAK_SCANNER_SINCE_V4}|{_UEVENT_CALLBACK_SINCE_V4})$",)
UNSKIPPED_SINCE_V4 = re.compile(UNSKIPPED_SINCE_V4_RULES[0])
SKIP_HELPERS = (
    # memory and string functions, MMIO and port I/O accessors: primitive data access; arm64 names its string routines
    # by their position-independent alias (arch/arm64/lib/memcpy.S `SYM_FUNC_START(__pi_memcpy_generic)`, strnlen.S
    # `__pi_strnlen`; 6.x-7.x arm64 traces: `pc : __pi_memcpy_generic+0x128/0x230`)
    r"(?:^(?:__pi_)?_*mem(?:cpy|move|set|cmp|chr|scan|dup)|^(?:__pi_)?__str|^__pi_str|"
    r"^str(?:cpy|ncpy|lcpy|scpy|cmp|ncmp|len|nlen|cat|ncat|chr|rchr|str|dup|sep|lcat|casecmp|ncasecmp|spn|cspn|pbrk)\b|"
    r"^(?:sized_strscpy|strscpy_pad|strnchr|strchrnul|strim|strreplace|skip_spaces)$|"
    r"^read_word_at_a_time|" + DEVICE_ACCESSOR_RULE + ")",
    # string searches (_STRING_SINCE_V4)
    r"^(?:" + _STRING_SINCE_V4 + r")$",
    # address-conversion checks on the caller's address (_PHYS_ADDR_SINCE_V4)
    r"^(?:" + _PHYS_ADDR_SINCE_V4 + r")$",
    # formatting: vsnprintf and the lib/vsprintf.c helpers it formats one argument with (`%s` goes through
    # string -> string_nocheck since 5.2, check_pointer vets the pointer first); a bad argument faults there,
    # and the caller that passed it is the culprit
    r"^(?:v?sc?n?printf|string$|pointer$|format_decode|hex_string|number$|widen_string|special_hex_number|va_format|"
    r"(?:" + _VSPRINTF_SINCE_V4 + r")$)",
    # allocating formatters and device-managed mapping (_DEVRES_SINCE_V4): the driver passed what they fault on
    r"^(?:" + _DEVRES_SINCE_V4 + r")$",
    # integer arithmetic helpers of include/linux/log2.h, bitops.h and math64.h (_ARITHMETIC_SINCE_V4)
    r"^(?:" + _ARITHMETIC_SINCE_V4 + r")$",
    # user-memory and iterator copies
    r"(?:^(?:_*copy_(?:to|from)_(?:user|iter)|__copy_(?:to|from|tofrom|in|user|msghdr)|copy_user|raw_copy|copy_page_(?:to|from)_iter|_*(?:get|put)_user|"
    r"strncpy_from_user|check_copy_size|_*check_object_size|_*check_heap_object|_*usercopy_)|copy_(?:to|from)_user$|"
    r"^(?:" + _USER_ITER_SINCE_V4 + r")$)",  # and the iterator copies below them (_USER_ITER_SINCE_V4)
    # trees, lists and lookups
    r"^(?:rb_(?:insert|erase|next|prev|first|last|replace)|__rb_|__list_|list_|__hlist_|hlist_|rhashtable_lookup|"
    r"sort$|bsearch$)",
    r"^(?:" + _PLIST_SINCE_V4 + r")$",  # the priority-sorted list library (_PLIST_SINCE_V4)
    r"^(?:" + _RATELIMIT_SINCE_V4 + r")$",  # the rate limiter's check on its caller's state (_RATELIMIT_SINCE_V4)
    # checksums
    r"^_*crc",
    # device printk
    r"^(?:_?dev_(?:err|warn|info|notice|printk|emerg|crit|alert|dbg)$|__dev_printk|dev_v?printk_emit|"
    r"netdev_(?:err|warn|info|printk)$)",
    # skb helpers that BUG on their caller's bad length
    r"^skb_(?:put|push|pull|over_panic|under_panic|panic)$",
)


@dataclass(frozen=True)
class LazyPattern:
    """A walk's list compiled at its first use, not at import: the stall, hang and lock lists below are read
    for few reports, and compiling them cost milliseconds of every start-up.  (kcrashd.core.triage.prepare
    compiles them before workers fork; tests/core/regex_shape.py reads `compiled`.)"""

    pattern: str

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def match(self, text: str) -> re.Match[str] | None:
        return self.compiled.match(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)


# A compiled list, or one compiled at its first use.
Matcher: TypeAlias = "re.Pattern[str] | LazyPattern"

# The lock primitives alone: a CPU stuck in one of them waits for the lock its caller takes.
_LOCK_PRIMITIVES = "|".join(SKIP_LOCKING)
LOCK_PRIMITIVE = LazyPattern(_LOCK_PRIMITIVES)
# x86's name for the queued spinlock's slow path on a kernel built with PARAVIRT_SPINLOCKS (every distribution build:
# arch/x86/include/asm/qspinlock.h `#define queued_spin_lock_slowpath native_queued_spin_lock_slowpath`, the
# paravirt ops pointing at it on bare metal), what `queued_spin_lock_slowpath` is on other builds.  Not skipped in
# a fault's walk (syzkaller titles a KASAN report in it by it), but a stall's PC in it spins on the lock its caller
# takes, as in the slow path's other names (culprit._stalled_at_pc).
_NATIVE_SPIN_SLOWPATH_SINCE_V4 = r"native_queued_spin_lock_slowpath"
NATIVE_SPIN_SLOWPATH = re.compile(rf"^(?:{_NATIVE_SPIN_SLOWPATH_SINCE_V4})$")
# What a stall's PC spins in: the lock primitives and that slow path.
SPINNING = LazyPattern(f"{_LOCK_PRIMITIVES}|{NATIVE_SPIN_SLOWPATH.pattern}")
SKIP_INFRA = (
    # workqueue flush, cancel, queue
    r"^(?:__flush_workqueue|drain_workqueue|destroy_workqueue|flush_work$|__flush_work|_*cancel_work|"
    r"cancel_delayed_work|_*queue_work|_*queue_delayed_work|mod_delayed_work|kthread_stop|try_to_grab_pending)",
    # the rest of the API and the work item's insertion under them (_WORKQUEUE_SINCE_V4)
    r"^(?:" + _WORKQUEUE_SINCE_V4 + r")$",
    # timers
    r"^(?:_*del_timer|_*try_to_del_timer|_*timer_delete|_*mod_timer|add_timer|hrtimer_cancel|hrtimer_try_to_cancel|"
    r"lock_timer_base|sk_stop_timer|sk_reset_timer)",
    # kobject, device core, sysfs and uevents
    r"(?:^(?:_*kobject_|kobj_|device_(?:add|del|destroy|release|unregister|register|create_file|remove_file)|"
    r"get_device_parent$|put_device$|"
    r"devres_|klist_|sysfs_)|uevent_|^dev_uevent$|^(?:" + _DEVICE_UNREGISTER_SINCE_V4 + r")$)",
    # checks on what the caller hands them
    r"^(?:" + _CALLER_CHECK_SINCE_V4 + r")$",
    # notifier chains call whatever registered
    r"notifier_call_chain",
    # network device unregistration
    r"^(?:unregister_netdev|rollback_registered)",
    # USB URB submission and kill helpers, and their anchored, poisoning and host-controller forms (_USB_URB_SINCE_V4)
    r"(?:^usb_(?:submit_urb|kill_urb|start_wait_urb|bulk_msg|control_msg|interrupt_msg)|^(?:" + _USB_URB_SINCE_V4 + r")$)",
    # SRCU teardown
    r"^_?cleanup_srcu_struct",
    # inode and buffer-head state helpers WARN when a filesystem hands them an inconsistent
    # object: the filesystem is the culprit.
    r"(?:_nlink$|^mark_buffer_dirty|^_*mark_inode_dirty)",
)
SKIP_ENTRY = (
    # retpoline thunks and syscall entry, and the entry stubs of 2.6-4.x x86 (arch/x86/kernel/entry_64.S
    # system_call_fastpath / tracesys / stub_*, entry_32.S sysenter_do_call / syscall_call, ia32entry.S)
    r"^(?:__x86_indirect_thunk|__x86_return_thunk|__indirect_thunk|entry_SYSCALL|do_syscall_|system_call(?:_fastpath)?$|"
    r"sysenter_(?:do_call|past_esp|after_call)$|syscall_call$|ia32_(?:sysenter_target|syscall|cstar_target)$|tracesys$|"
    r"int_ret_from_sys_call$|stub_(?:execve|clone|fork|vfork|rt_sigreturn|sigreturn|iopl)$)",
    # the other architectures' thread start and syscall entry (_ENTRY_SINCE_V4)
    r"^(?:" + _ENTRY_SINCE_V4 + r")$",
)
_SKIP_RULES = SKIP_REPORTING + SKIP_ALLOCATOR + SKIP_LOCKING + SKIP_HELPERS + SKIP_INFRA + SKIP_ENTRY
GLOBAL_SKIP = re.compile("|".join(_SKIP_RULES))
LOCK_WRAPPER = re.compile(LOCK_WRAPPER_RULE)

# Frames where a stall's walk down the stack stops; the culprit is the frame just above: generic
# dispatchers and highly multiplexed entry points.  One rule per family.
STALL_ANCHOR_RULES = (
    # syscall entry
    r"^(?:do_syscall_|__do_fast_syscall|do_fast_syscall|do_int80|_*invoke_syscall|el0_svc|entry_SYSCALL|"
    r"ret_fast_syscall|vector_swi|system_call|sysenter_dispatch)",
    # workqueues, kthreads, and threaded interrupt handlers (kernel/irq/manage.c irq_thread -> irq_thread_fn or,
    # forced by threadirqs and PREEMPT_RT, irq_forced_thread_fn -> the driver's handler)
    r"^(?:process_one_work|worker_thread|ret_from_fork|kthread$|irq_thread$|irq_thread_fn$|irq_forced_thread_fn$)",
    # softirq, timer and hrtimer runners
    r"^(?:__do_softirq|handle_softirqs|do_softirq|__irq_exit_rcu|irq_exit|run_ksoftirqd|call_timer_fn|__run_timers|"
    r"run_timer_softirq|expire_timers|__hrtimer_run_queues|hrtimer_interrupt|__run_hrtimer|tasklet_action)",
    # network receive softirq
    r"^(?:net_rx_action|_*napi_poll|_*netif_receive_skb|process_backlog)",
    # VFS read/write/ioctl multiplexers
    r"^(?:vfs_read$|vfs_write$|vfs_ioctl$|do_vfs_ioctl$|__vfs_write$|__vfs_read$|new_sync_read|new_sync_write|"
    r"vfs_readv|vfs_writev|do_iter_read|do_iter_write|ksys_ioctl|(?:__x64_|__ia32_|__arm64_|__se_|__do_|compat_|"
    r"SyS_|compat_SyS_)?sys_ioctl$|SyS_ioctl|compat_SyS_ioctl|__do_compat_sys_ioctl|compat_sys_ioctl)",
    # socket send, receive and options
    r"^(?:_*sock_sendmsg|sock_recvmsg|__sys_sendmsg|__sys_sendto|__sys_setsockopt$|sock_common_setsockopt$)",
    # open and mmap: the file system's own handler is above these
    r"^(?:do_sys_open|do_sys_openat2$|do_filp_open$|path_openat$|do_dentry_open$|vfs_open$|do_mmap$|mmap_region$|"
    r"vm_mmap_pgoff$)",
    # netlink dispatch
    r"^(?:netlink_rcv_skb|genl_rcv_msg|genl_family_rcv_msg|netlink_unicast|nfnetlink_rcv_msg|nfnetlink_rcv$|"
    r"rtnetlink_rcv_msg|__netlink_dump_start$|netlink_dump$|genl_rcv$)",
    # deferred work on return to user space, file release
    r"^(?:task_work_run|__fput$)",
    # cross-CPU calls (kept themselves), module init
    r"^(?:smp_call_function|do_one_initcall$|do_init_module$|load_module$)",
)
# Test harnesses that run a test case through a pointer: the case they call is the culprit, never the
# harness.  lib/kunit/test.c kunit_try_run_case calls `test_case->run_case(test)` (through
# kunit_run_case_internal, usually inlined into it) in the `kunit_try_catch` kthread that lib/kunit/try-catch.c
# kunit_generic_run_threadfn_adapter runs it in (kunit_try_catch_run, which starts that thread and waits for it,
# calls no test: it is no harness frame here); drivers/misc/lkdtm/core.c lkdtm_do_action calls `crashtype->func()`
# for the name written to debugfs (direct_entry, lkdtm's debugfs write handler, or lkdtm_debugfs_entry).
TEST_HARNESS_RULES = (
    r"^(?:kunit_try_run_case|kunit_run_case_internal|kunit_generic_run_threadfn_adapter)$",
    r"^(?:lkdtm_do_action|lkdtm_debugfs_entry|direct_entry)$",
)
TEST_HARNESS = re.compile("|".join(TEST_HARNESS_RULES))
# Anchors version 4 added: debugfs's proxies of a file's own operations, VFS plumbing like vfs_write
# (fs/debugfs/file.c FULL_PROXY_FUNC: full_proxy_write & co. call the file's `fops->write` under a
# removal guard), and the test harnesses.  culprit.find_culprit lists the key version 3 gave without them.
STALL_ANCHOR_RULES_SINCE_V4 = (
    r"^full_proxy_(?:read|write|unlocked_ioctl|poll|llseek)$",
    # kernel/workqueue.c process_scheduled_works, the loop of worker_thread and rescuer_thread that calls
    # process_one_work for each work item (2.6.36's concurrency-managed workqueues on): where the compiler inlined
    # process_one_work into it (arm64 and x86 6.x builds print it right below the work function), it is that
    # dispatcher, and the work function above it is the stall's culprit
    r"^process_scheduled_works$",
    *TEST_HARNESS_RULES,
    # the other callers of a file's own read_iter / write_iter / mmap / ioctl: fs/read_write.c vfs_iter_read /
    # vfs_iter_write (in-kernel users: loop, nfsd, overlayfs) and do_iter_readv_writev, include/linux/fs.h
    # call_read_iter / call_write_iter / call_mmap, block/ioctl.c blkdev_ioctl -> blkdev_driver_ioctl (the disk's
    # fops->ioctl)
    r"^(?:vfs_iter_(?:read|write)|call_(?:read|write)_iter|do_iter_readv_writev|call_mmap|blkdev_(?:driver_)?ioctl)$",
    # net/socket.c's calls of the protocol's proto_ops: release (__sock_release), mmap, ioctl (sock_do_ioctl under
    # sock_ioctl / compat_sock_ioctl), listen, accept, connect and socketpair (__sys_*, kernel_*), and
    # net/core/sock.c sk_common_release (sk_prot->destroy)
    r"^(?:_{0,2}sock_release|sock_mmap|sock_do_ioctl|sock_ioctl|compat_sock_ioctl|kernel_(?:setsockopt|listen|accept|connect)|"
    r"__sys_(?:listen|accept4?|connect|socketpair)(?:_file)?|sk_common_release)$",
    # kernel/smpboot.c smpboot_thread_fn runs a per-CPU thread's function (ksoftirqd, cpu stopper, cpuhp) like kthread;
    # the idle loop's entry (kernel/sched/idle.c cpu_startup_entry, arch smpboot start_secondary) runs do_idle;
    # kernel/softirq.c tasklet_hi_action runs HI_SOFTIRQ's tasklets like tasklet_action; the return to user space
    # (kernel/entry/common.c exit_to_user_mode_loop, 4.x-5.x arch/x86/entry/common.c exit_to_usermode_loop) runs task
    # work and delivers signals; x86's 3.x-4.x traced-syscall entry (arch/x86/kernel/entry_64.S tracesys_phase2)
    r"^(?:smpboot_thread_fn|cpu_startup_entry|start_secondary|tasklet_hi_action|exit_to_user_?mode_loop|tracesys_phase2)$",
)
# The plumbing that runs a kernel thread's or a work item's function through a pointer (kernel/workqueue.c
# worker_thread -> process_one_work calls `worker->current_func(work)`; kernel/kthread.c kthread calls
# `threadfn(data)`, entered from ret_from_fork): below it, the function it ran is the code that failed.
THREAD_PLUMBING = re.compile(r"^(?:process_one_work|worker_thread|kthread|ret_from_fork)$")
STALL_ANCHORS_V3 = LazyPattern("|".join(STALL_ANCHOR_RULES))
STALL_ANCHORS = LazyPattern("|".join((*STALL_ANCHOR_RULES, *STALL_ANCHOR_RULES_SINCE_V4)))
# The reporting machinery alone: a harness frame right below it reported by itself.
REPORTING = LazyPattern("|".join(SKIP_REPORTING))

# Page-fault entry inside a stall: the frames above it handled the fault, not the looping code.
FAULT_ENTRY_RULES = (
    r"^(?:_*handle_mm_fault|handle_pte_fault|_*do_fault$|do_read_fault|do_cow_fault|do_shared_fault|"
    r"do_user_addr_fault|exc_page_fault|asm_exc_page_fault|page_fault$|_*do_page_fault|do_mem_abort|el1_abort|el0_da|"
    r"do_translation_fault|do_DataAbort)",
)
FAULT_ENTRY = re.compile("|".join(FAULT_ENTRY_RULES))

# Frames of the stall detector and the timer interrupt that runs it.
STALL_EXTRA_SKIP_RULES = (
    # timer interrupt entry
    r"^(?:\w*apic_timer_interrupt|irq_exit|__irq_exit_rcu|hrtimer_interrupt|__hrtimer_run_queues|el1h_64_irq|"
    r"el1_interrupt|gic_handle_irq|handle_domain_irq|generic_handle_|__irq_svc)",
    # the RCU and watchdog detectors
    r"^(?:rcu_|print_cpu_stall|print_other_cpu_stall|check_cpu_stall|update_process_times|tick_|watchdog_timer_fn)",
    # the scheduler, when the stall preempted a task
    r"^(?:preempt_schedule|finish_task_switch|__schedule|schedule)",
)
# The soft-lockup detector's own reporting path of 2.6.x, added in version 4 (STALL_EXTRA_SKIP_V3 is the list without
# it): kernel/softlockup.c softlockup_tick, called on every tick by kernel/timer.c update_process_times /
# run_local_timers, prints `BUG: soft lockup` and dumps its own stack (dump_stack), which shows only the tick and
# the interrupt that ran it: kernel/irq/handle.c handle_IRQ_event (handle_irq_event_percpu since 2.6.38), the flow
# handlers of kernel/irq/chip.c (handle_edge_irq, handle_level_irq, ...), arch/x86 do_IRQ / common_interrupt and the
# i386 timer_interrupt.  They are the messenger: the looping code is not on that stack.
WATCHDOG_REPORTER = re.compile(r"^(?:softlockup_tick|watchdog_timer_fn)$")
STALL_EXTRA_SKIP_SINCE_V4_RULES = (
    r"^(?:softlockup_tick|run_local_timers|timer_interrupt|handle_IRQ_event|_*handle_irq_event(?:_percpu)?|"
    r"handle_(?:edge|level|fasteoi|simple|percpu|percpu_devid)_irq|do_IRQ|common_interrupt)$",
)
STALL_EXTRA_SKIP_V3 = LazyPattern("|".join((*STALL_EXTRA_SKIP_RULES, *UNSKIPPED_SINCE_V4_RULES)))
STALL_EXTRA_SKIP = LazyPattern("|".join((*STALL_EXTRA_SKIP_RULES, *STALL_EXTRA_SKIP_SINCE_V4_RULES)))

# The kernel's own sleeping and waiting primitives: a task that sleeps (or hangs) went through them,
# so the code that chose to sleep is the first frame outside them (a driver function whose name
# merely contains `wait` is not skipped).
SLEEP_RULES = (
    # the scheduler and sleeping
    r"^(?:_*schedule|schedule_timeout|schedule_preempt_disabled|io_schedule|context_switch|_*switch_to|"
    r"finish_task_switch|schedule_hrtimeout|do_nanosleep|hrtimer_nanosleep|freezable_schedule|__refrigerator|"
    r"__cond_resched|preempt_schedule|msleep|usleep_range|fsleep)",
    # completions, wait queues, and page, buffer and writeback waits
    r"^(?:wait_for_completion|_*wait_for_common|do_wait_for_common|_*wait_on_bit|out_of_line_wait|bit_wait|"
    r"prepare_to_wait|finish_wait|wait_woken|woken_wake_function|futex_wait|folio_wait_bit|folio_wait_bit_common|"
    r"__folio_lock|__lock_page|wait_on_page_bit|wait_on_page_bit_common|_*wait_on_buffer|_*filemap_fdatawait\w*|fdatawait_one_bdev|"
    r"_*io_wait_event|sb_wait_write|wait_for_stable_page)",
    # mutexes, semaphores, rwsems, spinning
    r"^(?:_*mutex_lock|mutex_lock_nested|mutex_lock_interruptible|mutex_lock_killable|down_read|down_write|down$|"
    r"down_interruptible|down_killable|down_timeout|__down|_*rwsem_|_*rt_mutex|_*percpu_down|percpu_rwsem_wait|"
    r"__percpu_rwsem|_raw_spin|_*lock_acquire|ldsem_down|console_lock|_*tty_(?:ldisc_)?lock|rtlock_|"
    r"rt_(?:spin|read|write)_lock)",
)
# Sleeping primitives of 2.6-4.x kernels that version 4 added (SLEEP_RULES as version 3 read them stay apart:
# culprit._hang keeps version 3's culprit as an alias):
SLEEP_SINCE_V4_RULES = (
    # schedule() under another name: the x86_64 switch_to() asm of 2.6.24-4.8 (include/asm-x86_64/system.h,
    # arch/x86/include/asm/switch_to.h) puts the global label `thread_return` inside schedule(), and kallsyms
    # names every address past it so; `__sched_text_start` is the linker's symbol at the start of
    # .sched.text, where schedule() was first (2.6.1x)
    r"^(?:thread_return|__sched_text_start)$",
    # the wait-on-bit actions that only call io_schedule() (fs/buffer.c sync_buffer, 3.x sleep_on_buffer;
    # mm/filemap.c sync_page / sync_page_killable, 3.x sleep_on_page / sleep_on_page_killable), and the x86
    # rwsem thunks (_RWSEM_THUNK_SINCE_V4)
    r"^(?:sync_buffer|sleep_on_buffer|sync_page|sync_page_killable|sleep_on_page|sleep_on_page_killable|"
    + _RWSEM_THUNK_SINCE_V4 + r")$",
    # a subsystem's own wait-on-bit action (the `action` of include/linux/wait.h wait_on_bit before 3.17, which
    # only schedules: net/sunrpc/sched.c rpc_wait_bit_killable, fs/nfs nfs_wait_bit_killable and
    # nfs_wait_bit_uninterruptible, fs/fscache fscache_wait_bit_interruptible)
    r"^[a-z0-9]{1,24}_wait_bit_(?:killable|interruptible|uninterruptible)$",
    # cond_resched() under its names across releases: kernel/sched/core.c `int __sched _cond_resched(void)` (3.x-5.x,
    # which schedules when asked through a static __cond_resched, later preempt_schedule_common), renamed
    # `__cond_resched` with PREEMPT_DYNAMIC, 2.6's kernel/sched.c `int __sched cond_resched(void)`, and the
    # lock-dropping forms (__cond_resched_lock, __cond_resched_softirq, __cond_resched_rwlock_read / _write)
    r"^_{0,2}cond_resched(?:_lock|_softirq|_rwlock_read|_rwlock_write)?$",
    # bcache's (and bcachefs's lib/closure.c) closure_sync: drivers/md/bcache/closure.c __closure_sync (closure_sync
    # before 4.16) loops on set_current_state(TASK_UNINTERRUPTIBLE) and schedule() until the closure's last
    # reference is put; closure_return_sync does the same for closure_return
    r"^_{0,2}closure_(?:sync|return_sync)$",
    # the page and writeback waits over folio_wait_bit / wait_on_page_bit: mm/page-writeback.c folio_wait_writeback
    # (_killable) and folio_wait_stable, mm/filemap.c folio_wait_locked (_killable) and their 4.x-5.x page forms
    # (wait_on_page_writeback, wait_on_page_locked), and fs/fs-writeback.c wb_wait_for_completion (a sync waiting for
    # the flusher's work) and __inode_wait_for_writeback / inode_wait_for_writeback (waiting for I_SYNC to clear)
    r"^(?:folio_wait_(?:writeback|stable|locked)(?:_killable)?|wait_on_page_(?:writeback|locked)(?:_killable)?|"
    r"wb_wait_for_completion|_{0,2}inode_wait_for_writeback)$",
    # the RCU grace-period waits: kernel/rcu/update.c __wait_rcu_gp (wait_rcu_gp's body) queues a callback and
    # wait_for_completion()s it for synchronize_rcu / synchronize_sched / synchronize_rcu_bh (and their _expedited and,
    # 6.x, _normal forms) and the SRCU, tasks-RCU and net forms; a hung task's walk names them one bucket first
    # (HANG_SYNC), a sleep in atomic context names their caller
    r"^(?:_{0,2}wait_rcu_gp|synchronize_(?:rcu|sched|srcu|net|rcu_bh)(?:_expedited|_normal)?|__synchronize_srcu|"
    r"_synchronize_rcu|synchronize_rcu_tasks(?:_generic|_rude|_trace)?)$",
)
# A hung task sleeps in them: the culprit is the first frame outside them and the kthread plumbing.
HANG_SKIP_RULES = (
    *SLEEP_RULES,
    *SLEEP_SINCE_V4_RULES,
    # RCU waits and kthread plumbing
    r"^(?:rcu_barrier|kthread$|ret_from_fork)",
)
HANG_SKIP = LazyPattern("|".join(HANG_SKIP_RULES))
SLEEPING = LazyPattern("|".join((*SLEEP_RULES, *SLEEP_SINCE_V4_RULES)))
HANG_SKIP_V3 = LazyPattern("|".join((*(rule for rule in HANG_SKIP_RULES if rule not in SLEEP_SINCE_V4_RULES), *UNSKIPPED_SINCE_V4_RULES)))
SLEEP_SINCE_V4 = LazyPattern("|".join(SLEEP_SINCE_V4_RULES))
HANG_RTNL_V3 = re.compile(r"^rtnl_lock$|^rtnl_lock_killable$|^__rtnl_lock$")
# Every way to take the rtnl mutex (net/core/rtnetlink.c rtnl_lock, __rtnl_lock, rtnl_lock_killable and, 6.x,
# rtnl_lock_interruptible): a task hung in any of them waits for whoever holds rtnl, one bucket (version 3 read
# HANG_RTNL_V3: culprit._hung keeps its key).
HANG_RTNL = re.compile(r"^rtnl_lock$|^rtnl_lock_(?:killable|interruptible)$|^__rtnl_lock$")
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


# Plumbing (registration, unmapping, byte accounting) that only acts on what its caller hands it, named by
# syzkaller's titles (its skip list has `sysfs_` and `kobject_`, not these), whose caller is the code that broke the
# rule: kernfs's node API under sysfs and
# cgroupfs (fs/kernfs/dir.c kernfs_create_dir_ns, kernfs_remove_by_name_ns, kernfs_find_ns, kernfs_drain ...: the
# parent, name and node are the caller's; not its VFS operations, kernfs_fop_* and the like, which userspace
# enters), debugfs's and tracefs's file creation (fs/debugfs/inode.c and fs/tracefs/inode.c start_creating take the
# caller's parent directory's inode lock, under debugfs_create_* / tracefs_create_*), and vmalloc's unmap entry points
# on the caller's address (mm/vmalloc.c vunmap `BUG_ON(in_interrupt())`, and __vunmap's `Trying to vfree()
# nonexistent vm area` WARN under it), and the byte queue limits' completion check (lib/dynamic_queue_limits.c
# dql_completed `BUG_ON(count > num_queued - dql->num_completed)`, on the count of bytes the driver's TX completion
# hands it through netdev_tx_completed_queue).  Since fingerprint version 6 such a title is keyed on the caller
# (fingerprint.infra_caller_key); the title and function stay syzkaller's.
_CALLER_KEYED_INFRA_SINCE_V6 = (
    r"_{0,2}kernfs_(?:create_\w{1,30}|remove\w{0,30}|find\w{0,30}|walk_and_get_ns|add_one|activate\w{0,10}|get|put|"
    r"drain\w{0,10}|rename_ns|path_from_node\w{0,10}|new_node|link_sibling|unlink_sibling)|"
    r"start_creating|_{0,2}debugfs_create_\w{1,30}|tracefs_create_\w{1,30}|vunmap|vm_unmap_ram|dql_completed"
)
CALLER_KEYED_INFRA = re.compile(rf"^(?:{_CALLER_KEYED_INFRA_SINCE_V6})$")
# What the walk to that caller passes besides: the device core's sysfs helpers over kernfs (drivers/base/core.c
# device_add_* / device_remove_*, drivers/base/power/sysfs.c dpm_sysfs_*, drivers/base/bus.c bus_add_device /
# bus_remove_device, drivers/base/dd.c driver_sysfs_add / driver_sysfs_remove; kobject_, sysfs_ and device_add /
# device_del are in every skip list already), and the DMA API's free path down to vunmap on the caller's buffer
# (kernel/dma/mapping.c dma_free_attrs under dma_free_coherent, drivers/iommu/dma-iommu.c iommu_dma_free /
# __iommu_dma_free, kernel/dma/direct.c dma_direct_free, kernel/dma/remap.c dma_common_free_remap).
INFRA_CALLER_PASSES = re.compile(
    rf"^(?:{_CALLER_KEYED_INFRA_SINCE_V6}|device_(?:add|remove)_\w{{1,30}}|dpm_sysfs_\w{{1,20}}|bus_(?:add|remove)_device|"
    r"driver_sysfs_(?:add|remove)|dma_free_\w{1,20}|dma_direct_free\w{0,20}|_{0,2}iommu_dma_free\w{0,20}|dma_common_free_remap)$"
)


def is_skipped(name: str, extra: re.Pattern[str] | None = None) -> bool:
    """Whether a frame is generic (see the skip lists above) rather than a culprit."""
    if _globally_skipped(name):
        return True
    return bool(extra is not None and extra.search(name))


def skipped_but_lock_wrappers(name: str) -> bool:
    """Whether a frame is on the skip lists by a rule other than the subsystems' lock wrappers:
    who takes a lock a CPU spins on (culprit._stalled_at_pc). The lists without that rule (6 KB of
    pattern, milliseconds to compile: start-up) are compiled only for a name that rule fits."""
    if not _globally_skipped(name):
        return False
    return LOCK_WRAPPER.search(name) is None or _skip_but_lock_wrappers().search(name) is not None


@lru_cache(maxsize=1)
def _skip_but_lock_wrappers() -> re.Pattern[str]:
    return re.compile("|".join(rule for rule in _SKIP_RULES if rule != LOCK_WRAPPER_RULE))


LAZY_PATTERNS = (LOCK_PRIMITIVE, STALL_ANCHORS_V3, STALL_ANCHORS, REPORTING, STALL_EXTRA_SKIP_V3, STALL_EXTRA_SKIP, HANG_SKIP,
                 SLEEPING, HANG_SKIP_V3, SLEEP_SINCE_V4)


def clear_caches() -> None:
    """Drop the per-line memo tables: they speed up a batch of logs, but an idle daemon need not
    keep thousands of old lines alive."""
    for memo in (parse_frames, fault_pc, _globally_skipped):
        memo.cache_clear()
