"""Stack similarity: how alike two crashes' call stacks are, from 0 (nothing shared) to 1 (the same).

In the manner of TraceSim (Vasiliev et al., 2020), written for kcrashd: each frame has a weight,
the product of a *position* weight (frames near the top of the stack say more about the bug than
the syscall entry at the bottom) and a *rarity* weight (a frame found in few stored stacks says
more than `vfs_write` or `do_syscall_64`, which most stacks share).  Two stacks are aligned by a
weighted edit distance: leaving a frame unmatched costs its weight, matching a frame to the same
function in the other stack costs the difference of the two weights (the same function at another
depth), and matching different functions is never cheaper than leaving both out.  The score is one
minus the distance over the total weight of both stacks.  No learning: the weights come from the
stored stacks and four numbers (`Weights`), chosen on the development corpora (docs/grouping.md).

Pure: stacks in, numbers out.  The alignment is bounded (`Weights.max_frames`), so the cost of a
comparison does not grow with the input.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from kcrashd.core.frames import clean_function, is_skipped, strip_syscall
from kcrashd.core.model import Report

Stack = tuple[str, ...]
Key = TypeVar("Key")
SCORE_DIGITS = 6  # scores are rounded: a sum of float weights must not make "nothing shared" 1e-16


@dataclass(frozen=True, slots=True)
class Weights:
    """The tuning of the score (docs/grouping.md says how each was chosen)."""

    position_decay: float = 0.7  # frame i (0 = top) weighs 1 / (1 + i) ** position_decay
    rarity_slope: float = 2.0  # steepness of the rarity sigmoid over the frame's idf
    rarity_shift: float = 1.0  # the idf at which a frame's rarity weight is one half
    background: int = 10  # stacks assumed to lack every frame, so a small store is not all "common"
    max_frames: int = 24


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class FrameRarity:
    """In how many stored stacks each function appears, out of `stacks`."""

    stacks: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def idf(self, name: str, background: int) -> float:
        return math.log((self.stacks + background) / (self.counts.get(name, 0) + 1))


def frame_rarity(stacks: Iterable[Stack]) -> FrameRarity:
    """Document frequencies of functions over `stacks` (each stack counts a function once)."""
    counts: Counter[str] = Counter()
    total = 0
    for stack in stacks:
        total += 1
        counts.update(set(stack))
    return FrameRarity(total, dict(counts))


def stack_of(report: Report, max_frames: int = DEFAULT_WEIGHTS.max_frames) -> Stack:
    """The stack of a report (see `stack_from`)."""
    return stack_from(report.ip, ((f.function, f.reliable) for f in report.frames), max_frames)


def stack_from(ip: str | None, frames: Iterable[tuple[str, bool]], max_frames: int = DEFAULT_WEIGHTS.max_frames) -> Stack:
    """The functions of a stack, top first, from a report's `ip` and its (function, reliable)
    frames: the faulting function when the stack does not start with it (x86 prints `RIP: f+0x..`
    above the trace, not in it), reliable frames only, `__pfx_` guesses and the reporting
    machinery at the top left out, syscall wrappers in one spelling, a function repeated on
    consecutive lines once."""
    top = [clean_function(ip.split("+", 1)[0].split()[-1])] if ip and "+" in ip else []
    names = itertools.chain(top, (name for name, reliable in frames if reliable and not name.startswith("__pfx_")))
    out: list[str] = []
    for name in names:
        name = strip_syscall(name)
        if not out and is_skipped(name):
            continue  # dump_stack, kasan_report, __warn: the messenger, not the bug
        if not out or out[-1] != name:
            out.append(name)
        if len(out) >= max_frames:
            break
    return tuple(out)


def rarity_weight(name: str, rarity: FrameRarity, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """A sigmoid of the frame's idf: near 0 for a frame most stacks hold, near 1 for a rare one."""
    idf = rarity.idf(name, weights.background)
    return 1.0 / (1.0 + math.exp(-weights.rarity_slope * (idf - weights.rarity_shift)))


def frame_weights(
    stack: Stack, rarity: FrameRarity, weights: Weights = DEFAULT_WEIGHTS, memo: dict[str, float] | None = None
) -> list[float]:
    """Each frame's weight: position (top heavier) times rarity; `memo` keeps rarity weights
    across the stacks of one ranking."""
    memo = {} if memo is None else memo
    out = []
    for i, name in enumerate(stack[: weights.max_frames]):
        rare = memo.get(name)
        if rare is None:
            rare = memo[name] = rarity_weight(name, rarity, weights)
        out.append(rare / (1 + i) ** weights.position_decay)
    return out


def aligned_score(a: Stack, wa: Sequence[float], b: Stack, wb: Sequence[float]) -> float:
    """1 - weighted edit distance / total weight (see the module's docstring); 0 for empty stacks.
    The distance is the classic dynamic programme, one row at a time (at most max_frames squared)."""
    total = sum(wa) + sum(wb)
    if not a or not b or total <= 0:
        return 0.0
    previous = [0.0]
    for w in wb:
        previous.append(previous[-1] + w)
    for i, name in enumerate(a):
        current = [previous[0] + wa[i]]
        for j, other in enumerate(b):
            best = min(previous[j + 1] + wa[i], current[j] + wb[j])
            if name == other:
                best = min(best, previous[j] + abs(wa[i] - wb[j]))
            current.append(best)
        previous = current
    return round(max(0.0, 1.0 - previous[-1] / total), SCORE_DIGITS)


def score_bound(a: Stack, wa: Sequence[float], b: Stack, wb: Sequence[float]) -> float:
    """An upper bound of `aligned_score`, cheap: frames whose function the other stack lacks can
    only be left unmatched, so their weight is part of any alignment's distance."""
    total = sum(wa) + sum(wb)
    if total <= 0:
        return 0.0
    names_a, names_b = set(a), set(b)
    lost = sum(w for n, w in zip(a, wa, strict=False) if n not in names_b)
    lost += sum(w for n, w in zip(b, wb, strict=False) if n not in names_a)
    return round(1.0 - lost / total, SCORE_DIGITS)


def similarity(a: Stack, b: Stack, rarity: FrameRarity, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """The score of two stacks under the rarity of the stored stacks."""
    a, b = a[: weights.max_frames], b[: weights.max_frames]
    return aligned_score(a, frame_weights(a, rarity, weights), b, frame_weights(b, rarity, weights))


def rank(
    query: Stack,
    candidates: Iterable[tuple[Key, Stack]],
    rarity: FrameRarity,
    limit: int,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[tuple[Key, float]]:
    """The `limit` candidates most like `query`, best first (ties in the candidates' order), each
    with its score; candidates scoring 0 are left out.  Candidates whose bound cannot beat the
    current `limit`-th score are not aligned, and identical stacks are scored once."""
    query = query[: weights.max_frames]
    rare: dict[str, float] = {}
    wq = frame_weights(query, rarity, weights, rare)
    memo: dict[Stack, float] = {}
    best: list[tuple[float, int, Key]] = []  # a min-heap of (score, -order, key)
    for order, (key, stack) in enumerate(candidates):
        stack = stack[: weights.max_frames]
        score = memo.get(stack)
        if score is None:
            ws = frame_weights(stack, rarity, weights, rare)
            floor = best[0][0] if len(best) >= limit else 0.0
            if score_bound(query, wq, stack, ws) <= floor:
                continue
            score = memo[stack] = aligned_score(query, wq, stack, ws)
        if score <= 0.0:
            continue
        item = (score, -order, key)
        if len(best) < limit:
            heapq.heappush(best, item)
        elif item[:2] > best[0][:2]:
            heapq.heapreplace(best, item)
    return [(key, score) for score, _, key in sorted(best, key=lambda t: (-t[0], -t[1]))]
