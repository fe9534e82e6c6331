"""The header search: which lines of a log may start a crash report, found in one streaming pass.

A cheap pre-filter first: only lines that contain a literal anchor of the signature table (`BUG:`,
`Kernel panic`, ...) are candidates, found with `find` (no regex touches the other lines).  The
log is fed in pieces of any size, in order, so a file of any size is searched in bounded memory.

Floods (thousands of `INFO: task ... blocked` lines) cannot hide the crash: a candidate is fatal
when a panic or oops signature (`die`, or a `Kernel panic` row) matches its line, and fatal and
other candidates are kept apart, each as its first and last ones.  What a flood pushes out is
counted, and its range becomes an `unread` entry of the report.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import AnyStr, Generic

from kcrashd.core.signatures import BY_HEADER, HEADERS

# Kept candidates: the first and the last ones of each class (log order is kept in the result).
KEEP_FATAL = (64, 64)
KEEP_OTHER = (256, 256)
# A kernel line longer than this is garbage or a binary blob, cut here and by normalize: the tail
# carries no crash syntax and is never a header.
MAX_LINE = 2048

# Substrings that several anchors hold: the search makes one `find` pass over the log per key
# instead of one per anchor (35 passes were most of a 32 MiB log's time), then looks for the
# key's anchors in the lines that hold it.
SHARED_KEYS = ("overwritten", "panic", "fault", "error:", "BUG")


@dataclass(slots=True, frozen=True)
class Pass(Generic[AnyStr]):
    """One `find` pass: its key, and the anchors (with their header names) the key stands for."""

    key: AnyStr
    anchors: tuple[tuple[AnyStr, str], ...]
    alone: bool  # the key is the one anchor: where the key is found, the anchor is


# kernel/panic.c vpanic prints `Kernel panic - not syncing: %s` whatever its message holds: arm64's die() panics with
# `"%s: Fatal exception"` of the oops's own name (`Oops - BUG: Fatal exception`), which holds the `BUG:` anchor.
PANIC_HEADER = "Kernel panic"


def header_in(text: str) -> tuple[str, int] | None:
    """The first header (in table order) that occurs in the line `text`, and where, or None; a panic line's
    (PANIC_HEADER) before any header its message holds."""
    for header in HEADERS:
        pos = text.find(header)
        if pos >= 0:
            panic = text.find(PANIC_HEADER, 0, pos) if header != PANIC_HEADER else -1
            return (PANIC_HEADER, panic) if panic >= 0 else (header, pos)
    return None


def _groups() -> dict[str, list[str]]:
    """Each anchor under the first shared key it holds, else under itself (table order)."""
    groups: dict[str, list[str]] = {}
    for header in HEADERS:
        groups.setdefault(next((k for k in SHARED_KEYS if k in header), header), []).append(header)
    return groups


_PASSES_STR = tuple(Pass(key, tuple((h, h) for h in members), members == [key]) for key, members in _groups().items())
_PASSES_BYTES = tuple(
    Pass(key.encode(), tuple((h.encode(), h) for h in members), members == [key]) for key, members in _groups().items()
)
# The patterns of each anchor's panic and oops rows (text: the rows' own regexes are compiled
# only when a log needs them).
FATAL: dict[str, tuple[str, ...]] = {
    h: tuple(sig.pattern for sig in BY_HEADER[h] if sig.die or h == "Kernel panic") for h in HEADERS
}

# Anchors whose rows read the line from its start (Signature.line_start): the anchor ends the format.
_FROM_LINE_START = frozenset(h for h in HEADERS if any(sig.line_start for sig in BY_HEADER[h]))

# One pattern per anchor: any of its panic or oops rows.
_FATAL_ANY: dict[str, re.Pattern[str] | None] = {
    h: re.compile("|".join(f"(?:{pattern})" for pattern in pats)) if pats else None for h, pats in FATAL.items()
}


@dataclass(slots=True, frozen=True)
class Candidate:
    """A line holding a header anchor: where the line starts (an offset in the whole log)."""

    start: int
    fatal: bool


@dataclass(slots=True)
class _Kept:
    """The first `head` and the last `tail` candidates of one class; the others are counted."""

    head: int
    tail: int
    first: list[Candidate] = field(default_factory=list)
    last: deque[Candidate] = field(default_factory=deque)
    dropped: int = 0
    dropped_from: int = -1
    dropped_to: int = -1

    def add(self, cand: Candidate) -> None:
        if len(self.first) < self.head:
            self.first.append(cand)
            return
        self.last.append(cand)
        if len(self.last) > self.tail:
            out = self.last.popleft()
            self.dropped += 1
            self.dropped_from = out.start if self.dropped_from < 0 else self.dropped_from
            self.dropped_to = out.start

    def all(self) -> list[Candidate]:
        return self.first + list(self.last)


class HeaderScan:
    """Feed a log's pieces in order (`feed`), then take the kept candidates (`candidates`)."""

    def __init__(self) -> None:
        self._fatal = _Kept(*KEEP_FATAL)
        self._other = _Kept(*KEEP_OTHER)
        self._last_start = -1

    def feed(self, piece: bytes | str, base: int = 0) -> None:
        """Search `piece`, which starts at offset `base` of the log and holds whole lines only."""
        if isinstance(piece, bytes):
            found = _anchored_lines(piece, _PASSES_BYTES, b"\n")
        else:
            found = _anchored_lines(piece, _PASSES_STR, "\n")
        for start in sorted(found):
            if base + start > self._last_start:
                self._last_start = base + start
                cand = Candidate(base + start, found[start])
                (self._fatal if cand.fatal else self._other).add(cand)

    def candidates(self) -> list[Candidate]:
        """The kept candidates in log order."""
        return sorted(self._fatal.all() + self._other.all(), key=lambda c: c.start)

    def floods(self) -> list[Flood]:
        """The header lines floods pushed out: where (offsets of their first and last) and how many."""
        return [
            Flood(kept.dropped_from, kept.dropped_to, kept.dropped, what)
            for kept, what in ((self._fatal, "panic or oops"), (self._other, "report"))
            if kept.dropped
        ]


@dataclass(slots=True, frozen=True)
class Flood:
    """Candidates that were not kept: the line starts of the first and last, their count, their class."""

    first: int
    last: int
    count: int
    what: str

    @property
    def reason(self) -> str:
        return f"flood: {self.count} {self.what} header lines in this range were not analysed"


def _anchored_lines(piece: AnyStr, passes: tuple[Pass[AnyStr], ...], nl: AnyStr) -> dict[int, bool]:
    """Start offset of every line of `piece` that holds an anchor, and whether it is fatal.

    Each line is looked at once per pass (its key's first occurrence), and then for each anchor
    of the pass (its first occurrence in the line), so a line made of one anchor repeated costs
    no more than any other line of its length."""
    found: dict[int, bool] = {}
    size = len(piece)
    for one in passes:
        key = one.key
        i = piece.find(key)
        while i >= 0:
            start = piece.rfind(nl, 0, i) + 1
            end = piece.find(nl, i)
            end = size if end < 0 else end
            for anchor, header in one.anchors:
                j = i if one.alone else piece.find(anchor, start, end)
                if j >= 0 and j - start < MAX_LINE:
                    found[start] = found.get(start, False) or _is_fatal(piece, start, j, end, header)
            i = piece.find(key, end)
    return found


def _is_fatal(piece: AnyStr, start: int, pos: int, end: int, header: str) -> bool:
    """Whether a panic or oops row of `header` matches the line from `pos` (the anchor) on."""
    rx = _FATAL_ANY[header]
    if rx is None:
        return False
    chunk = piece[start if header in _FROM_LINE_START else pos : min(end, start + MAX_LINE)]
    text = chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk
    return rx.search(text) is not None
