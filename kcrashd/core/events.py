"""Find every crash report in a log, cut out its text, and choose the fatal one.

A report starts at a header line (signatures.HEADERS) and keeps the lines of the same printk
context.  Header lines are found with plain substring search over the whole text first (kcrashd.core.headers),
so a log of millions of ordinary lines costs a few `str.find` passes and no per-line regex work, and are
normalised (kcrashd.core.normalize.header_lines) before `find_hits` reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kcrashd.core import wrapped
from kcrashd.core.extract import task_pid
from kcrashd.core.frames import STACK_START, fault_pc, parse_frames
from kcrashd.core.normalize import BODY_LINES, HeaderLine, LogLines, header_lines
from kcrashd.core.signatures import (
    BY_HEADER,
    CHAIN_BODY,
    CONSEQUENCE_PANIC,
    CONTINUES_REPORT,
    CUT_HERE,
    ENDS_REPORT,
    FOLLOWS_HEADER,
    HUNG_NOTE,
    KASAN_RANGE,
    MESSAGE_ONLY,
    NESTING_NOTE,
    PANIC_NAMES_REPORT,
    PARISC_FAULTS,
    RCU_EQS_BODY,
    RCU_USAGE_BODY,
    SLAB_ERROR,
    SLUB_DETAIL,
    SLUB_HEADERS,
    STALL_ESCALATIONS,
    SUPPRESSIONS,
    WARN_CARRIED_KINDS,
    WARN_MESSAGES,
    Signature,
)

if TYPE_CHECKING:
    from kcrashd.core.headers import HeaderScan

MAX_REPORT_LINES = 1000
# How far (in raw lines) a report may reach while skipping other contexts' lines.
MAX_SCAN_LINES = 4000
# Reports titled at most: the first ones (the cause in a fuzzing log) and the last ones (kdump).
MAX_EVENTS_HEAD = 64
MAX_EVENTS_TAIL = 16
# More reports than this of one signature in a row are a flood (see `choose_fatal`).
FLOOD_RUN = 16
PANIC = "Kernel panic - not syncing"
_NMI_BACKTRACE = "Sending NMI from CPU"
_NOISE = "Disabling lock debugging due to kernel taint"
_END_TRACE = "---[ end trace"
_END_PANIC = "---[ end Kernel panic"
# Sanitizer reports (and only they) close with a row of `=`; lockdep opens with one.
_END_RULE = re.compile(r"^={20,}\s*$")
_RULED_KINDS = frozenset({"kasan", "kmsan", "kcsan", "kfence", "ubsan"})
# Headers too common in ordinary text to count without a matching signature.
# `INFO:`: the kernel's INFO reports all have rows (kernel/hung_task.c, kernel/rcu/tree_stall.h, lockdep,
# mm/slub.c); another `INFO: ...` line is a driver's or a program's notice.
_NEEDS_SIGNATURE = frozenset({
    "INFO:", "Kernel panic", "fatal error:", "Booting the kernel.", "VFS: ", "Oops: ", "unregister_netdevice: waiting for",
    " ilc:", "Kernel stack overflow.", "double fault: ", "#PF: ", "unreferenced object 0x", "divide_error:", "Badness in ",
    # lib/bug.c report_bug `Badness at %s:%u` (2.6.19-2.6.3x); x86_64 handle_BUG `Kernel BUG at %.50s:%d` (2.6.0-2.6.23),
    # where report_bug's `Kernel BUG at %p [verbose debug info unavailable]` is no BUG() (signatures.py)
    "Badness at ", "Kernel BUG at ",
    # lockdep's body lines, which start a report only where its banner was quoted away (signatures.py lockdep-*-body)
    "is trying to acquire lock:", "inconsistent {", CHAIN_BODY, NESTING_NOTE, *RCU_USAGE_BODY, RCU_EQS_BODY,
    # lib/refcount.c's WARN message (signatures.py refcount-message)
    "refcount_t: ",
    # lib/ubsan.c's reports, handler mode (ubsan_prologue `UBSAN: %s in %s:%d:%d`) and trap mode (report_ubsan_failure's
    # checks, signatures.py ubsan-trap): another `UBSAN:` line is a test's or a tool's notice
    "UBSAN:",
    # a vendor watchdog's `WARN:` soft lockup line (signatures.py soft-lockup-warn)
    "WARN: soft lockup",
    # the rule above a WARN() (signatures.py warn-cut-headless)
    CUT_HERE,
    # kernel/hung_task.c's note below its header (signatures.py hung-task-body)
    HUNG_NOTE,
    # kernel/sched.c (2.6.x before 2.6.18) __might_sleep and schedule() printed their reports without `BUG: `
    "Debug: sleeping function called from invalid context", "scheduling while atomic: ",
    # mm/page_alloc.c bad_page (2.6.0-2.6.28) without `BUG: `
    "Bad page state in process ",
    # lib/debugobjects.c prints other `ODEBUG:` notices (`Out of memory. ODEBUG disabled`, `%d of %d active objects
    # replaced`) that are no WARN()
    "ODEBUG:",
    *SLUB_HEADERS, "Object already free",
    # mm/slab.c __slab_error, only at a line's start (signatures.py slab-error)
    SLAB_ERROR,
    # arch/parisc parisc_terminate's report line, only at a line's start (signatures.py parisc-fault)
    *PARISC_FAULTS,
    # mm/kasan/report.c kasan_non_canonical_hook: a GPF's report only with its RIP line below (signatures.py)
    *KASAN_RANGE,
    # arch/arm/kernel/traps.c __div0's line, only where it is the whole line (signatures.py arm-div0)
    "Division by zero in kernel.",
    # die_if_kernel's `do_fpu invoked from kernel context![#%d]:`, only at a line's start (signatures.py die-kernel-context)
    "invoked from kernel context![#",
})
_REPLAY = "** replaying previous printk message **"
# The row of a panic that only says an earlier report was fatal (signatures.CONSEQUENCE_PANIC).
HEADERLESS_PANIC = "panic-consequence"
# Another line's timestamp inside a header line: two lines were merged; the header ends there.
_MERGED_STAMP = re.compile(r"\[ {0,12}\d{1,10}\.\d{3,9}\]")
# How far below its `WARNING:` line a WARN()'s message may be (3.x printed `Hardware name:` between).
_WARN_MESSAGE_LINES = 3
# How far apart two CPUs' interleaved reports of one stop may start, and how far below its header the
# second report's PC line may be (a report's header, modules, task and registers).
_SAME_STOP_LINES = 40
_PRINTK_REPORT_HEADERS = frozenset({"BUG:", "WARNING:", "INFO:"})
_ARM_UNHANDLED = "Unhandled fault:"
_ARM_DIE = "Internal error:"


@dataclass(slots=True)
class Hit:
    """A header line: where, which header, which signature matched (None: no format matched)."""

    index: int
    header: str
    pos: int
    signature: Signature | None
    match: re.Match[str] | None

    @property
    def is_panic(self) -> bool:
        return self.header == "Kernel panic"


@dataclass(slots=True)
class Event:
    """One crash report: its header hit and the indices of the lines that belong to it.

    `title_end` is how many of `lines` the title and culprit may use: without printk caller ids,
    the next report's header cuts the text (its stack is not ours).
    """

    hit: Hit
    context: str
    lines: list[int] = field(default_factory=list)
    title_end: int = 0
    followers: list[Hit] = field(default_factory=list)
    # An end marker (`---[ end trace`, a sanitizer's closing `=====`) came before the next report.
    closed: bool = False

    @property
    def start(self) -> int:
        return self.hit.index

    @property
    def cut(self) -> bool:
        """Another report's header came before this one ended (no caller ids to tell them apart)."""
        return self.title_end < len(self.lines)


def match_signature(text: str, header: str, pos: int) -> tuple[Signature | None, re.Match[str] | None]:
    """The first signature of `header` whose pattern matches the line from the header on."""
    merged = _MERGED_STAMP.search(text, pos + len(header)) if header in _PRINTK_REPORT_HEADERS else None
    end = merged.start() if merged else len(text)
    for sig in BY_HEADER[header]:
        m = sig.regex.search(text, 0 if sig.line_start else pos, end)
        if m is not None:
            return sig, m
    return None, None


def hit_lines(lines: LogLines, positions: list[int]) -> list[int]:
    """Indices of the lines holding the offsets `positions` of the joined text."""
    text = lines.text
    out: list[int] = []
    idx = 0
    last = 0
    for pos in positions:
        idx += text.count("\n", last, pos)
        last = pos
        if not out or out[-1] != idx:
            out.append(idx)
    return [i for i in out if i < len(lines)]


def scanned_hits(lines: LogLines, scan: HeaderScan) -> list[Hit]:
    """The hits of the lines the header pre-filter `scan` (fed `lines.text`) found, once normalised."""
    return find_hits(lines, header_lines(lines, hit_lines(lines, [c.start for c in scan.candidates()])))


def find_hits(lines: LogLines, heads: list[HeaderLine]) -> list[Hit]:
    """The header lines (normalize.header_lines) that really start or continue a crash report."""
    hits: list[Hit] = []
    kernel_ran_before = _KernelRanBefore(lines)
    for n, head in enumerate(heads):
        i, header, pos = head.index, head.header, head.pos
        text = lines[i].text
        sup = SUPPRESSIONS.get(header)
        if sup is not None and sup.search(text):
            continue
        if i + 1 < len(lines) and _REPLAY in lines.raw[i + 1]:
            continue
        if header == "Booting the kernel." and not kernel_ran_before(i):
            # The boot loader's line at the start of a console log is the first boot, not a reboot.
            continue
        text = _complete_wrapped(lines, i, header, pos)
        sig, m = match_signature(text, header, pos)
        if header in _NEEDS_SIGNATURE and (sig is None or not _required_below(lines, i, sig)):
            continue
        if header == _ARM_UNHANDLED and _signal_only(lines, i):
            continue
        if header in (CHAIN_BODY, NESTING_NOTE) and _chain_heading_above(lines, i):
            continue
        if header == CUT_HERE and _header_below(heads, n):
            continue
        if header == HUNG_NOTE and _hung_header_above(lines, i):
            continue
        if sig is not None and sig.name in WARN_MESSAGES and _warning_near(lines, i):
            continue
        hits.append(Hit(i, header, pos, sig, m))
    return hits


# The lines above a chain or a scenario that start a lockdep report themselves (kernel/locking/lockdep.c: the banners of
# print_circular_bug_header, print_deadlock_bug and the irq-inversion and lock-order reports, and their body's first
# line `%s/%d is trying to acquire lock:`).  The lines between them and the chain (`but task is already holding lock:`,
# `the existing dependency chain (in reverse order) is:`) start none: a quote cut below the banner and the first line
# starts at the chain.
_CHAIN_HEADINGS = ("circular locking dependency", "is trying to acquire", "lock order detected", "lock inversion dependency",
                   "recursive locking detected")
_CHAIN_LOOKBACK = 1000


def _chain_heading_above(lines: LogLines, i: int) -> bool:
    """Whether `-> #0 (` (signatures.CHAIN_BODY) or a recursive-locking scenario's note (signatures.NESTING_NOTE)
    continues a report whose heading is quoted above it: the chain's links print a stack of up to a few dozen lines
    each, so the heading is looked for up to _CHAIN_LOOKBACK lines up."""
    return _quoted_above(lines, i, _CHAIN_HEADINGS, _CHAIN_LOOKBACK)


def _quoted_above(lines: LogLines, i: int, headings: tuple[str, ...], lookback: int) -> bool:
    """Whether one of `headings` is in the `lookback` raw lines above line `i` (nearest first)."""
    raw = lines.raw
    return any(h in raw[j] for j in range(i - 1, max(-1, i - 1 - lookback), -1) for h in headings)


# kernel/hung_task.c check_hung_task's header, which its note (signatures.HUNG_NOTE) follows: other CPUs' and tasks'
# lines may come between in a console log, so it is looked for up to _HUNG_LOOKBACK raw lines up.
_HUNG_HEADINGS = ("blocked for more than", "can't die for more than")
_HUNG_LOOKBACK = 50


def _hung_header_above(lines: LogLines, i: int) -> bool:
    """Whether the hung-task note at line `i` continues a report whose header is quoted above it."""
    return _quoted_above(lines, i, _HUNG_HEADINGS, _HUNG_LOOKBACK)


# How far below the rule above a WARN() its header line is looked for: the message (a few lines) comes between.
_CUT_HERE_REACH = 12


def _header_below(heads: list[HeaderLine], n: int) -> bool:
    """Whether another header line follows the rule `heads[n]` (signatures.CUT_HERE) within _CUT_HERE_REACH lines:
    the rule then heads that report (its `WARNING:` line, `kernel BUG at`, a WARN message's row)."""
    i = heads[n].index
    return n + 1 < len(heads) and heads[n + 1].index - i <= _CUT_HERE_REACH


def _complete_wrapped(lines: LogLines, i: int, header: str, pos: int) -> str:
    """The header line `i`, joined with the line below when a quote's wrap cut its fixed text: in a log
    whose kernel lines carry printk times, the line below has none (wrapped.rest_of: and no header),
    and a signature row (the kernel's own format, e.g. kernel/panic.c __stack_chk_fail's
    `stack-protector: Kernel stack is corrupted in: %pB`, kernel/hung_task.c `blocked for more than`)
    matches the joined line into the rest, a row before the one the line alone matches (the table
    puts a format before the broader rows that would also read it).  panic()'s message is free text
    printed in one line (kernel/panic.c `Kernel panic - not syncing: %s`, kernel/exit.c do_exit's
    `Attempted to kill init! exitcode=0x%08x`): a line below of no shape the kernel prints after it
    is its rest (wrapped.message_continues); in a log with printk times only where the log reads as
    a filled quote (wrapped.filled), for elsewhere an unstamped line there is user space's."""
    text = lines[i].text
    if i + 1 >= len(lines) or (lines.stamped_log and lines[i + 1].stamped):
        return text
    rest = wrapped.rest_of(lines[i + 1].text)
    if rest is None:
        return text
    whole = wrapped.joined(text, rest)
    free_text = PANIC in text and wrapped.message_continues(rest)
    if not (free_text and (not lines.stamped_log or wrapped.filled(lines.raw))):
        if not lines.stamped_log and not wrapped.warn_site_below(text, rest):
            return text
        sig, m = match_signature(whole, header, pos)
        alone = match_signature(text, header, pos)[0]
        if sig is None or m is None or m.end() <= len(text.rstrip()) + 1 or not _before(header, sig, alone):
            return text
    lines[i].text, lines[i + 1].text = whole, ""
    return whole


def _before(header: str, sig: Signature, other: Signature | None) -> bool:
    """Whether the row `sig` comes before the row `other` (None: after all) among `header`'s rows."""
    rows = BY_HEADER[header]
    return other is None or rows.index(sig) < rows.index(other)


def _required_below(lines: LogLines, i: int, sig: Signature) -> bool:
    """Whether the lines just below a header common in other text hold what its row requires."""
    if sig.requires_regex is None:
        return True
    below = range(i + 1, min(len(lines), i + 1 + BODY_LINES))
    return any(sig.requires_regex.search(lines[j].text) for j in below)


def _warning_near(lines: LogLines, i: int) -> bool:
    """Whether a `WARNING:` line of a WARN() lies within _WARN_MESSAGE_LINES of its message at line `i`
    (signatures.WARN_MESSAGES): that line's report carries the message."""
    near = range(max(0, i - _WARN_MESSAGE_LINES), min(len(lines), i + 1 + _WARN_MESSAGE_LINES))
    return any("WARNING:" in lines[j].text for j in near if j != i)


def _signal_only(lines: LogLines, i: int) -> bool:
    """Whether the arm32 `Unhandled fault:` at line `i` was taken in user mode: arch/arm/mm/fault.c
    do_DataAbort prints it and the page table (show_pte), then arm_notify_die only signals a user-mode
    task, where a kernel-mode fault goes on to die()'s `Internal error:`.  So another `Unhandled
    fault:` before any `Internal error:` ends a fault the kernel survived."""
    for j in range(i + 1, min(len(lines), i + 1 + BODY_LINES)):
        text = lines[j].text
        if _ARM_DIE in text:
            return False
        if _ARM_UNHANDLED in text:
            return True
    return False


class _KernelRanBefore:
    """Whether a kernel line (timestamped) comes within 2000 lines before line `i`.  Asked with
    growing `i` (the candidates in order), so each line is looked at once, whatever the flood."""

    def __init__(self, lines: LogLines) -> None:
        self.lines = lines
        self.scanned = 0
        self.last = -1

    def __call__(self, i: int) -> bool:
        for j in range(max(self.scanned, i - 2000), i):
            if self.lines[j].stamped:
                self.last = j
        self.scanned = max(self.scanned, i)
        return 0 <= self.last < i and self.last >= i - 2000


def build_events(lines: LogLines, hits: list[Hit]) -> list[Event]:
    """Group hits into events: a panic / `invalid opcode` line continues the report before it."""
    events: list[Event] = []
    details: set[int] = set()
    for hit in hits:
        if events and (
            _slub_detail(events[-1], hit, lines)
            or _die_line_of(events[-1], hit, lines)
            or _same_stop(events[-1], hit, lines)
            or _inline_expansion(hit, lines)
            or _repeated_header(events[-1], hit, lines)
        ):
            events[-1].followers.append(hit)
            details.add(hit.index)
            continue
        if events and _continues(hit, lines):
            ctx = lines[hit.index].context
            owner = next((ev for ev in reversed(events[-8:]) if ev.context == ctx), events[-1])
            owner.followers.append(hit)
            continue
        if events and _carried_by_warn(events[-1], hit, lines):
            events.pop()
        events.append(Event(hit, lines[hit.index].context))
    if len(events) > MAX_EVENTS_HEAD + MAX_EVENTS_TAIL:
        # The first and last reports, and every panic or oops whatever flood surrounds it.
        tail = len(events) - MAX_EVENTS_TAIL
        events = [ev for n, ev in enumerate(events) if n < MAX_EVENTS_HEAD or n >= tail or _fatal(ev)]
    starts = {h.index for h in hits if h.index not in details and not _continues(h, lines)}
    for n, ev in enumerate(events):
        end_marker = _collect(lines, ev, starts)
        nxt = events[n + 1].start if n + 1 < len(events) else len(lines)
        ev.closed = end_marker < nxt
    return events


def _continues(hit: Hit, lines: LogLines) -> bool:
    """Whether the header line `hit` continues the report before it (signatures.CONTINUES_REPORT), unless its
    row is a report of its own (Signature.own_report: a stack-protector panic) and the line is not the
    panic's closing line (kernel/panic.c `---[ end Kernel panic - not syncing: %s ]---`)."""
    text = lines[hit.index].text
    if hit.signature is not None and hit.signature.own_report and _END_PANIC not in text:
        return False
    return CONTINUES_REPORT.search(text) is not None


def _fatal(ev: Event) -> bool:
    """A panic, an oops (the kernel called die()), or a report a panic line continues."""
    sig = ev.hit.signature
    return ev.hit.is_panic or (sig is not None and sig.die) or any(h.is_panic for h in ev.followers)


# Reports whose body holds SLUB's object trailer: SLUB's own checks, and a KASAN report of a SLUB_DEBUG kernel
# before 4.16 (mm/kasan/report.c print_address_description -> mm/slub.c object_err -> print_trailer ->
# print_tracking: `INFO: Allocated in %pS age=%lu cpu=%u pid=%d`, then `INFO: Freed in ...`).
_SLUB_TRAILER_REPORTS = frozenset({"slub-poison", "slub-debug", "kasan-access", "kasan-access-old"})


def _slub_detail(prev: Event, hit: Hit, lines: LogLines) -> bool:
    """Whether `hit` is a detail line (signatures.SLUB_DETAIL) of the SLUB report, or the SLUB-backed KASAN
    report, `prev`."""
    sig = prev.hit.signature
    return (
        sig is not None
        and sig.name in _SLUB_TRAILER_REPORTS
        and lines[hit.index].context == prev.context
        and SLUB_DETAIL.search(lines[hit.index].text) is not None
    )


# A symbolized line's inlined frame, as syzkaller's symbolizer writes it: `f fs/x.c:12 [inline]`.
_INLINE_END = " [inline]"


def _inline_expansion(hit: Hit, lines: LogLines) -> bool:
    """Whether the header line `hit` is the next inline level of the header right above it: a symbolizer
    (syzkaller's, which the reports of syzbot quote) prints a line holding a PC once per inlined frame,
    innermost first, each but the last ending `file:line [inline]`, its prefix repeated (`BUG: KASAN:
    use-after-free in ext4_search_dir fs/ext4/namei.c:1394 [inline]`, then `... in search_dirblock ...`):
    one report, whose header the first line is."""
    if hit.index == 0:
        return False
    above, text = lines[hit.index - 1].text, lines[hit.index].text
    return (
        above.endswith(_INLINE_END)
        and above.startswith(_inline_prefix(text))
        and lines[hit.index - 1].context == lines[hit.index].context
    )


# kernel/panic.c __warn's `WARNING: CPU: %d PID: %d at %s:%d %pS`: the part before the PC's symbol.
_WARN_HEAD = re.compile(wrapped.WARN_SITE_HEAD + " ")


def _inline_prefix(text: str) -> str:
    """What every inline level of the header line `text` repeats: up to its ` in ` (`BUG: KASAN: ... in `), or
    __warn's part before the symbol (`WARNING: CPU: 2 PID: 9004 at fs/sysfs/group.c:279 `); a line of neither
    shape has no inline levels (a prefix no line starts with)."""
    head, sep, _ = text.partition(" in ")
    if sep:
        return head + sep
    m = _WARN_HEAD.match(text)
    return m.group(0) if m else "\n"


# The raw lines _die_line_of looks down at most: its rows' counts of lines, and the empty ones a wrap's rests left.
_DIE_LINE_SPAN = 16


def _die_line_of(prev: Event, hit: Hit, lines: LogLines) -> bool:
    """A header line the kernel prints right below `prev`'s header as part of its report (signatures.FOLLOWS_HEADER:
    die()'s `double fault: 0000 [#1]`, a page fault's `#PF:` lines): one report, not two.  Lines a wrap's rest
    left empty (joined into the line above, normalize.LogLines) are not counted."""
    rows = [(header, most) for header, above, most in FOLLOWS_HEADER if hit.header == header and prev.hit.header == above]
    if not rows or hit.index - prev.start > _DIE_LINE_SPAN:
        return False
    below = sum(1 for i in range(prev.start + 1, hit.index + 1) if lines[i].text)
    return any(below <= most for _, most in rows)


def _same_stop(prev: Event, hit: Hit, lines: LogLines) -> bool:
    """Whether `hit` is another CPU's report of what `prev` reports, printed into it: the same row,
    the same context, `prev` cut before a frame of its own, and both registers stopped in the same
    function.  Each CPU prints its own report (kernel/watchdog.c watchdog_timer_fn, arch/x86/kernel/
    dumpstack.c die) and, without caller ids, the lines interleave: `prev`'s trace cannot be told
    from `hit`'s, which is the trace of the same stop."""
    if hit.signature is None or hit.signature is not prev.hit.signature:
        return False
    context = prev.context
    if lines[hit.index].context != context or hit.index - prev.start > _SAME_STOP_LINES:
        return False
    pc: str | None = None
    for i in range(prev.start + 1, hit.index):
        text = lines[i].text
        if lines[i].context != context:
            continue
        if parse_frames(text) or STACK_START.match(text):
            return False
        pc = pc or fault_pc(text)
    if pc is None:
        return False
    end = min(len(lines), hit.index + 1 + _SAME_STOP_LINES)
    later = (fault_pc(lines[i].text) for i in range(hit.index + 1, end) if lines[i].context == context)
    return next((fn for fn in later if fn is not None), None) == pc


# How far below a header its repetition may be: the line right below (a line between, such as KASAN's `Read of size`
# under one `BUG: KASAN:` and `Write of size` under the next, makes two reports of it).
_REPEAT_LINES = 1


def _repeated_header(prev: Event, hit: Hit, lines: LogLines) -> bool:
    """Whether `hit` repeats `prev`'s header line word for word right below it: one record printed twice
    (two consoles, netconsole and serial, writing to one capture; a second CPU entering the same fault path,
    whose header printk() interleaves before either body), not a report of its own with an empty body."""
    if hit.index - prev.start > _REPEAT_LINES or hit.signature is not prev.hit.signature:
        return False
    return lines[hit.index].text.strip() == lines[prev.start].text.strip() and lines[hit.index].context == prev.context


def _carried_by_warn(prev: Event, hit: Hit, lines: LogLines) -> bool:
    """Whether `hit` is the message of the WARN() that `prev` opened (signatures.WARN_CARRIED_KINDS):
    the report is the message's, not a generic WARNING."""
    sig = hit.signature
    return (
        prev.hit.header == "WARNING:"
        and sig is not None
        and sig.kind in WARN_CARRIED_KINDS
        and 0 < hit.index - prev.start <= _WARN_MESSAGE_LINES
        and lines[hit.index].context == prev.context
    )


_CIRCULAR = "possible circular locking dependency"
# Panics raised inside a reporter: kernel/panic.c add_taint `panic("panic_on_taint set ...")` (a reporter adds its
# taint: mm/slub.c object_err's TAINT_BAD_PAGE, which 6.12 adds before the stack dump) and check_panic_on_warn
# `panic("%s: panic_on_warn set ...")` (kernel/panic.c __warn, before dump_stack when the WARN has no registers).
_REPORTER_PANICS = ("panic_on_taint set", "panic_on_warn set")


def _untraced_reporter_panic(lines: LogLines, report: list[int], text: str) -> bool:
    """A panic line raised inside the report above it (_REPORTER_PANICS) before that report printed a trace (a SLUB
    object's hex dump can run 300 lines first): the panic's trace is the report's own.  Read only at a panic line."""
    return any(p in text for p in _REPORTER_PANICS) and not any("+0x" in lines[j].text for j in report[1:])


def _collect(lines: LogLines, ev: Event, starts: set[int]) -> int:
    """The report's lines: same context, bounded, cut at the panic epilogue.  Returns the first
    of them after the header that is an end marker (`---[ end trace`, a sanitizer's closing
    `=====`), or the log's length when none is."""
    start, context = ev.start, ev.context
    real_context = context[:1] in ("T", "C")
    ruled = _kind(ev) in _RULED_KINDS
    end_marker = size = len(lines)
    out = [start]
    title_end = 0
    nmi = False
    end = min(size, start + MAX_SCAN_LINES)
    for i, line in enumerate(lines.span(start + 1, end), start + 1):
        if line.context != context and not (nmi and line.context.startswith("C")):
            continue
        text = line.text
        if _NOISE in text:
            continue
        if _NMI_BACKTRACE in text:
            nmi = True
        if len(out) > 22 and ((PANIC in text and not _untraced_reporter_panic(lines, out, text)) or _CIRCULAR in text):
            break
        if (
            not title_end
            and not real_context
            and (i in starts or (("FAULT_" in text or "vmalloc:" in text) and ENDS_REPORT.search(text)))
        ):
            title_end = len(out)
        out.append(i)
        # Every _END_RULE match starts with `=`: the cheap test first.
        if end_marker == size and (_END_TRACE in text or (ruled and text[:1] == "=" and _END_RULE.match(text))):
            end_marker = i
        if len(out) >= MAX_REPORT_LINES:
            break
    ev.lines = out
    ev.title_end = title_end or len(out)
    return end_marker


# The register dump of arch/*/kernel/process.c __show_regs (x86 `RIP: 0010:%pS`, `RSP:`, `RAX:`, `FS:`,
# `CR2:`, `PKRU:`, `Code:`; arm64 `pc : %pS`, `lr :`, `sp :`, `x29:`; powerpc `NIP`, `LR`, `GPR00:`).
# The 2.6-3.x x86_64 oops closes with a summary (arch/x86/kernel/dumpstack_64.c __die: `printk(KERN_ALERT "RIP ");
# printk_address(regs->ip, 1); printk(" RSP <%016lx>\n", regs->sp);`): `RIP  [<addr>] f+0x1/0x2` and ` RSP <addr>`.
_REGISTER_LINE = re.compile(
    r"^\s*(?:[A-Z][A-Z0-9 ]{1,5}: ?|Code: |pc : |lr : |sp : |x\d{1,2} ?: |NIP |LR |RIP {1,4}\[<[0-9a-fA-F]|RSP <[0-9a-fA-F])"
)
_REGISTER_LINES = 24


def registers_above(lines: LogLines, start: int) -> list[str]:
    """The register dump printed right above line `start` in its context, nearest last; empty when
    the line above is no register line.  An oops prints its registers (__die -> show_regs; the 2.6-4.x
    i386 die() summary `EIP: [<%08lx>] %pS SS:ESP`), then oops_end -> oops_exit its end marker
    (kernel/panic.c print_oops_end_marker), then `panic("Fatal exception")` (arch/x86/kernel/
    dumpstack.c, arch/arm64/kernel/traps.c die): when the log lost the oops's header, that dump is
    what names the faulting function."""
    context = lines[start].context
    found: list[str] = []
    for i in range(start - 1, max(-1, start - 1 - _REGISTER_LINES), -1):
        line = lines[i]
        if line.context != context or (not found and _END_TRACE in line.text):
            continue
        if _REGISTER_LINE.match(line.text) is None:
            break
        found.append(line.text)
    return found[::-1]


def _named_report(panic_text: str, before: list[Event]) -> int | None:
    """The report a detector's panic names (`softlockup: hung tasks` -> a soft lockup).

    The detector panics right after its own reports, so whatever came before them (an RCU stall on
    the same spinning CPU) was survived, finished or not; of a run of such reports (every blocked
    task, every stuck CPU) the first is where the detector started."""
    kinds = next((k for reason, k in PANIC_NAMES_REPORT if reason in panic_text), None)
    if kinds is None:
        return None

    def named(ev: Event) -> bool:
        return _kind(ev) in kinds

    last = next((n for n in range(len(before) - 1, -1, -1) if named(before[n])), None)
    while last is not None and last > 0 and named(before[last - 1]):
        last -= 1
    return last


def choose_fatal(lines: LogLines, events: list[Event]) -> int | None:
    """Index (into `events`) of the fatal event; None if there is none.

    The trigger is the report the first `Kernel panic` line continues (or, for a panic that only
    says an earlier report was fatal, the report before it; a panic with its own reason is the
    trigger itself).  Without a panic line, an oops left unfinished (no `---[ end trace`) is where
    kdump fired or the machine died: the last report, if it is such an oops, is the trigger.
    Otherwise the first oops after only survived reports is (_first_unsurvived), else the first report.  From the trigger, walk back over reports it interrupted: a
    report that was not finished before the next began is the start of the cascade (fuzzing
    logs), while a finished one (a WARNING that printed its end marker) was survived.  A flood
    (a long run of one kind of report, such as thousands of `INFO: task ... blocked`) is neither
    a trigger nor a cascade: the panic or oops after it wins.
    """
    if not events:
        return None
    flooded = _flooded(events)
    trigger: int | None = None
    for n, ev in enumerate(events):
        if n in flooded:
            continue
        if ev.hit.is_panic:
            named = _named_report(lines[ev.start].text, events[:n])
            if named is not None:
                return named
            consequence = CONSEQUENCE_PANIC.search(lines[ev.start].text) is not None
            trigger = n - 1 if consequence and n > 0 else n
            break
        panic = next((h for h in ev.followers if h.is_panic), None)
        if panic is not None:
            named = _named_report(lines[panic.index].text, events[: n + 1])
            if named is not None:
                return named
            trigger = n
            break
    if trigger is None:
        kept = [n for n in range(len(events)) if n not in flooded]
        last = events[kept[-1]]
        sig = last.hit.signature
        if sig is not None and sig.die and not last.closed:
            trigger = kept[-1]
        else:
            return _first_unsurvived(lines, events, kept)
    while (
        trigger > 0
        and trigger - 1 not in flooded
        and not events[trigger - 1].closed
        and not _message_only(events[trigger - 1])
    ):
        trigger -= 1
    return trigger


def _first_unsurvived(lines: LogLines, events: list[Event], kept: list[int]) -> int:
    """Without a panic line: the first report, unless every report before the first oops (the kernel
    called die(): a task was killed) was survived, a WARNING that printed its end marker, or only a
    message; then that oops is the crash, the reports before it were noise the machine lived through,
    unless one of them ran in the oops's own task (_same_task): then it began the oops's chain."""
    first = next((n for n in kept if not _message_only(events[n])), kept[0])
    for n in kept:
        sig = events[n].hit.signature
        if sig is not None and sig.die:
            return _same_task(lines, events, [k for k in kept if k < n and not _message_only(events[k])], n)
        if not (events[n].closed or _message_only(events[n])):
            return _escalated_stall(lines, events, kept, first)
    return first


def _escalated_stall(lines: LogLines, events: list[Event], kept: list[int], first: int) -> int:
    """The first report, or the report that ends the log when the log is one task's stall seen by two detectors
    (signatures.STALL_ESCALATIONS: a stall warning, then the detector that ends the machine): a log cut before the
    panic line still ends in that report, the crash, and the warnings before it are the same bug's earlier sign."""
    run = kept[kept.index(first) :]
    kinds = [_kind(events[n]) for n in run]
    pair = (kinds[0], kinds[-1])
    if len(run) < 2 or pair not in STALL_ESCALATIONS or not set(kinds) <= set(pair):
        return first
    pid = _task(lines, events[run[-1]])
    return run[-1] if pid is not None and pid == _task(lines, events[first]) else first


def _kind(ev: Event) -> str | None:
    return ev.hit.signature.kind if ev.hit.signature is not None else None


# How many lines of a report its task line is looked for in (the header, the module list, `CPU:`).
_TASK_LINES = 12


def _task(lines: LogLines, ev: Event) -> str | None:
    """The PID of the task a report ran in, where its lines print it."""
    return next((pid for i in ev.lines[:_TASK_LINES] if (pid := task_pid(lines[i].text)) is not None), None)


def _same_task(lines: LogLines, events: list[Event], survived: list[int], oops: int) -> int:
    """The oops `oops`, or the first survived report before it that ran in the same task: a WARNING that task
    survived just before it was killed (a too-large allocation warned about, then the NULL it returned written)
    began one chain; a boot-time WARNING of another task did not."""
    pid = _task(lines, events[oops])
    if pid is None:
        return oops
    return next((k for k in survived if _task(lines, events[k]) == pid), oops)


def _flooded(events: list[Event]) -> set[int]:
    """Events in a run of more than FLOOD_RUN reports of one signature: a flood, never the trigger
    nor the start of a cascade (unless the log holds nothing else)."""
    out: set[int] = set()
    start = 0
    for n in range(1, len(events) + 1):
        if n < len(events) and _shape(events[n]) == _shape(events[start]):
            continue
        if n - start > FLOOD_RUN:
            out.update(range(start, n))
        start = n
    return out if len(out) < len(events) else set()


def _shape(ev: Event) -> str:
    return ev.hit.signature.name if ev.hit.signature is not None else ev.hit.header


def _message_only(ev: Event) -> bool:
    """A header line that is only a message (signatures.MESSAGE_ONLY): never the crash while a
    real report is in the log, and never the start of another report's cascade."""
    return ev.hit.signature is not None and ev.hit.signature.name in MESSAGE_ONLY
