"""Whether an operator's regular expression is safe to run on log text: no backtracking blow-up.

A title pattern in a grouping rule (docs/grouping-rules.md) is written by a person, not by us, and
runs on text a crashing kernel printed: it is hostile input like the log.  A pattern is refused
when it holds a repeat inside another repeat, two unbounded repeats (`*`, `+`, `{n,}`) with only
optional items between them, alternatives (`a|b`) inside a repeat, or more than two repeats in
all: the shapes that make Python's backtracking matcher take exponential or high polynomial time
(with two repeats and the text bounded to `MAX_TEXT` characters a search costs a few ms at worst).  This is stricter than the
overlap test the package's own patterns pass (tests/core/regex_shape.py): an operator's pattern
is refused on its shape alone, whatever the characters.  Possessive repeats and atomic groups
never give characters back and are allowed anywhere.  Pure: the standard library's parser only.
"""

from __future__ import annotations

import re
import re._constants as c  # type: ignore[import-not-found]
import re._parser as parser  # type: ignore[import-not-found]
from collections.abc import Iterator

MAX_PATTERN = 256  # characters of an operator pattern
MAX_TEXT = 256  # characters of the text an operator pattern is searched in
MAX_REPEATS = 2
_REPEATS = (c.MAX_REPEAT, c.MIN_REPEAT)

# A parsed pattern is a list of (opcode, argument) pairs, nested (the parser has no type stubs).
Item = tuple[object, object]


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is refused, or None when it compiles and has a safe shape."""
    if len(pattern) > MAX_PATTERN:
        return f"longer than {MAX_PATTERN} characters"
    try:
        re.compile(pattern)
        parsed = parser.parse(pattern, 0)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"not a regular expression: {exc}"
    found = next(_problems(list(parsed), in_repeat=False), None)
    if found is None and _count_repeats(list(parsed)) > MAX_REPEATS:
        return f"more than {MAX_REPEATS} repeats (*, +, {{m,n}})"
    return found


def _repeats(op: object, av: object) -> bool:
    """A backtracking repeat that may take more than one round."""
    return op in _REPEATS and isinstance(av, tuple) and av[1] != 1


def _count_repeats(seq: list[Item]) -> int:
    return sum(int(_repeats(op, av)) + sum(_count_repeats(child) for child in _children(op, av)) for op, av in seq)


def _unbounded(op: object, av: object) -> bool:
    return op in _REPEATS and isinstance(av, tuple) and av[1] == c.MAXREPEAT


def _nullable(op: object, av: object) -> bool:
    """Whether an item can match the empty string (so repeats on both sides of it meet)."""
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return True
    if op in (*_REPEATS, c.POSSESSIVE_REPEAT) and isinstance(av, tuple):
        return bool(av[0] == 0)
    return False


def _children(op: object, av: object) -> list[list[Item]]:
    if op in (*_REPEATS, c.POSSESSIVE_REPEAT) and isinstance(av, tuple):
        return [list(av[2])]
    if op is c.SUBPATTERN and isinstance(av, tuple):
        return [list(av[3])]
    if op is c.BRANCH and isinstance(av, tuple):
        return [list(alt) for alt in av[1]]
    if op in (c.ASSERT, c.ASSERT_NOT) and isinstance(av, tuple):
        return [list(av[1])]
    if op is c.ATOMIC_GROUP and av is not None:
        return [list(av)]  # type: ignore[call-overload]
    if op is c.GROUPREF_EXISTS and isinstance(av, tuple):
        return [list(x) for x in av[1:] if x is not None]
    return []


def _problems(seq: list[Item], *, in_repeat: bool) -> Iterator[str]:
    """The shape problems of a parsed sequence; `in_repeat`: it lies inside a backtracking repeat."""
    open_repeat = False  # an unbounded repeat with only optional items after it so far
    for op, av in seq:
        if in_repeat and _repeats(op, av):
            yield "a repeat inside another repeat (nested quantifiers)"
        if _unbounded(op, av):
            if open_repeat:
                yield "two unbounded repeats next to each other (adjacent quantifiers)"
            open_repeat = True
        elif not _nullable(op, av):
            open_repeat = False
        if op is c.BRANCH and in_repeat:
            yield "alternatives (|) inside a repeat"
        if op is c.ATOMIC_GROUP or op is c.POSSESSIVE_REPEAT:
            continue  # never gives characters back
        for child in _children(op, av):
            yield from _problems(child, in_repeat=in_repeat or _repeats(op, av))
