"""Find every crash report in a log, cut out its text, and choose the fatal one.

A report starts at a header line (signatures.HEADERS) and keeps the lines of the same printk
context.  The fatal event is the cause of the final `Kernel panic - not syncing`, or, when the log
has no panic line (kdump fired at the oops), the last oops; earlier events become `preceding`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kcrashd.core.model import Severity
from kcrashd.core.normalize import Line
from kcrashd.core.signatures import (
    BY_HEADER,
    CONSEQUENCE_PANIC,
    CONTINUES_REPORT,
    HEADER_RE,
    HEADERS,
    SUPPRESSIONS,
    Signature,
)

MAX_REPORT_LINES = 400
_PANIC = "Kernel panic - not syncing"
_NMI_BACKTRACE = "Sending NMI from CPU"
_USEFUL_END = re.compile(r"Kernel panic - not syncing|possible circular locking dependency")
_NOISE = re.compile(r"Disabling lock debugging due to kernel taint")
# Headers too common in ordinary text to count without a matching signature.
_NEEDS_SIGNATURE = frozenset({"Kernel panic", "fatal error:", "Booting the kernel."})
_REPLAY = "** replaying previous printk message **"


@dataclass(slots=True)
class Hit:
    """A header line: where, which header, which signature matched (None: no format matched)."""

    index: int
    header: str
    pos: int
    signature: Signature | None
    match: re.Match[str] | None


@dataclass(slots=True)
class Event:
    """One crash report: its header hit and the indices of the lines that belong to it."""

    hit: Hit
    context: str
    lines: list[int] = field(default_factory=list)
    followers: list[Hit] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.hit.index


def _header_in(text: str) -> tuple[str, int] | None:
    """The first header (in table order) that occurs in `text` at a word start, or None."""
    if HEADER_RE.search(text) is None:
        return None
    for header in HEADERS:
        pos = text.find(header)
        if pos >= 0:
            return header, pos
    return None


def match_signature(text: str, header: str, pos: int) -> tuple[Signature | None, re.Match[str] | None]:
    """The first signature of `header` whose pattern matches the line from the header on."""
    for sig in BY_HEADER[header]:
        m = sig.regex.search(text, pos)
        if m is not None:
            return sig, m
    return None, None


def find_hits(lines: list[Line]) -> list[Hit]:
    """Every line that starts or continues a crash report."""
    hits: list[Hit] = []
    for i, line in enumerate(lines):
        text = line.text
        found = _header_in(text)
        if found is None:
            continue
        header, pos = found
        sup = SUPPRESSIONS.get(header)
        if sup is not None and sup.search(text):
            continue
        if i + 1 < len(lines) and _REPLAY in lines[i + 1].text:
            continue
        if header == "Booting the kernel." and not any(ln.stamped for ln in lines[:i]):
            continue
        sig, m = match_signature(text, header, pos)
        if sig is None and header in _NEEDS_SIGNATURE:
            continue
        hits.append(Hit(i, header, pos, sig, m))
    return hits


def build_events(lines: list[Line], hits: list[Hit]) -> list[Event]:
    """Group hits into events: a panic / `invalid opcode` line continues the report before it."""
    events: list[Event] = []
    for hit in hits:
        if events and CONTINUES_REPORT.search(lines[hit.index].text):
            events[-1].followers.append(hit)
            continue
        events.append(Event(hit, lines[hit.index].context))
    real_contexts = any(ln.context[:1] in ("T", "C") for ln in lines[:: max(1, len(lines) // 200)])
    for n, ev in enumerate(events):
        stop = len(lines)
        if not real_contexts and n + 1 < len(events):
            stop = events[n + 1].start
        ev.lines = _collect(lines, ev.start, ev.context, stop)
    return events


def _collect(lines: list[Line], start: int, context: str, stop: int) -> list[int]:
    """Indices of the report's lines: same context, bounded, cut at the panic epilogue."""
    out = [start]
    nmi = False
    for i in range(start + 1, stop):
        line = lines[i]
        if line.context != context and not (nmi and line.context.startswith("C")):
            continue
        if _NOISE.search(line.text):
            continue
        if _NMI_BACKTRACE in line.text:
            nmi = True
        if len(out) > 22 and _USEFUL_END.search(line.text):
            break
        out.append(i)
        if len(out) >= MAX_REPORT_LINES:
            break
    return out


def is_panic(lines: list[Line], hit: Hit) -> bool:
    return _PANIC in lines[hit.index].text


def choose_fatal(lines: list[Line], events: list[Event]) -> int | None:
    """Index (into `events`) of the fatal event; None if there is none.

    With a panic line: a panic that only says an earlier report was fatal (Fatal exception,
    panic_on_warn, hung_task, ...) belongs to the report it follows; a panic with its own reason
    (sysrq, stack-protector, init killed) is the fatal event unless an oops of the same task just
    caused it.  Without a panic line: the first oops (what the machine died of when kdump fired
    at it) - survived WARNINGs and stalls before it are `preceding`.
    """
    if not events:
        return None
    panic_event: int | None = None
    panic_hit: Hit | None = None
    for n, ev in enumerate(events):
        for hit in (ev.hit, *ev.followers):
            if is_panic(lines, hit):
                panic_event, panic_hit = n, hit
                break
        if panic_event is not None:
            break
    if panic_event is not None and panic_hit is not None:
        if panic_hit is events[panic_event].hit:
            # The panic opened its own event: its reason is the crash, unless it is a consequence
            # of an earlier report of the same log.
            if CONSEQUENCE_PANIC.search(lines[panic_hit.index].text) and panic_event > 0:
                return _first_serious(events[:panic_event])
            return panic_event
        return _first_serious(events[: panic_event + 1])
    return _first_serious(events)


_RANK = {Severity.CRITICAL: 3, Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


def _first_serious(events: list[Event]) -> int:
    """The first event of the highest severity among `events`."""
    best, best_rank = 0, -1
    for n, ev in enumerate(events):
        sig = ev.hit.signature
        rank = _RANK[sig.severity] if sig is not None else 0
        if rank > best_rank:
            best, best_rank = n, rank
    return best
