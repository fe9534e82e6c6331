"""Cutting a stretch of kernel lines from the journal into reports, with the core's own header
detection (kcrashd.core.events): the same headers, contexts and end markers as in a dump's log,
so a report triaged here gets the fingerprint it would get from the dump.

No I/O: lines in, report texts out. Each report is then triaged by the pipeline's `analyze`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kcrashd.core import events
from kcrashd.core.headers import HeaderScan
from kcrashd.core.normalize import load_lines
from kcrashd.sources.kernel_journal import KernelLine

# A report begun this close to the end of a stretch that is not finished yet may still be growing:
# its lines are kept for the next stretch.
OPEN_TAIL = events.MAX_REPORT_LINES


@dataclass(frozen=True, slots=True)
class ReportText:
    """One report: the journal line of its header, and its lines in the form `dmesg` prints."""

    header: KernelLine
    text: str
    last: int  # index (in the stretch) of the report's last line


@dataclass(frozen=True, slots=True)
class Split:
    """A stretch cut into reports; lines from `keep_from` on are not finished and stay for later."""

    reports: list[ReportText]
    keep_from: int


def split_reports(lines: list[KernelLine], *, finished: bool) -> Split:
    """The reports in `lines`. With `finished` False (more lines follow), a report that starts in
    the last OPEN_TAIL lines is left, with everything after it, for the next stretch."""
    if not lines:
        return Split([], 0)
    text = "\n".join(line.dmesg() for line in lines) + "\n"
    log, _unread = load_lines(text)
    scan = HeaderScan()  # the core's header pre-filter, as kcrashd.core.triage uses it
    scan.feed(log.text)
    hits = events.scanned_hits(log, scan)
    found = events.build_events(log, hits)
    keep_from = len(lines)
    reports: list[ReportText] = []
    starts = [log.number(event.start) - 1 for event in found]
    for n, event in enumerate(found):
        start = starts[n]
        if not finished and start >= len(lines) - OPEN_TAIL:
            keep_from = start
            break
        last = max(log.number(i) - 1 for i in event.lines)
        for follower in event.followers:  # the panic line that continues the report
            last = max(last, log.number(follower.index) - 1)
        if n + 1 < len(found):  # a report ends where the next one begins: its text is not this one's
            last = min(last, max(start, starts[n + 1] - 1))
        body = "\n".join(line.dmesg() for line in lines[start : last + 1]) + "\n"
        reports.append(ReportText(lines[start], body, last))
    return Split(reports, keep_from)
