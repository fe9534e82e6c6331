"""The pipeline: normalise lines, find events, choose the fatal one, title it, fingerprint it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kcrashd.core import events as ev_mod
from kcrashd.core.culprit import HARNESS_LINES, HARNESS_MARK, MESSAGE_LINES, harness_ran, message_named
from kcrashd.core.extract import extract_facts, extract_release
from kcrashd.core.fingerprint import (
    FINGERPRINT_VERSION,
    fingerprint_aliases,
    fingerprint_title,
    strict_fingerprint,
)
from kcrashd.core.frames import LAZY_PATTERNS
from kcrashd.core.headers import Flood, HeaderScan
from kcrashd.core.normalize import LogLines, load_lines
from kcrashd.core.report_parts import Severity, Unread
from kcrashd.core.report_record import Record, record_json, report_record
from kcrashd.core.signatures import SIGNATURES
from kcrashd.core.title import CulpritAdjust, Titled, title_report, title_type

if TYPE_CHECKING:
    from kcrashd.core.model import Report
    from kcrashd.core.operator_rules import OperatorRules

MAX_EXCERPT = 40
MAX_PRECEDING = 10
PRECEDING_LINES = 80
_PANIC_MSG = re.compile(r"Kernel panic - not syncing: ?(.*)")
# kernel/panic.c ends a panic with `---[ end Kernel panic - not syncing: %s ]---`: the message without the marker's tail.
_END_MARKER_TAIL = "]---"


def _title_event(lines: LogLines, event: ev_mod.Event, adjust: CulpritAdjust | None = None) -> Titled:
    texts = [lines[i].text for i in event.lines[: event.title_end]]
    if event.hit.signature is not None and event.hit.signature.name == ev_mod.HEADERLESS_PANIC:
        # A panic that only says an oops was fatal, with no oops left above it: its registers name the culprit.
        texts[1:1] = ev_mod.registers_above(lines, event.start)
    return title_report(event.hit.signature, event.hit.match, texts, event.hit.pos, adjust, cut=event.cut,
                        ran=event_harness(lines, event), said=event_message(lines, event, texts))  # fmt: skip


def event_message(lines: LogLines, event: ev_mod.Event, texts: list[str]) -> str | None:
    """The function the report's own message names (culprit.message_named), in the lines just above its header
    (whatever their capture prefix: a quote's wrapped lines have none) and just below it."""
    sig = event.hit.signature
    if sig is None or not sig.message_culprit:
        return None
    above = (lines[i].text for i in range(max(0, event.start - MESSAGE_LINES), event.start))
    return message_named(sig, [*above, *texts[: MESSAGE_LINES + 1]])


def event_harness(lines: LogLines, event: ev_mod.Event) -> str | None:
    """The test harness that says it ran the crash's code in the lines above the event (culprit.harness_ran)."""
    if HARNESS_MARK not in lines.text:
        return None
    return harness_ran(lines[i].text for i in range(max(0, event.start - HARNESS_LINES), event.start))


def _panic(lines: LogLines, hits: list[ev_mod.Hit]) -> tuple[bool, str | None]:
    """Whether the log has a `Kernel panic - not syncing` line, and the last one's message."""
    panicked, message = False, None
    for hit in hits:
        if hit.is_panic:
            m = _PANIC_MSG.search(lines[hit.index].text)
            if m:
                panicked, message = True, m.group(1).strip().removesuffix(_END_MARKER_TAIL).rstrip()[:200]
    return panicked, message


def _headers(data: bytes | str) -> tuple[LogLines, list[ev_mod.Hit], list[Unread]]:
    """The log's lines, its header hits (pre-filtered, floods set apart), what was left out."""
    lines, unread = load_lines(data)
    scan = HeaderScan()
    scan.feed(lines.text)
    unread += [_flood_lines(lines, flood) for flood in scan.floods()]
    hits = ev_mod.scanned_hits(lines, scan)
    return lines, hits, unread


def _flood_lines(lines: LogLines, flood: Flood) -> Unread:
    """The lines (numbered as in the file) of the header lines a flood pushed out."""
    first = lines.text.count("\n", 0, flood.first)
    last = first + lines.text.count("\n", flood.first, flood.last)
    return Unread(first_line=lines.number(first), last_line=lines.number(last), reason=flood.reason)


def analyze(data: bytes | str, *, source: str = "", rules: OperatorRules | None = None) -> Report:
    """Triage one kernel log.  Never raises: internal failures give a corrupted `unknown` report.

    `rules`: the operator's grouping rules (docs/grouping-rules.md); without them, or when none
    applies, the report is exactly the one triage gives alone."""
    from kcrashd.core.model import Report

    try:
        report = Report.model_validate(_analyze(data, source))
        return report if rules is None or rules.empty or not report.fingerprint else _ruled(data, source, report, rules)
    except Exception as exc:  # the daemon must keep going whatever the input
        return Report.model_validate(_failed(source, exc))


def analyze_json(data: bytes | str, *, source: str = "") -> str:
    """The JSON of `analyze(data, source=source)` (docs/report-schema.md), written without the
    report model: no pydantic is imported, no report validated (kcrashd analyze --format json)."""
    return record_json(_record(data, source))


def _record(data: bytes | str, source: str) -> Record:
    """The report's record.  Never raises: internal failures give a corrupted `unknown` report."""
    try:
        return _analyze(data, source)
    except Exception as exc:  # the daemon must keep going whatever the input
        return _failed(source, exc)


def _failed(source: str, exc: Exception) -> Record:
    """The report of a log whose analysis failed."""
    return report_record(
        source=source,
        kind="unknown",
        severity=Severity.ERROR,
        corrupted=True,
        corrupted_reason=f"internal error while parsing: {type(exc).__name__}",
    )


def prepare() -> None:
    """Build now what `analyze` builds on first use: the signature rows' patterns and the walks' lists
    (frames.LAZY_PATTERNS; a process about to fork workers builds them once for all)."""
    for sig in SIGNATURES:
        _ = (sig.regex, sig.skip_regex, sig.v3_skip_regex, sig.requires_regex)
    for lazy in LAZY_PATTERNS:
        _ = lazy.compiled


def has_crash(data: bytes | str) -> bool:
    """Whether the log holds a crash report (exactly when `analyze` finds one)."""
    record = _record(data, "")
    return record["kind"] != "none" and record["error"] is None


def _ruled(data: bytes | str, source: str, report: Report, rules: OperatorRules) -> Report:
    """The report with the operator's frame rules (the log titled again, its culprit walk
    adjusted) and then their fingerprint overrides applied.  The rules' code is loaded only here:
    a triage without rules (`kcrashd analyze` without --config) does not build their models."""
    from kcrashd.core.rule_application import CulpritWalk, apply_overrides, with_frame_rules

    if rules.frames:
        from kcrashd.core.model import Report

        walk = CulpritWalk(rules)
        report = with_frame_rules(report, Report.model_validate(_analyze(data, source, walk)), walk)
    return apply_overrides(rules, report)


def _analyze(data: bytes | str, source: str, adjust: CulpritAdjust | None = None) -> Record:
    lines, hits, unread = _headers(data)
    text = lines.text
    events = ev_mod.build_events(lines, hits)
    fatal = ev_mod.choose_fatal(lines, events)
    if fatal is None:
        return report_record(source=source, kind="none", kernel_release=extract_release(text), unread=unread)
    event = events[fatal]
    titled = _title_event(lines, event, adjust)
    report_texts = [lines[i].text for i in event.lines]
    facts = extract_facts(text, report_texts)
    panicked, panic_message = _panic(lines, hits)
    preceding: list[dict[str, object]] = []
    for n, other in enumerate(events):
        if n == fatal or len(preceding) >= MAX_PRECEDING:
            continue
        other.lines = other.lines[:PRECEDING_LINES]
        t = _title_event(lines, other)
        preceding.append(
            {"title": t.title, "kind": t.kind, "function": t.function, "line": lines.number(other.start)}
        )
    fn_names = [str(f["function"]) for f in facts.frames if f["reliable"]]
    return report_record(
        source=source,
        title=titled.title,
        alt_titles=titled.alts,
        kind=titled.kind,
        severity=titled.severity,
        function=titled.function,
        fingerprint=fingerprint_title(titled.title, titled.alts),
        fingerprint_version=FINGERPRINT_VERSION,
        fingerprint_aliases=fingerprint_aliases(titled.title, titled.alts, titled.previous, titled.before_v4, titled.before_v5),
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
        unread=unread,
    )
