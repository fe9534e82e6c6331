"""The part of a crash's log kept in the state for `kcrashd retriage`: at most KEEP_BYTES.

A log up to KEEP_BYTES is kept whole, so a retriage reads exactly what triage read. A bigger one
(a serial console of weeks, a syzkaller log) is cut to the windows triage needs, chosen in this
order until the budget is spent:

1. the report triage chose: the header line holding the report's first excerpt line, from
   WINDOW_BEFORE bytes before it to FATAL_AFTER after it (its trace, registers, `Modules linked
   in`, a KASAN report's allocation and free stacks);
2. the other panic or oops headers (the `Kernel panic` line the report continues), then the other
   report headers (survived WARNINGs, stalls), nearest to the chosen report first, each with
   WINDOW_BEFORE before and OTHER_AFTER after: those within SCAN_BYTES around it (a log with no
   report: of its end), so the cost of the choice is bounded whatever the log's size;
3. the log's head (`Linux version`, the command line), HEAD_BYTES.

Windows are cut to whole lines and joined with the marks of kcrashd.core.windows: line numbers in a
retriaged report are the file's, and each cut range is an `unread` entry of the report. A retriage
of a cut log can re-title, re-key and re-choose among the kept reports (new signature rows, culprit
rules, fingerprint overrides, a new FINGERPRINT_VERSION); it cannot see what was cut (a report far
from the chosen one, more than FATAL_AFTER bytes of one report, events between windows).
"""

from __future__ import annotations

from dataclasses import dataclass

from kcrashd.core.headers import HeaderScan
from kcrashd.core.model import Report, Unread
from kcrashd.core.windows import MARK, at_mark, split_marked_at, unread_mark

KEEP_BYTES = 64 * 1024
WINDOW_BEFORE = 2 * 1024
FATAL_AFTER = 24 * 1024
OTHER_AFTER = 4 * 1024
HEAD_BYTES = 4 * 1024
SCAN_BYTES = 256 * 1024  # other headers are looked for this near the chosen report (a bounded scan)
NOT_KEPT = "not kept in the state (kcrashd keeps at most 64 KiB of a log for retriage)"


@dataclass(frozen=True)
class Segment:
    """A run of the log's own bytes in `data[start:end]`: at byte `offset`, line `line` of the file."""

    start: int
    end: int
    offset: int
    line: int


def keep_log(data: bytes, report: Report, limit: int = KEEP_BYTES) -> bytes:
    """The bytes of `data` (as triage read it, maybe marked) to keep for retriage: at most `limit`
    of the log's own bytes, plus marks."""
    if len(data) <= limit:
        return data
    segments, gaps = _segments(data)
    parts = [unread_mark(gap) for gap in gaps]
    kept_to = 0  # the file offset after the last kept piece
    cursor, line = 0, 1  # lines are counted once, forwards: spans and segments are in order
    for start, end in _chosen(data, report, limit):
        for seg in segments:
            a, b = max(start, seg.start), min(end, seg.end)
            if a >= b:
                continue
            if cursor < seg.start:
                cursor, line = seg.start, seg.line
            line += data.count(b"\n", cursor, a)
            cursor = a
            offset = seg.offset + (a - seg.start)
            if offset > kept_to:
                parts.append(unread_mark(Unread(start=kept_to, end=offset, reason=NOT_KEPT)))
            parts += [at_mark(offset, line), data[a:b]]
            kept_to = offset + (b - a)
    last = segments[-1]
    size = last.offset + (last.end - last.start)
    if size > kept_to:
        parts.append(unread_mark(Unread(start=kept_to, end=size, reason=NOT_KEPT)))
    return b"".join(parts)


def _segments(data: bytes) -> tuple[list[Segment], list[Unread]]:
    """The log's own bytes in `data` (a marked log has several runs) and the gaps its marks name."""
    if MARK not in data:
        return [Segment(0, len(data), 0, 1)], []
    runs, gaps = split_marked_at(data)
    return [Segment(s, e, offset, line) for s, e, offset, line in runs], gaps


def _chosen(data: bytes, report: Report, limit: int) -> list[tuple[int, int]]:
    """Whole-line spans of `data`, in order, merged, whose bytes add up to at most `limit`."""
    first = report.excerpt[0].strip().encode("utf-8", "replace") if report.excerpt else b""
    at = data.find(first) if first else -1
    at = data.rfind(b"\n", 0, at) + 1 if at >= 0 else -1  # the chosen report's header line
    pivot = at if at >= 0 else len(data)
    hi = min(len(data), max(pivot + SCAN_BYTES // 2, SCAN_BYTES))
    lo, hi = _whole_lines(data, max(0, hi - SCAN_BYTES), hi)
    scan = HeaderScan()
    scan.feed(data[lo:hi], lo)
    rest = sorted((c for c in scan.candidates() if c.start != at), key=lambda c: (not c.fatal, abs(c.start - pivot)))
    wanted = [(at - WINDOW_BEFORE, at + FATAL_AFTER)] if at >= 0 else []
    wanted += [(c.start - WINDOW_BEFORE, c.start + OTHER_AFTER) for c in rest]
    wanted.append((0, HEAD_BYTES))
    spans: list[tuple[int, int]] = []
    left = limit
    for start, end in wanted:
        for a, b in _uncovered(spans, max(0, start), min(len(data), end)):
            a, b = _whole_lines(data, a, min(b, a + left))
            if b > a:
                spans.append((a, b))
                left -= b - a
        spans = _merged(spans)  # touching windows become one: the next window has fewer to skip
        if left <= 0:
            break
    return spans


def _uncovered(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of [start, end) no span covers yet."""
    out = [(start, end)]
    for a, b in spans:
        out = [piece for s, e in out for piece in ((s, min(e, a)), (max(s, b), e)) if piece[1] > piece[0]]
    return out


def _whole_lines(data: bytes, start: int, end: int) -> tuple[int, int]:
    """[start, end) cut to the whole lines it holds (a line started before `start` is left out,
    as is one that runs past `end`, unless the span holds no whole line: then it is kept cut)."""
    if start and data[start - 1 : start] != b"\n":
        nl = data.find(b"\n", start, end)
        start = nl + 1 if nl >= 0 else start
    if end < len(data):
        nl = data.rfind(b"\n", start, end)
        end = nl + 1 if nl >= 0 else end
    return start, end


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]
