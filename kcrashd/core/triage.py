"""The pipeline: normalise lines, find events, choose the fatal one, title it, fingerprint it."""

from __future__ import annotations

import re

from kcrashd.core import events as ev_mod
from kcrashd.core.culprit import find_culprit
from kcrashd.core.extract import extract_facts, extract_release
from kcrashd.core.fingerprint import (
    FINGERPRINT_VERSION,
    fingerprint_aliases,
    fingerprint_title,
    strict_fingerprint,
)
from kcrashd.core.frames import fault_pc
from kcrashd.core.model import Event, Report, Severity
from kcrashd.core.normalize import Line, normalize_lines
from kcrashd.core.signatures import KIND_BY_FUNCTION, Signature, Strategy
from kcrashd.core.title import culprit_forms, fill, normalize_title, title_type

MAX_EXCERPT = 40
MAX_PRECEDING = 10
PRECEDING_LINES = 80
_RW = re.compile(r"^(Read|Write) (?:of size|at addr)")
_TIMESTAMP_IN_TITLE = re.compile(r"\[\s*\d+\.\d+\]")
_PANIC_MSG = re.compile(r"Kernel panic - not syncing: ?(.*)")
_STACK_START = re.compile(r"^\s*(?:Call Trace|Call trace|Backtrace|backtrace|Allocated by task|Freed by task)")


class _Titled:
    """Title, culprit and corruption verdict of one event."""

    __slots__ = ("alts", "corrupted_reason", "function", "kind", "severity", "signature", "title")

    def __init__(self) -> None:
        self.title = ""
        self.alts: list[str] = []
        self.function: str | None = None
        self.kind = "unknown"
        self.severity = Severity.CRITICAL
        self.corrupted_reason: str | None = None
        self.signature: str | None = None


def _title_event(lines: list[Line], event: ev_mod.Event) -> _Titled:
    out = _Titled()
    texts = [lines[i].text for i in event.lines]
    hit = event.hit
    sig: Signature | None = hit.signature
    if sig is None or hit.match is None:
        out.title = normalize_title(texts[0][hit.pos :])
        out.kind = "unknown"
        return out
    out.kind = sig.kind
    out.severity = sig.severity
    out.signature = sig.name
    culprit = find_culprit(sig, texts)
    rw = ""
    if "{RW}" in sig.title:
        for text in texts[1:6]:
            m = _RW.match(text.strip())
            if m:
                rw = m.group(1)
                break
        if not rw:
            out.corrupted_reason = "no Read/Write line in the sanitizer report"
    groups = hit.match.groups()
    short: str | None = None
    others: list[str] = []
    if culprit.function is not None:
        short, others = culprit_forms(culprit.function)
        for alt in culprit.alternatives:
            others.append(alt)
    raw_title = fill(sig.title, groups, short, rw)
    out.title = normalize_title(raw_title)
    alts: list[str] = []
    for other in others:
        alts.append(normalize_title(fill(sig.title, groups, other, rw)))
    for template in sig.alts:
        for name in (short, *others):
            alts.append(normalize_title(fill(template, groups, name, rw)))
    out.alts = [a for a in dict.fromkeys(alts) if a != out.title]
    if "{F}" in sig.title:
        out.function = short
    if sig.corrupted:
        out.corrupted_reason = out.corrupted_reason or "the report's real header was lost"
    elif "{F}" in sig.title and short is None:
        out.corrupted_reason = "extracted no frames"
    elif _TIMESTAMP_IN_TITLE.search(raw_title):
        out.corrupted_reason = "title contains a timestamp: lines were merged"
    elif sig.strategy is not Strategy.NONE and not any(_STACK_START.match(t) or fault_pc(t) for t in texts):
        out.corrupted_reason = out.corrupted_reason or "no stack trace in report"
    if sig.strategy is Strategy.PANIC and out.function is None:
        out.function = culprit.function
    override = KIND_BY_FUNCTION.get(out.function or "")
    if override is not None:
        out.kind = override
    return out


def analyze(data: bytes | str, *, source: str = "") -> Report:
    """Triage one kernel log.  Never raises: internal failures give a corrupted `unknown` report."""
    try:
        return _analyze(data, source)
    except Exception as exc:  # the daemon must keep going whatever the input
        return Report(
            source=source,
            kind="unknown",
            severity=Severity.ERROR,
            corrupted=True,
            corrupted_reason=f"internal error while parsing: {type(exc).__name__}",
        )


def has_crash(data: bytes | str) -> bool:
    """Whether the log holds a crash report (exactly when `analyze` finds one)."""
    return analyze(data).has_crash


def _analyze(data: bytes | str, source: str) -> Report:
    lines = normalize_lines(data)
    hits = ev_mod.find_hits(lines)
    events = ev_mod.build_events(lines, hits)
    fatal = ev_mod.choose_fatal(lines, events)
    if fatal is None:
        return Report(source=source, kind="none", kernel_release=extract_release([ln.text for ln in lines[:2000]]))
    event = events[fatal]
    titled = _title_event(lines, event)
    report_texts = [lines[i].text for i in event.lines]
    facts = extract_facts([ln.text for ln in lines[:2000]], report_texts)
    panic_message = None
    panicked = False
    for hit in hits:
        m = _PANIC_MSG.search(lines[hit.index].text)
        if m:
            panicked = True
            panic_message = m.group(1).strip()[:200]
    preceding: list[Event] = []
    for n, other in enumerate(events):
        if n == fatal or len(preceding) >= MAX_PRECEDING:
            continue
        other.lines = other.lines[:PRECEDING_LINES]
        t = _title_event(lines, other)
        preceding.append(Event(title=t.title, kind=t.kind, function=t.function, line=other.start + 1))
    fn_names = [f.function for f in facts.frames if f.reliable]
    return Report(
        source=source,
        title=titled.title,
        alt_titles=titled.alts,
        kind=titled.kind,
        severity=titled.severity,
        function=titled.function,
        fingerprint=fingerprint_title(titled.title),
        fingerprint_version=FINGERPRINT_VERSION,
        fingerprint_aliases=fingerprint_aliases(titled.title),
        strict_fingerprint=strict_fingerprint(titled.title, fn_names),
        corrupted=titled.corrupted_reason is not None,
        corrupted_reason=titled.corrupted_reason,
        panicked=panicked,
        panic_message=panic_message,
        kernel_release=facts.release,
        arch=facts.arch,
        hardware=facts.hardware,
        comm=facts.comm,
        pid=facts.pid,
        cpu=facts.cpu,
        taint=facts.taint,
        modules=facts.modules,
        ip=facts.ip,
        frames=facts.frames,
        preceding=preceding,
        excerpt=[t[:300] for t in report_texts[:MAX_EXCERPT]],
        signature=titled.signature,
        crash_type=title_type(titled.title),
    )
