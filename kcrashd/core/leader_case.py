"""The kernel's line leaders put back in the case the kernel prints them in.

Patch files quote a report in their commit message, and a patch tool that reads `Word: value` lines
as tags rewrites each such leader with a capital and lower-case letters: `BUG: KASAN:` becomes
`Bug: KASAN:`, `CPU: 1 PID: 2331` becomes `Cpu: 1 PID: 2331`, `RIP: 0010:f+0x5/0x10` becomes
`Rip: 0010:...`, `INFO: task` becomes `Info: task`.  Only a line's first word is touched, and only
when a blank follows its colon (`task:syz state:D` stays as it is).  The kernel never prints these
leaders so: each is a literal in its printing code (`LEADERS`).  A quote is taken as so rewritten when
a body leader (`CPU`, `RIP`, `IP`, `EIP`, `RSP`) is followed by what its printing code prints after it
(`Leader.shape`: `Cpu: 1 PID: 2`, `Rip: 0010:`), which only a report prints at a line's start; then
every re-cased kernel leader is restored.  A quote cut to its
header and trace shows one leader only: a re-cased header leader (`Bug:`, `Warning:`, `Info:`) is
restored where a stack trace starts within `BODY_LINES` below it, as every report that prints one
does, or below a rule of `=` (`_RULE`), which lockdep, KASAN, KCSAN, KFENCE and UBSAN print above
their header (kernel/locking/lockdep.c print_circular_bug_header, mm/kasan/report.c start_report,
lib/ubsan.c ubsan_prologue), or above a rule of `-` within two lines below, which lockdep prints under its header
and the kernel's ident line, or above the first line of lockdep's body (`%s/%d is trying to acquire lock:`).
A user-space line `Warning: ...` with no trace below stays as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kcrashd.core.frames import STACK_START, parse_frames


@dataclass(frozen=True)
class Leader:
    """One word the kernel prints in capitals at a line's start, and the code that prints it."""

    word: str
    printed_by: str
    shape: str = ""  # a body leader's: the start of what its printing code prints after it
    header: bool = False  # opens a report: the first word of a header line


LEADERS: tuple[Leader, ...] = (
    Leader("BUG", "lib/bug.c report_bug, mm/kasan/report.c, kernel/sched/core.c __schedule_bug: `BUG: ...`", header=True),
    Leader("WARNING", "kernel/panic.c __warn, kernel/locking/lockdep.c: `WARNING: ...`", header=True),
    Leader("INFO", "kernel/hung_task.c check_hung_task, kernel/rcu/tree_stall.h: `INFO: task ...`, `INFO: rcu_sched ...`", header=True),
    Leader("KASAN", "mm/kasan/report.c kasan_non_canonical_hook: `KASAN: null-ptr-deref in range`", header=True),
    Leader("UBSAN", "lib/ubsan.c ubsan_prologue: `UBSAN: ...`", header=True),
    Leader("ODEBUG", "lib/debugobjects.c debug_print_object: `ODEBUG: %s %s (active state %u) object type: %s`",
           header=True),
    Leader("VFS", "fs/super.c generic_shutdown_super: `VFS: Busy inodes after unmount of %s`", header=True),
    Leader("CPU", "lib/dump_stack.c dump_stack_print_info: `CPU: %d PID: %d Comm: %.20s` (6.12: `CPU: %d UID: %u PID: %d`)",
           shape=r"\d{1,5} (?:UID: \d{1,10} )?PID: \d"),
    Leader("RIP", "arch/x86/kernel/dumpstack.c show_ip: `RIP: %04x:%pS`", shape=r"[0-9a-f]{4}:"),
    Leader("IP", "arch/x86/mm/fault.c no_context (3.x-4.x): `IP: [<%p>] %pS`, later 4.x `IP: %pS`",
           shape=r"\[<[0-9a-f]{8,16}>\] |[A-Za-z_][\w.]{0,127}\+0x"),
    Leader("EIP", "arch/x86/kernel/process_32.c __show_regs: `EIP: %pS`; 2.6-4.x `EIP: %04x:[<%08lx>]`",
           shape=r"(?:[0-9a-f]{4}:)?\[<[0-9a-f]{8}>\]|[A-Za-z_][\w.]{0,127}\+0x"),
    Leader("TPC", "arch/sparc/kernel/traps_64.c show_regs: `TPC: <%pS>`", shape=r"<[A-Za-z_]"),
    Leader("RSP", "arch/x86/kernel/process_64.c __show_regs: `RSP: %04lx:%016lx EFLAGS: %08lx`",
           shape=r"[0-9a-f]{4}:[0-9a-f]{16} "),
    Leader("RAX", "arch/x86/kernel/process_64.c __show_regs: `RAX: %016lx RBX: ...`"),
    Leader("RDX", "arch/x86/kernel/process_64.c __show_regs: `RDX: %016lx RSI: ...`"),
    Leader("RBP", "arch/x86/kernel/process_64.c __show_regs: `RBP: %016lx R08: ...`"),
    Leader("FS", "arch/x86/kernel/process_64.c __show_regs: `FS:  %016lx(%04x) GS:...`"),
    Leader("CS", "arch/x86/kernel/process_64.c __show_regs: `CS:  %04lx DS: %04x ...`"),
    Leader("CR2", "arch/x86/kernel/process_64.c __show_regs: `CR2: %016lx CR3: ...`"),
    Leader("DR0", "arch/x86/kernel/process_64.c __show_regs: `DR0: %016lx DR1: ...`"),
    Leader("DR3", "arch/x86/kernel/process_64.c __show_regs: `DR3: %016lx DR6: ...`"),
    Leader("EAX", "arch/x86/kernel/process_32.c __show_regs: `EAX: %08lx EBX: ...`"),
    Leader("ESI", "arch/x86/kernel/process_32.c __show_regs: `ESI: %08lx EDI: ...`"),
    Leader("DS", "arch/x86/kernel/process_32.c __show_regs: `DS: %04x ES: %04x ...`"),
    Leader("CR0", "arch/x86/kernel/process_32.c __show_regs: `CR0: %08lx CR2: ...`"),
)

# The re-cased spelling of each leader (`Bug`, `Cpu`, `Cr2`) to the kernel's.
_RESTORED = {leader.word.capitalize(): leader.word for leader in LEADERS}
# A re-cased body leader and what its printing code prints after it.
_BODY = {leader.word.capitalize(): re.compile(leader.shape) for leader in LEADERS if leader.shape}
_HEADERS = frozenset(leader.word.capitalize() for leader in LEADERS if leader.header)


def _line_start(words: list[str]) -> tuple[tuple[str, ...], re.Pattern[str]]:
    """The re-cased `words` as a line starts with them: at the text's start, and after a newline (a search
    whose literal first character the regex engine skips to, far cheaper than a search per word)."""
    return tuple(f"{w}: " for w in words), re.compile("\n(?:" + "|".join(sorted(words)) + "): ")


_BODY_START = _line_start(list(_BODY))
_ANY_START = _line_start([*_BODY, *_HEADERS])
# How far below a lone re-cased header its report's stack trace may start (a lockdep report's first
# chain, a KASAN report's access and CPU lines come first).
BODY_LINES = 12
_BELOW_CHARS = 64 * 1024  # what of the text below a header is read for them (lines are not that long)
# The rule a sanitizer's or lockdep's report prints above its header: `====...` (lockdep 54 wide,
# KASAN and UBSAN 66, KFENCE 65).
_RULE = "=" * 40
# The rule lockdep prints below its header and the kernel's ident line (kernel/locking/lockdep.c
# print_circular_bug_header, lockdep_sys_exit, lockdep_rcu_suspicious, ...: the header, print_kernel_ident's
# `%s %.*s %s`, then `----...`), which a quote keeps when it leaves out the `=` rule above.
_DASHES = "-" * 20
_DASHES_BELOW = 2
# The line lockdep prints first below its header block (kernel/locking/lockdep.c print_deadlock_bug and
# print_circular_bug_header `%s/%d is trying to acquire lock:`, print_unlock_imbalance_bug `... is trying to release
# lock (%s) at:`, print_irq_inversion_bug `... just changed the state of lock:`), which a quote that dropped both
# rules and the ident line keeps right below the header (a task name may hold blanks: searched, not matched).
_LOCKDEP_FIRST = re.compile(r"/\d{1,10} (?:is trying to (?:acquire|release) lock|just changed the state of lock)")
# A line's first word as a patch tool re-cases it, and the blank (or the line's end) after its colon.
_RECASED = re.compile(r"^([A-Z][a-z0-9]{1,7}):(?=[ \t]|$)", re.M)


def recased(text: str) -> bool:
    """Whether `text` shows a re-cased body leader followed by what the kernel prints after it."""
    if not _starts_a_line(text, _BODY_START):
        return False  # the common case, read without the pattern
    for m in _RECASED.finditer(text):
        shape = _BODY.get(m.group(1))
        if shape is not None and shape.match(text, m.end() + 1):
            return True
    return False


def restore_leaders(text: str) -> str:
    """`text` with the kernel's leaders in the kernel's case: all of them when it was re-cased
    (`recased`), else each lone header leader with a stack trace below it (`_lone_headers`)."""
    if not _starts_a_line(text, _ANY_START):
        return text  # the common case: one search of the text
    if recased(text):
        return _RECASED.sub(lambda m: _RESTORED.get(m.group(1), m.group(1)) + ":", text)
    return _lone_headers(text)


def _starts_a_line(text: str, start: tuple[tuple[str, ...], re.Pattern[str]]) -> bool:
    """Whether a line of `text` starts with one of the re-cased leaders of `start` (_line_start)."""
    words, after_newline = start
    return text.startswith(words) or after_newline.search(text) is not None


def _lone_headers(text: str) -> str:
    """`text` with each re-cased header leader restored whose report's trace starts right below."""
    out: list[str] = []
    done = 0
    for m in _RECASED.finditer(text):
        word = m.group(1)
        if word in _HEADERS and _report_at(text, m.start()):
            out += [text[done : m.start()], _RESTORED[word]]
            done = m.end(1)
    return "".join(out) + text[done:] if out else text


def _report_at(text: str, start: int) -> bool:
    """Whether the line at `start` has a report's rule above it or a stack trace within BODY_LINES below."""
    above = text[text.rfind("\n", 0, max(start - 1, 0)) + 1 : max(start - 1, 0)]
    if start and above.strip().startswith(_RULE):
        return True
    below = text[start : start + _BELOW_CHARS].split("\n", BODY_LINES + 1)[1 : BODY_LINES + 1]
    if any(_is_dashes(b) or _LOCKDEP_FIRST.search(b) for b in below[:_DASHES_BELOW]):
        return True
    return any(STACK_START.match(b) or parse_frames(b) for b in below)


def _is_dashes(line: str) -> bool:
    rule = line.strip()
    return rule.startswith(_DASHES) and rule.strip("-") == ""
