"""The shape of a regular expression: does it hold two unbounded, backtracking repeats that can
split the same characters between them (nested, or adjacent with only optional items between)?

Such a pattern backtracks polynomially or exponentially on a line built from those characters
(`BUG: ` + letters + spaces + `[` took 95 s).  Possessive repeats (`*+`, `++`) and atomic groups
never give characters back and are exempt.  The check works on the parsed pattern (`re._parser`),
so it needs no sample input; `pattern_sources` finds every pattern the package compiles.
"""

from __future__ import annotations

import ast
import functools
import re
import re._constants as c  # type: ignore[import-not-found]
import re._parser as p  # type: ignore[import-not-found]
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Characters that stand for every class a log line can contain (ASCII, Latin-1, a few others).
ALPHABET = [chr(i) for i in range(0x180)] + ["\u2028", "\u3000", "\u00a0", "\ufffd", "\u4e2d"]
_CATEGORY = {
    c.CATEGORY_DIGIT: re.compile(r"\d"),
    c.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    c.CATEGORY_SPACE: re.compile(r"\s"),
    c.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    c.CATEGORY_WORD: re.compile(r"\w"),
    c.CATEGORY_NOT_WORD: re.compile(r"\W"),
}
_REPEATS = (c.MAX_REPEAT, c.MIN_REPEAT)


@dataclass(frozen=True)
class Problem:
    """Two repeats that share characters: `what` says whether nested or adjacent."""

    what: str
    chars: str


def _in_set(items: list[tuple[Any, Any]], ch: str, flags: int) -> bool:
    negate = False
    hit = False
    for op, av in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.LITERAL:
            hit = hit or _same(ch, av, flags)
        elif op is c.RANGE:
            lo, hi = av
            hit = hit or lo <= ord(ch) <= hi or (bool(flags & re.I) and (lo <= ord(ch.lower()) <= hi or lo <= ord(ch.upper()[:1]) <= hi))
        elif op is c.CATEGORY:
            hit = hit or _CATEGORY[av].match(ch) is not None
    return hit != negate


def _same(ch: str, code: int, flags: int) -> bool:
    return ord(ch) == code or (bool(flags & re.I) and ch.lower() == chr(code).lower())


def _leaf_chars(op: Any, av: Any, flags: int) -> set[str]:
    if op is c.LITERAL:
        return {ch for ch in ALPHABET if _same(ch, av, flags)}
    if op is c.NOT_LITERAL:
        return {ch for ch in ALPHABET if not _same(ch, av, flags)}
    if op is c.ANY:
        return set(ALPHABET) if flags & re.S else set(ALPHABET) - {"\n"}
    if op is c.IN:
        return {ch for ch in ALPHABET if _in_set(av, ch, flags)}
    return set()


def chars(seq: Any, flags: int) -> set[str]:
    """Every character some leaf of `seq` can consume."""
    out: set[str] = set()
    for op, av in seq:
        out |= _leaf_chars(op, av, flags)
        for sub in _children(op, av):
            out |= chars(sub, flags)
    return out


def _children(op: Any, av: Any) -> list[Any]:
    if op in (*_REPEATS, c.POSSESSIVE_REPEAT):
        return [av[2]]
    if op is c.SUBPATTERN:
        return [av[3]]
    if op is c.BRANCH:
        return list(av[1])
    if op is c.ATOMIC_GROUP:
        return [av]
    if op in (c.ASSERT, c.ASSERT_NOT):
        return [av[1]]
    if op is c.GROUPREF_EXISTS:
        return [x for x in av[1:] if x is not None]
    return []


def _unbounded(op: Any, av: Any) -> bool:
    return op in _REPEATS and av[1] == c.MAXREPEAT


def _nullable(seq: Any) -> bool:
    return all(_item_nullable(op, av) for op, av in seq)


def _item_nullable(op: Any, av: Any) -> bool:
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT, c.GROUPREF_EXISTS):
        return True
    if op in (*_REPEATS, c.POSSESSIVE_REPEAT):
        return av[0] == 0 or _nullable(av[2])
    if op is c.SUBPATTERN:
        return _nullable(av[3])
    if op is c.ATOMIC_GROUP:
        return _nullable(av)
    if op is c.BRANCH:
        return any(_nullable(alt) for alt in av[1])
    return False


def _edge(seq: Any, flags: int, last: bool) -> list[set[str]]:
    """Char sets of the backtracking unbounded repeats that can start (or end) `seq`."""
    items = list(seq)
    if last:
        items.reverse()
    out: list[set[str]] = []
    for op, av in items:
        out.extend(_item_edge(op, av, flags, last))
        if not _item_nullable(op, av):
            break
    return out


def _item_edge(op: Any, av: Any, flags: int, last: bool) -> list[set[str]]:
    if _unbounded(op, av):
        return [chars(av[2], flags)]
    if op in _REPEATS:
        return _edge(av[2], flags, last)
    if op is c.SUBPATTERN:
        return _edge(av[3], flags, last)
    if op is c.BRANCH:
        return [s for alt in av[1] for s in _edge(alt, flags, last)]
    return []  # atomic groups and possessive repeats give nothing back


def _first_chars(seq: Any, flags: int) -> set[str]:
    out: set[str] = set()
    for op, av in seq:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        if op in (*_REPEATS, c.POSSESSIVE_REPEAT):
            out |= _first_chars(av[2], flags)
        elif op is c.SUBPATTERN:
            out |= _first_chars(av[3], flags)
        elif op is c.ATOMIC_GROUP:
            out |= _first_chars(av, flags)
        elif op is c.BRANCH:
            for alt in av[1]:
                out |= _first_chars(alt, flags)
        else:
            out |= _leaf_chars(op, av, flags)
        if not _item_nullable(op, av):
            break
    return out


def problems(seq: Any, flags: int) -> Iterator[Problem]:
    """Every pair of overlapping backtracking repeats in the parsed sequence `seq`."""
    items = list(seq)
    for i, (op, av) in enumerate(items):
        tails = _item_edge(op, av, flags, last=True)
        for op2, av2 in items[i + 1 :]:
            for tail in tails:
                for head in _item_edge(op2, av2, flags, last=False):
                    if tail & head:
                        yield Problem("adjacent", "".join(sorted(tail & head))[:20])
            if not _item_nullable(op2, av2):
                break
        if _unbounded(op, av):
            start = _first_chars(av[2], flags)
            for inner in _inner_repeats(av[2], flags):
                if inner & start:
                    yield Problem("nested", "".join(sorted(inner & start))[:20])
        for sub in _children(op, av):
            yield from problems(sub, flags)


def _inner_repeats(seq: Any, flags: int) -> Iterator[set[str]]:
    for op, av in seq:
        if _unbounded(op, av):
            yield chars(av[2], flags)
        if op is c.ATOMIC_GROUP or op is c.POSSESSIVE_REPEAT:
            continue
        for sub in _children(op, av):
            yield from _inner_repeats(sub, flags)


def check(pattern: str, flags: int = 0) -> list[Problem]:
    """The shape problems of `pattern` (empty: every repeat is safe)."""
    parsed = p.parse(pattern, flags)
    return list(problems(parsed, parsed.state.flags))


# --- finding the package's patterns --------------------------------------------------------------
_RE_CALLS = frozenset({"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"})


def literal_patterns(root: Path) -> Iterator[tuple[str, str, int]]:
    """(where, pattern, flags) of every `re.<call>("literal", ...)` in the package's source."""
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.func.attr in _RE_CALLS):
                continue
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield f"{path.relative_to(root.parent)}:{node.lineno}", node.args[0].value, 0


def compiled_patterns(module: Any) -> Iterator[tuple[str, re.Pattern[str]]]:
    """(name, pattern) of every compiled pattern a module holds at top level, in tuples, dicts and
    dataclass rows (the signature table) included."""
    seen: set[int] = set()
    for name, value in vars(module).items():
        yield from _walk(f"{module.__name__}.{name}", value, seen, 0)


def _walk(name: str, value: Any, seen: set[int], depth: int) -> Iterator[tuple[str, re.Pattern[str]]]:
    if id(value) in seen or depth > 4:
        return
    seen.add(id(value))
    if isinstance(value, re.Pattern):
        yield name, value
    elif isinstance(value, (tuple, list)):
        for n, item in enumerate(value):
            yield from _walk(f"{name}[{n}]", item, seen, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(f"{name}[{key!r}]", item, seen, depth + 1)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        # Fields, and the patterns a row compiles on first use (Signature.regex: a cached_property).
        lazy = [n for n, attr in vars(type(value)).items() if isinstance(attr, functools.cached_property)]
        for field_name in [*value.__dataclass_fields__, *lazy]:
            yield from _walk(f"{name}.{field_name}", getattr(value, field_name, None), seen, depth + 1)


# --- adversarial inputs built from a pattern's own pieces -----------------------------------------
_REPRESENTATIVES = "a Z0_.:[]-(+x\t/<>=!"


def representatives(seq: Any, flags: int) -> str:
    """A few characters of every class the pattern uses, plus the usual breakers."""
    found = chars(seq, flags)
    picks = [ch for ch in _REPRESENTATIVES if ch in found]
    return "".join(dict.fromkeys(picks + list(_REPRESENTATIVES[:6])))


def _minimal(seq: Any, flags: int) -> str:
    """The shortest text `seq` matches when every choice takes its first alternative."""
    out = []
    for op, av in seq:
        if op is c.LITERAL:
            out.append(chr(av))
        elif op in (c.IN, c.ANY, c.NOT_LITERAL):
            cs = _leaf_chars(op, av, flags)
            out.append(next((ch for ch in "a0 _.:" if ch in cs), min(cs) if cs else ""))
        elif op in (*_REPEATS, c.POSSESSIVE_REPEAT):
            out.append(_minimal(av[2], flags) * av[0])
        elif op is c.SUBPATTERN:
            out.append(_minimal(av[3], flags))
        elif op is c.ATOMIC_GROUP:
            out.append(_minimal(av, flags))
        elif op is c.BRANCH:
            out.append(_minimal(av[1][0], flags))
    return "".join(out)


def prefixes(seq: Any, flags: int, before: str = "") -> Iterator[str]:
    """The minimal text that leads up to each repeat of the pattern (every branch followed)."""
    done = before
    for op, av in seq:
        if op in (*_REPEATS, c.POSSESSIVE_REPEAT) and av[1] > 1:
            yield done
            yield from prefixes(av[2], flags, done)
        elif op is c.SUBPATTERN:
            yield from prefixes(av[3], flags, done)
        elif op is c.ATOMIC_GROUP:
            yield from prefixes(av, flags, done)
        elif op is c.BRANCH:
            for alt in av[1]:
                yield from prefixes(alt, flags, done)
        done += _minimal([(op, av)], flags)


Family = tuple[str, str, str, str]


def families(pattern: str, flags: int) -> list[Family]:
    """Adversarial text shapes for a pattern: (prefix that reaches a repeat, a, b, breaker z); the
    text is `prefix + a*n + b*n + z`."""
    parsed = p.parse(pattern, flags)
    fl = parsed.state.flags
    reps = representatives(parsed, fl)[:9]
    return [
        (pre, a, b, z)
        for pre in dict.fromkeys(prefixes(parsed, fl))
        for a in reps
        for b in reps
        for z in ("", "[", "!")
    ]


def build(family: Family, n: int) -> str:
    pre, a, b, z = family
    return pre + a * n + b * n + z
