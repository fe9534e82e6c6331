"""Kernel lines that a person's editor or mailer hard-wrapped, joined again.

A report quoted in a commit message or a bug report is often filled to 72 columns: a line breaks at
a blank and its rest goes to the next line, without the printk time in a stamped log.  A break is
undone only where the kernel's own line grammar says the line cannot end there (`incomplete`), never
by a line's length:

- a header whose culprit follows a preposition that ends the line: mm/kasan/report.c
  print_error_description `BUG: KASAN: %s in %pS`, lib/ubsan.c ubsan_prologue `UBSAN: %s in %s:%d:%d`,
  kernel/kcsan/report.c print_report `BUG: KCSAN: %s in %pS / %pS`, kernel/panic.c __warn `at %pS`
  (lib/bug.c `kernel BUG at %s:%d!`), lib/smp_processor_id.c `BUG: using %s%s() in preemptible`;
  the sanitizers' header alone (`BUG: KASAN:`, `BUG: KCSAN:`, `BUG: KMSAN:`), whose `%s in %pS` follows, and
  __warn's (`WARNING:`), whose `CPU: %d PID: %d at` or 2.6.x `at %s:%d` follows (a header cut after its `%s:%d`
  is left unjoined, tests/core/test_wrapped_quotes.py says why, but in a stamped log, where the unstamped `%pS`
  below it would otherwise be lost to the report);
- a held lock's acquire site: kernel/locking/lockdep.c print_lock `, at: %pS` in one printk; print_lock's
  lock `%px (%s){%s}` (with `-{%d:%d}` since 5.x) before `, at:` and lockdep_print_held_locks' ` #%d: `
  before it, one line each.  (Before 4.x `, at: [<%p>]` took print_ip_sym's symbol, always printed as
  CONFIG_LOCKDEP selects KALLSYMS; a log that lost its first column so (production satyr/14.txt) keeps
  the version-3 key it was given unjoined, so such a line is read from the next one by culprit's `at:` parts.)
- in a stamped log, an address without the symbol printed after it in the same printk: x86's
  print_ip_sym / __show_regs `[<%px>] %pS`, arch/powerpc/kernel/process.c show_stack `[%p] [%p] %pS` and
  show_regs `NIP [%px] %pS`, `LR [%px] %pS`;
  s390's PSW (arch/s390/kernel/dumpstack.c show_registers `%s PSW : %px %px` then ` (%pSR)`; 3.x print_symbol),
  whose rest, the symbol in parentheses, no other kernel line is (in any log), and arm32's unwound frame
  (arch/arm/kernel/traps.c dump_backtrace_entry `[<%08lx>] (%ps) from [<%08lx>] (%pS)`) cut after its `from`
  or its caller's address (in any log);
- a hung task's header before its unit, or after its first words: kernel/hung_task.c check_hung_task
  `INFO: task %s:%d blocked for more than %ld seconds.` (one printk: `INFO: task` alone is never a line);
- slub's corruption line since 6.11: mm/slub.c check_bytes_and_report
  `[%s overwritten] 0x%p-0x%p @offset=%tu. First byte 0x%x instead of 0x%x` (one printk);
- x86's fault header without its `[#N]` (arch/x86/kernel/dumpstack.c __die_header `%s: %04lx [#%d]`), and
  the KASAN note below it without its range (mm/kasan/report.c kasan_non_canonical_hook);
- panic()'s free-text message (kernel/panic.c `Kernel panic - not syncing: %s`, one line), whose rest
  has none of the shapes the kernel prints after it (`message_continues`, read by events).

The line below must be the rest: not blank, no header of its own, and in a log whose kernel lines
carry printk times, none of its own (normalize.LogLines joins it).
"""

from __future__ import annotations

import re

from kcrashd.core.frames import SOURCE_POSITION
from kcrashd.core.headers import MAX_LINE, header_in
from kcrashd.core.signatures import BY_HEADER

# What a kernel line cannot end with (see the module's docstring), matched at the line's end.
_INCOMPLETE = re.compile(r"(?:\S (?:in|at)|\S /|, at:|blocked for more than \d{1,12}|^\[[A-Z][A-Za-z ]{0,30} overwritten\]|\{[+.?\-]{1,16}\}(?:-\{\d{1,2}:\d{1,2}\})?,|^\s{0,2}#\d{1,4}: [0-9a-f]{8,16}|^-> #\d{1,4}|^BUG: K[ACM]SAN:|^WARNING:|^INFO: task|>\] \([^()]{1,200}\) from)$")
# An address whose symbol the same printk prints after it.  Without CONFIG_KALLSYMS old kernels printed
# none (include/linux/kallsyms.h: print_symbol a no-op), so such a line ends there: it is cut only where
# the line below is demonstrably no kernel line of its own (unstamped in a stamped log).
_ADDRESS_END = re.compile(r"(?:\[<[0-9a-f]{8,16}>\]|\[[0-9a-f]{8,16}\] \[[0-9a-f]{8,16}\]|\b(?:NIP|LR) \[[0-9a-f]{8,16}\])$")
# s390's PSW line and its ` (%pSR)` (arch/s390/kernel/dumpstack.c show_registers), and arm32's unwound frame
# and its caller's ` (%pS)` (arch/arm/kernel/traps.c dump_backtrace_entry `[<%08lx>] (%ps) from [<%08lx>] (%pS)`,
# one printk): a line of the symbol alone in parentheses is printed by no other kernel code (s390's first trace
# frame `([<%px>] %pSR)` has its address), so it is the rest in an unstamped log too.
_SYMBOL_BELOW_END = re.compile(r"(?:PSW : [0-9a-f]{16} [0-9a-f]{8,16}|\) from \[<[0-9a-f]{8,16}>\])$")
# A symbol's `+off/size` as %pS prints it, and the module's name kernel/kallsyms.c __sprint_symbol puts after it.
_OFFSET_SIZE = r"\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16}"
_MODULE_NAME = r"[\w\-]{1,64}"
_PARENTHESIZED_SYMBOL = re.compile(rf"\([A-Za-z_.$][\w.$]{{0,127}}{_OFFSET_SIZE}(?: \[{_MODULE_NAME}\])?\)")
# The word-final characters _INCOMPLETE can end on (a hex digit also ends a symbol's `+off/size`, continues):
# a cheap test before the patterns.
_LAST = frozenset("kmnt/:],0123456789abcdef")
# Endings that a header alone makes incomplete (a body line may end with a plain word `in`/`at`).
_HEADER_ONLY = (" in", " at", " /")


# x86's fault header, which __die_header prints in one printk with its error code and count (arch/x86/kernel/
# dumpstack.c `%s: %04lx [#%d]`, the string from arch/x86/kernel/traps.c `general protection fault, probably for
# non-canonical address 0x%lx`): a line of it without its `[#N]` was cut; so was the KASAN note printed below it
# without its range (mm/kasan/report.c kasan_non_canonical_hook `KASAN: %s in range [0x%016lx-0x%016lx]`).
_DIE_HEADER = "general protection fault"


# __die_header's flags after the count (` PREEMPT`, ` SMP`, ` DEBUG_PAGEALLOC`, ` KASAN`, ` PTI`/` NOPTI`; ` PREEMPT_RT`
# and ` PREEMPT_LAZY` since 6.x), the rest of the same printk when a wrap moved them below.
_DIE_COUNT = re.compile(r": [0-9a-f]{4} \[#\d{1,4}\]")
_DIE_FLAGS = re.compile(r"(?:(?:PREEMPT(?:_RT|_LAZY)?|SMP|DEBUG_PAGEALLOC|KASAN|PTI|NOPTI) ?){1,6}")


def _cut_in_one_printk(text: str) -> bool:
    if text.startswith(_DIE_HEADER):
        return "[#" not in text
    return text.startswith("KASAN: ") and text.endswith(" in range")


def incomplete(text: str) -> bool:
    """Whether the kernel line `text` (prefix parsed off) was cut by a wrap: it ends where its
    printk format does not (the module's docstring lists them)."""
    text = text.rstrip()
    if _cut_in_one_printk(text):
        return True
    if not text or text[-1] not in _LAST or _INCOMPLETE.search(text[-80:]) is None:
        return False
    return not text.endswith(_HEADER_ONLY) or header_in(text) is not None


# A held lock's instance, printed alone only by a wrap: lockdep's print_lock puts its name on the same line.
_LOCK_INSTANCE = re.compile(r"[0-9a-f]{8,16}")


# A symbol's `+off/size` (%pS) at a line's end, and what %pS and the stack printers put after it on the
# same line: the module (kernel/kallsyms.c __sprint_symbol ` [%s]`), powerpc show_stack's ` (unreliable)`,
# a symbolizer's source position `file.c:123` and ` [inline]` (syzkaller's and decode_stacktrace.sh's);
# before 4.13 mm/kasan/report.c print_error_description went on with ` at addr %p` after the module.
_SYMBOL_END = re.compile(rf"{_OFFSET_SIZE}$")
# (A bracketed address, powerpc's next frame `[c000000000f2fa30] [...]`, is no module.)
_TAIL = (
    rf"\[(?![0-9a-f]{{8,16}}\]){_MODULE_NAME}\](?: \(unreliable\)| at addr [0-9a-f]{{8,16}})?|\(unreliable\)|"
    rf"{SOURCE_POSITION}(?: \[inline\])?"
)
_SYMBOL_TAIL = re.compile(rf"(?:{_TAIL})$")
# A line that ends with a whole symbol: its `+off/size` and what may follow it on the line.
_WHOLE_SYMBOL = re.compile(rf"{_OFFSET_SIZE}(?: (?:{_TAIL}))?\s*$")


# x86's PC line of 2.6.x-4.x (arch/x86/kernel/process_64.c __show_regs `RIP: %04lx:[<%016lx>] ` then printk_address's
# ` [<%p>] %pS`; process_32.c `EIP: %04x:[<%08lx>] EFLAGS...` before 4.x kept the symbol elsewhere) cut by a wrap after
# its second address, and the `%pS` it lost: one printed line in an unstamped quote too.
_OLD_PC_LINE = re.compile(r"\s{0,8}(?:RIP|EIP): (?:[0-9a-f]{4}:)?\[<[0-9a-f]{8,16}>\]\s{1,4}\[<[0-9a-f]{8,16}>\]")


# x86's fault header of 2.6.x-3.x in three printks (arch/x86/mm/fault.c show_fault_oops: `BUG: unable to handle
# kernel `, then KERN_CONT `NULL pointer dereference` or `paging request`, then ` at %p`): a log that keeps each
# printk on its own line, or a wrap, leaves the header cut before its second or third word.
_FAULT_HEADS = ("BUG: unable to handle kernel", "BUG: unable to handle kernel NULL", "BUG: unable to handle kernel NULL pointer")
_FAULT_HEADER = re.compile(r"BUG: unable to handle kernel (?:NULL pointer dereference|paging request)(?: at |$)")


# kernel/panic.c __warn's `WARNING: CPU: %d PID: %d at %s:%d %pS` (2.6.x `WARNING: at %s:%d %pS()`) cut by a wrap after
# its `%s:%d`: in a stamped log the unstamped `%pS` below (a symbol with its offset, and its module) is that rest; in an
# unstamped quote too, where the line below is that `%pS` alone (warn_site_below: events._complete_wrapped joins it, so
# the rows that read the site match).  Elsewhere the header stays cut, and culprit.py reads the site as the line below
# (tests/core/test_wrapped_quotes.py).
# WARN_SITE_HEAD is the header up to its site's `%s:%d` (events._inline_prefix reads it too).
WARN_SITE_HEAD = r"\bWARNING: (?:CPU: \d{1,5} PID: \d{1,9} )?at ?[^\s:]{1,200}:\d{1,7}"
WARN_CUT_AT_SITE = re.compile(WARN_SITE_HEAD + r"\s*$")
# A line that is one `%pS` alone (a symbol, its offset and size, its module): what a wrap cut from __warn's header
# or from the old RIP line (_OLD_PC_LINE).
_SYMBOL_LINE = re.compile(rf"[A-Za-z_$][A-Za-z0-9_$.]{{0,200}}{_OFFSET_SIZE}(?: \[{_MODULE_NAME}\])?")


def may_continue(text: str) -> bool:
    """A cheap test before `continues`: whether the kernel line `text` can be cut by a wrap at all."""
    end = text.rstrip()
    return end[-1:] in _LAST or "[#" in text or _cut_in_one_printk(text) or end.endswith(_FAULT_HEADS)


def _fault_header_cut(text: str, rest: str) -> bool:
    """x86's fault header cut before `NULL pointer dereference` / `paging request` (_FAULT_HEADS), `rest` its rest."""
    end = text.rstrip()
    if not end.endswith(_FAULT_HEADS):
        return False
    return _FAULT_HEADER.search(joined(end[end.rfind("BUG: ") :], rest)) is not None


def continues(text: str, rest: str, stamped_log: bool) -> bool:
    """Whether `rest` (rest_of the line below) is what the wrap cut from the kernel line `text`: the
    line is incomplete, it ends with an address and the log is stamped (_ADDRESS_END), it is a held
    lock's instance and `rest` the lock's name, or it ends with a symbol and `rest` is what %pS prints
    after one."""
    if incomplete(text) or (stamped_log and _ADDRESS_END.search(text.rstrip()[-40:]) is not None):
        return True
    if _fault_header_cut(text, rest):
        return True
    if _OLD_PC_LINE.fullmatch(text.rstrip()) is not None and _SYMBOL_LINE.fullmatch(rest) is not None:
        return True  # the old RIP line cut before its `%pS` (_OLD_PC_LINE)
    if stamped_log and warn_site_below(text, rest):
        return True  # __warn's header cut before its `%pS` (see WARN_CUT_AT_SITE)
    if rest[:1] == "(" and _PARENTHESIZED_SYMBOL.fullmatch(rest) is not None and _SYMBOL_BELOW_END.search(text.rstrip()[-40:]) is not None:
        return True
    if "[#" in text and _DIE_FLAGS.fullmatch(rest) is not None and _DIE_COUNT.search(text) is not None:
        return True
    if rest[:1] == "(" and _LOCK_INSTANCE.fullmatch(text.strip()) is not None:
        return "){" in rest  # kernel/locking/lockdep.c print_lock: `%px` then print_lock_name's ` (%s){%s}`
    return _SYMBOL_TAIL.match(rest) is not None and _SYMBOL_END.search(text.rstrip()[-40:]) is not None


def warn_site_below(text: str, rest: str) -> bool:
    """Whether `rest` is the `%pS` a wrap cut from __warn's header `text` (WARN_CUT_AT_SITE): a symbol with its offset
    and size alone on its line.  __warn prints `at %s:%d %pS` on one line, so a header that ends at its `%s:%d` was cut
    there, in an unstamped quote too."""
    return _SYMBOL_LINE.fullmatch(rest.lstrip(".")) is not None and WARN_CUT_AT_SITE.search(text) is not None


def splits_header(text: str, rest: str, header: str) -> bool:
    """Whether a signature row of `header` (the header literal `rest` holds) matches the joined line
    across the break: the kernel printed that format in one line (mm/slub.c slab_bug `BUG %s (%s): %pV`
    with check_bytes_and_report's `Right Redzone overwritten`), so the break is a wrap."""
    if header_in(text) is not None:
        return False  # the line above is a report's own header: the one below starts another
    whole = joined(text, rest)
    cut = len(text.rstrip())
    for sig in BY_HEADER.get(header, ()):
        m = sig.regex.search(whole)
        if m is not None and m.start() < cut < m.end():
            return True
    return False


def rest_of(below: str) -> str | None:
    """The text of the line `below` (prefix parsed off) as the rest of a wrapped line, or None when it
    cannot be one: blank, or a header of its own."""
    rest = below.strip()
    if not rest or header_in(rest) is not None:
        return None
    return rest


def joined(text: str, rest: str) -> str:
    """The wrapped line `text` with its `rest`, as the kernel printed it (within MAX_LINE)."""
    return f"{text.rstrip()} {rest}"[:MAX_LINE]


# The lines the kernel prints after panic()'s message (kernel/panic.c panic): dump_stack's `CPU: %d PID: %d
# Comm:` (lib/dump_stack.c dump_stack_print_info; `Pid: %d, comm:` before 3.x), `Call Trace:`, x86
# dump_kernel_offset's `Kernel Offset:`, arm64 smp_send_stop's `SMP: stopping secondary CPUs`, arm's
# `CPU%u: stopping`, ftrace_dump's `Dumping ftrace buffer:`: a leader ending in `:`; x86's `Shutting down
# cpus with NMI`, panic's `Rebooting in %d seconds..` and `---[ end Kernel panic`; a frame `[<addr>]`, `? f`.
_AFTER_PANIC = re.compile(r"[\w/ .-]{1,32}:(?:\s|$)|---\[|\[<|\? |<\d>|Rebooting in |Shutting down cpus")


def message_continues(rest: str) -> bool:
    """Whether `rest` (rest_of the line below panic()'s message) can be the message's rest cut by a
    wrap: no line shape the kernel prints after the message (_AFTER_PANIC), no symbol `+0x`."""
    return _AFTER_PANIC.match(rest) is None and "+0x" not in rest


# An editor or mailer fills a quote to 72 columns, some to 76 or 80: past that only a word without a blank.
_FILL_COLUMNS = 80


def ends_whole_symbol(text: str) -> bool:
    """Whether `text` ends with a whole `%pS` (`f+0x1/0x2`, with its module or position): a line a fill broke
    there was whole."""
    return "+0x" in text and _WHOLE_SYMBOL.search(text) is not None


# A fill broke a line only where the next word did not fit: the first part reaches within this many columns of
# the quote's longest line (a `[<%p>]` column and a long symbol were the widest words seen).
_FILL_SLACK = 32


def fill_breaks_from(sample: list[str]) -> int:
    """How long a line of a filled quote (filled()) is at least where the fill broke it; 0: the lines of
    `sample` are not filled."""
    width = max((len(line.rstrip()) for line in sample), default=0)
    return width - _FILL_SLACK if width > _FILL_SLACK and filled(sample) else 0


def filled(raw: list[str]) -> bool:
    """Whether the log reads as a quote an editor filled: no line with a blank inside runs past
    _FILL_COLUMNS.  A console or dmesg capture has longer lines (dump_stack's `CPU: ... Comm: ...
    Tainted:` line, `Hardware name:`), so there an unstamped line below a stamped one is user space's."""
    return not any(len(line) > _FILL_COLUMNS and " " in line.strip() for line in raw)
