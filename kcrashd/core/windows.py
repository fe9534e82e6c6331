"""Windows of a big log: the byte spans around the header candidates that triage analyses.

A big log (a serial console captured for weeks) is searched whole for header candidates
(kcrashd.core.headers), and only its head and a window around each kept candidate are decoded and
parsed.  The reader of a file (kcrashd.sources.logfile) cuts the same windows with `pread` and joins them
with in-band marks: a mark says at which byte and line of the file the next window starts, or which
byte range was not analysed and why.  Marks start with a NUL byte, which the reader removes from
the log's own bytes, so a log cannot forge one.  Between two windows, the bytes were searched for
header anchors and held none that was kept.
"""

from __future__ import annotations

import re

from kcrashd.core.headers import Candidate
from kcrashd.core.report_parts import Unread

HEAD_BYTES = 64 * 1024
WINDOW_BEFORE = 8 * 1024
WINDOW_AFTER = 384 * 1024
# Bytes of windows after the candidates of each class, shared among them (a window is never
# smaller than MIN_AFTER): the analysed text stays bounded whatever the candidates' spread.
FATAL_BUDGET = 8 * 1024 * 1024
OTHER_BUDGET = 4 * 1024 * 1024
MIN_AFTER = 16 * 1024

MARK = b"\x00kcrashd:"
_MARK_LINE = re.compile(rb"\x00kcrashd:(at|unread) (\d{1,15}) (\d{1,15})(?: ([ -~]{0,200}))?\x00\n")


def spans(cands: list[Candidate], size: int) -> list[tuple[int, int]]:
    """Merged byte spans to analyse: the head, and a window around every candidate."""
    n_fatal = sum(1 for c in cands if c.fatal)
    after_fatal = _share(FATAL_BUDGET, n_fatal)
    after_other = _share(OTHER_BUDGET, len(cands) - n_fatal)
    out: list[list[int]] = [[0, min(size, HEAD_BYTES)]]
    for c in cands:
        start = max(0, c.start - WINDOW_BEFORE)
        end = min(size, c.start + (after_fatal if c.fatal else after_other))
        if start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out if b > a]


def whole_lines(buf: bytes, start: int, end: int, complete: bool) -> tuple[int, int]:
    """`buf[start:end]` widened back to its first line's start and, unless `buf` reaches the log's
    end (`complete`), cut after its last newline (one huge line keeps its start)."""
    start = buf.rfind(b"\n", 0, start) + 1 if start else 0
    if not complete:
        cut = buf.rfind(b"\n", start, end)
        end = cut + 1 if cut >= start else end
    return start, end


def _share(budget: int, count: int) -> int:
    return WINDOW_AFTER if count == 0 else max(MIN_AFTER, min(WINDOW_AFTER, budget // count))


def at_mark(offset: int, line: int) -> bytes:
    """The mark before a window that starts at byte `offset`, line `line` (1-based) of the log."""
    return b"%skcrashd:at %d %d\x00\n" % (b"\x00", offset, line)


def unread_mark(gap: Unread) -> bytes:
    """The mark that records a byte range that was not analysed."""
    reason = gap.reason.encode("ascii", "replace")[:200].replace(b"\x00", b" ").replace(b"\n", b" ")
    return b"%skcrashd:unread %d %d %s\x00\n" % (b"\x00", gap.start or 0, gap.end or 0, reason)


def split_marked(data: bytes) -> tuple[list[tuple[int, bytes]], list[Unread]]:
    """A marked log as (first line number, bytes) windows, and the unread ranges its marks name."""
    runs, gaps = split_marked_at(data)
    return [(line, data[start:end]) for start, end, _offset, line in runs], gaps


def split_marked_at(data: bytes) -> tuple[list[tuple[int, int, int, int]], list[Unread]]:
    """A marked log as runs of the log's own bytes, each (start, end) in `data` with the byte
    offset and line number in the file its mark gives, and the unread ranges its marks name."""
    runs: list[tuple[int, int, int, int]] = []
    gaps: list[Unread] = []
    offset, line, pos = 0, 1, 0
    for m in _MARK_LINE.finditer(data):
        if m.start() > pos:
            runs.append((pos, m.start(), offset, line))
        pos = m.end()
        kind, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        if kind == b"at":
            offset, line = a, b
        else:
            gaps.append(Unread(start=a, end=b, reason=(m.group(4) or b"").decode("ascii")))
    if pos < len(data):
        runs.append((pos, len(data), offset, line))
    return runs, gaps
