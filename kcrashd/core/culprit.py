"""Pick the culprit function of a report from its lines, per the signature's strategy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kcrashd.core import frames
from kcrashd.core.signatures import Signature, Strategy

_HEADER_FN = re.compile(r"([A-Za-z_$][A-Za-z0-9_$.]*)\+0x[0-9a-fA-F]+")
_HEADER_IN = re.compile(r"\bin:? ([A-Za-z_$][A-Za-z0-9_$.]*)\s*(?:\[\S+\])?\s*$")
_AT_LINE = re.compile(r"(?:, at:|\bat:) (?:\[<[0-9a-fA-F]+>\]\s+)?([A-Za-z_$][A-Za-z0-9_$.]*)\+0x")
_IRQ_ENTRY = re.compile(
    r"(?:^\s*(?:apic_timer_interrupt|smp_apic_timer_interrupt|sysvec_apic_timer_interrupt|"
    r"asm_sysvec_apic_timer_interrupt|el1h_64_irq|el1_irq|__irq_svc|gic_handle_irq)\+0x|"
    r"\](?:\s+\?)?\s+(?:apic_timer_interrupt|smp_apic_timer_interrupt)\+0x|Exception stack\(|"
    r"^\s*</IRQ>|^\s*<EOI>)"
)
_NEW_STACK = re.compile(
    r"^(?:Allocated by task|Freed by task|\s*backtrace(?: \(crc [0-9a-f]+\))?:|Uninit was (?:stored|created)|"
    r"Last potentially related work|Second to last potentially|The buggy address belongs|Memory state around)"
)
_LEAK_START = re.compile(r"^\s*backtrace(?: \(crc [0-9a-f]+\))?:")


@dataclass(slots=True)
class Candidate:
    """A frame that could be the culprit, with the line it came from."""

    function: str
    line: int


@dataclass(slots=True)
class Culprit:
    """The chosen function and extra names for alternative titles."""

    function: str | None
    alternatives: list[str] = field(default_factory=list)


def _candidates(texts: list[str], start: int = 0, header: str | None = None) -> list[Candidate]:
    """Frames in line order: header function, fault PCs and call-trace lines, until a new stack."""
    out: list[Candidate] = []
    if header is not None:
        m = _HEADER_FN.search(header)
        if m is None:
            m = _HEADER_IN.search(header)
        if m is not None:
            out.append(Candidate(frames.clean_function(m.group(1)), 0))
    for i in range(start, len(texts)):
        text = texts[i]
        if i > 0 and _NEW_STACK.match(text):
            break
        pc = frames.fault_pc(text)
        if pc is not None:
            out.append(Candidate(pc, i))
            continue
        for fr in frames.parse_frames(text):
            if fr.reliable:
                out.append(Candidate(fr.function, i))
    return out


def _first(cands: list[Candidate], extra: re.Pattern[str] | None) -> str | None:
    for c in cands:
        if not frames.is_skipped(c.function, extra):
            return c.function
    return None


def _stall(cands: list[Candidate], extra: re.Pattern[str] | None) -> str | None:
    """Walk down to the first dispatcher anchor and take the nearest useful frame above it."""
    last_good: str | None = None
    for c in cands:
        name = c.function
        if frames.FAULT_ENTRY.match(name):
            last_good = None
            continue
        if frames.STALL_ANCHORS.match(frames.strip_syscall(name)) or frames.STALL_ANCHORS.match(name):
            if name.startswith("smp_call_function"):
                return name
            if last_good is not None:
                return last_good
            continue
        if not frames.is_skipped(name, extra) and not frames.STALL_EXTRA_SKIP.match(name):
            last_good = name
    # No anchor: the deepest useful frame is the most stable guess.
    return last_good if last_good is not None else _first(cands, extra)


def _hang(cands: list[Candidate]) -> Culprit:
    names = [c.function for c in cands]
    for n in names:
        if frames.HANG_SYNC.match(n):
            alts = [n] if n != "synchronize_rcu" else []
            return Culprit("synchronize_rcu", alts)
    for n in names:
        if frames.HANG_RTNL.match(n):
            return Culprit("rtnl_lock")
    for n in names:
        if not frames.HANG_SKIP.match(n) and not frames.is_skipped(n):
            return Culprit(n)
    return Culprit(None)


def find_culprit(sig: Signature, texts: list[str]) -> Culprit:
    """The culprit of a report; `texts` are the report's message lines, the header first."""
    header = texts[0] if texts else ""
    extra = sig.skip_regex
    strategy = sig.strategy
    if strategy is Strategy.NONE:
        return Culprit(None)
    if strategy is Strategy.HANG:
        return _hang(_candidates(texts, 1))
    if strategy is Strategy.LEAK:
        for i, text in enumerate(texts):
            if _LEAK_START.match(text):
                return Culprit(_first(_candidates(texts, i + 1), extra))
        return Culprit(None)
    if strategy is Strategy.LOCKDEP:
        ats = [Candidate(frames.clean_function(m.group(1)), i) for i, t in enumerate(texts) if (m := _AT_LINE.search(t))]
        fn = _first(ats[:2], extra)
        if fn is None:
            fn = _first(_candidates(texts, 1), extra)
        return Culprit(fn)
    if strategy is Strategy.RCU_STALL:
        start = 1
        for i, text in enumerate(texts):
            if _IRQ_ENTRY.search(text):
                start = i + 1
                break
        return Culprit(_stall(_candidates(texts, start), extra))
    if strategy is Strategy.STALL:
        return Culprit(_stall(_candidates(texts, 1, header), extra))
    if strategy is Strategy.TRACE:
        return Culprit(_first(_candidates(texts, 1, header), extra))
    if strategy is Strategy.PANIC:
        return Culprit(_first(_candidates(texts, 1, header), extra))
    return Culprit(_first(_candidates(texts, 1, header), extra))
