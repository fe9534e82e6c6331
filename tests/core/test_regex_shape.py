"""Every regular expression of the package: a safe shape, and a cost that grows linearly.

The shape check (tests/core/regex_shape.py) rejects two backtracking unbounded repeats over shared
characters, nested or adjacent.  The cost check builds adversarial texts from each pattern's own
pieces (a prefix that reaches a repeat, then runs of the characters it accepts and a breaker),
doubles them, and wants the time to grow at most about twice (a ratio, robust to a loaded machine:
the best of several runs, and a ratio of 3 for a doubled input).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from pathlib import Path

import pytest

import kcrashd
from tests.core import regex_shape as shape

ROOT = Path(kcrashd.__file__).resolve().parent


def _package_patterns() -> dict[tuple[str, int], str]:
    """(pattern, flags) -> where, for every compiled pattern of every module and every literal one."""
    found: dict[tuple[str, int], str] = {}
    for mod in pkgutil.walk_packages(kcrashd.__path__, "kcrashd."):
        if mod.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(mod.name)
        except ImportError:  # an optional dependency this machine lacks: its literals are still read
            continue
        for name, rx in shape.compiled_patterns(module):
            if isinstance(rx.pattern, str):
                found.setdefault((rx.pattern, rx.flags & ~re.U), name)
    for where, pattern, flags in shape.literal_patterns(ROOT):
        found.setdefault((pattern, flags), where)
    return found


PATTERNS = _package_patterns()
IDS = list(PATTERNS.values())


def test_the_walk_finds_the_signature_table_and_the_skip_lists() -> None:
    names = " ".join(IDS)
    assert "BY_HEADER['BUG:']" in names and "GLOBAL_SKIP" in names and "_CPU_LINE" in names
    assert len(PATTERNS) > 150


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+$",
        r"BUG: ([^\[\]]*?[A-Za-z][^\[\]]*?)\s*(?:\(|$|!|:|\s-\s|\s[\w.]+[:=])",  # the 95 s header
        r"x\s*:?\s*y",
        r"(.*?)\s*$",
        r"\s.*?(\d+\.\d+\S*)",
        r"(?:\.(?:isra|cold)[.\d]*)*",
    ],
)
def test_the_shape_check_rejects_backtracking_pairs(pattern: str) -> None:
    assert shape.check(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\d+\.\d+",
        r"[A-Za-z]+\s+\d+",
        r"(.*+)\s*$",
        r"(?>\s*):\s*",
        r"(?:\[<[0-9a-f]+>\]\s+)*foo",
        r"(?:\s*+\S)*+\s*+$",
        r"a{1,32}?b*",
    ],
)
def test_the_shape_check_accepts_linear_patterns(pattern: str) -> None:
    assert not shape.check(pattern)


@pytest.mark.parametrize("key", list(PATTERNS), ids=IDS)
def test_every_pattern_has_a_safe_shape(key: tuple[str, int]) -> None:
    pattern, flags = key
    assert shape.check(pattern, flags) == [], f"{PATTERNS[key]}: {pattern!r}"


def _cost(rx: re.Pattern[str], text: str, repeats: int = 5) -> float:
    """Best time of `repeats` runs of enough searches to take about a millisecond each."""
    rounds = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(rounds):
            rx.search(text)
        if time.perf_counter() - t0 > 1e-3 or rounds >= 1024:
            break
        rounds *= 4
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(rounds):
            rx.search(text)
        best = min(best, time.perf_counter() - t0)
    return best / rounds


def _once(rx: re.Pattern[str], text: str) -> float:
    t0 = time.perf_counter()
    rx.search(text)
    return time.perf_counter() - t0


def _growth(rx: re.Pattern[str], family: shape.Family) -> float:
    """How much the cost grows per doubling of the adversarial text (best of up to five tries).

    A linear pattern grows x2 per doubling, a quadratic one x4. The step measured is x4 in size
    (400 -> 1600 characters) and the ratio is taken per doubling, so one noisy timing moves the
    result by its square root: a scheduler hiccup that once made a linear pattern read x3.4 on a
    single doubling now reads about x2.6.
    """
    ratios = []
    for _ in range(5):
        small = _cost(rx, shape.build(family, 128))
        if small > 0.05:  # already slow at 128: measure one doubling only, not a long ladder
            ratio = _cost(rx, shape.build(family, 256), repeats=1) / small
        else:
            small = _cost(rx, shape.build(family, 400))
            ratio = (_cost(rx, shape.build(family, 1600)) / small) ** 0.5
        ratios.append(ratio)
        if ratio <= _LINEAR_LIMIT:
            break
    return min(ratios)


_LINEAR_LIMIT = 3.0  # per doubling: linear is 2, quadratic 4


def test_the_growth_meter_tells_quadratic_from_linear() -> None:
    """The meter itself: a run of spaces before a missing letter is rescanned from every start."""
    quadratic = re.compile(r" *x")
    linear = re.compile(r"^ *x")
    family: shape.Family = ("", " ", " ", "")
    # The meter leans to "linear" (the least of its tries, the first linear one ends them), so that a
    # busy machine raises no false alarm; the quadratic pattern gets seven readings, one must tell it (on an idle
    # machine about two in five read below the limit: one try of up to five that reads low ends a reading).
    assert max(_growth(quadratic, family) for _ in range(7)) > _LINEAR_LIMIT
    assert _growth(linear, family) <= _LINEAR_LIMIT


def test_every_pattern_costs_linear_time() -> None:
    slow = []
    for (pattern, flags), where in PATTERNS.items():
        rx = re.compile(pattern, flags)
        fams = shape.families(pattern, flags)
        screened = sorted(fams, key=lambda f: _once(rx, shape.build(f, 32)), reverse=True)
        for family in screened[:2]:
            growth = _growth(rx, family)
            if growth > _LINEAR_LIMIT:
                slow.append(f"{where}: x{growth:.1f} for 2x input {family!r}")
    assert not slow, "\n".join(slow)


# The backtracking forms the rewrites replaced, and the linear forms: on short texts (where the old
# ones are still fast) both must find the same thing.
_OLD_AND_NEW = (
    ("bug-generic", r"BUG: ([^\[\]]*?[A-Za-z][^\[\]]*?)\s*(?:\(|$|!|:|\s-\s|\s[\w.]+[:=])"),
    ("panic", r"Kernel panic - not syncing: (.*?)\s*$"),
    ("init-exit", r"Kernel panic - not syncing: Attempted to kill init! exitcode=0x0*[0-9a-f]*00\s*$"),
    ("kasan-access", r"BUG: (KASAN: ([a-z\-]+) in \S+.*)"),
)
_PIECES = ("BUG: ", "INFO: ", "Kernel panic - not syncing: ", "Attempted to kill init! exitcode=0x", "KASAN: ",
           " in ", "a", "Zb", " ", "  ", "\t", "[", "]", "(", "!", ":", " - ", " x=", " k.v:", "0", "00", "-", "f")


def test_rewritten_patterns_find_what_the_old_ones_found() -> None:
    import random

    from kcrashd.core.signatures import SIGNATURES

    rng = random.Random(12)
    by_name = {sig.name: sig.regex for sig in SIGNATURES}
    for name, old in _OLD_AND_NEW:
        old_rx, new_rx = re.compile(old), by_name[name]
        for _ in range(3000):
            text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 9)))
            a, b = old_rx.search(text), new_rx.search(text)
            assert (a is None) == (b is None), (name, text)
            if a is not None and b is not None:
                assert a.start() == b.start(), (name, text)
                assert [(g or "").strip() for g in a.groups()] == [(g or "").strip() for g in b.groups()], (name, text)
