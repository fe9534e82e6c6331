"""Hostile inputs for triage, built deterministically from the corpus and the signature table.

Two kinds: `mutations` (corpus logs with bytes flipped, lines dropped, doubled, spliced,
indented, cut) only need to be survived; `families` (long lines, floods, deep continuations,
token repeats) are built at any size `n`, so their cost can be checked to grow linearly.  Used by
tests/core/test_fuzz.py (CI, bounded), `make fuzz` (longer) and bench/fuzz.py (absolute speed).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kcrashd.core.signatures import BY_HEADER, HEADERS

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEED = (CORPUS / "seed" / "rhel8-sysrq.log").read_bytes()
SEED_TITLE = "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash"
STAMP = b"[  100.000000] "
# Pieces of kernel report lines that patterns look for, repeated by the token families.
TOKENS = (
    b"[<ffffffff81167230>] ", b"? ", b"func+0x60/0x70 ", b"+0x", b"RIP: 0010:", b"Call Trace:", b"at: ",
    b"[ C0] ", b"[T123] ", b"<4>", b"Tainted: G W ", b" in ", b".isra.0", b"---[ end trace ", b"=====",
    b"Comm: ", b"Modules linked in: ", b"(OE) ", b"\t", b"  ", b"0000", b"INFO: ", b"BUG: ", b"WARNING: ",
)
RUNS = (b"a", b" ", b"0", b"[", b"]", b"(", b":", b".", b"_", b"-", b"\t", b"x=", b"\xff")


def best_time(data: bytes) -> tuple[float, float]:
    """The best of two runs of `analyze` on `data`: (wall seconds, CPU seconds)."""
    from kcrashd.core import analyze

    wall = cpu = float("inf")
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        analyze(data)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu


def corpus_logs() -> list[bytes]:
    """Every log of the development corpus (syzkaller slices, seed, edge, lab)."""
    out = []
    syz = CORPUS / "syzkaller"
    for line in (syz / "index.jsonl").read_text().splitlines():
        c = json.loads(line)
        out.append((syz / c["file"]).read_bytes()[c["log_offset"] : c["log_end_offset"]])
    for folder in ("seed", "edge"):
        out.extend(p.read_bytes() for p in sorted((CORPUS / folder).glob("*.log")))
    out.extend(p.read_bytes() for p in sorted((CORPUS / "lab").glob("*/*")) if not p.name.endswith(".json"))
    return out


def mutate(rng: random.Random, logs: list[bytes]) -> bytes:
    """One corpus log with a few random edits."""
    lines = rng.choice(logs).split(b"\n")
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(9)
        i = rng.randrange(len(lines))
        if op == 0 and lines[i]:
            j = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:j] + bytes([rng.randrange(256)]) + lines[i][j + 1 :]
        elif op == 1:
            del lines[i : i + rng.randint(1, 20)]
        elif op == 2:
            lines[i:i] = lines[i : i + rng.randint(1, 20)] * rng.randint(2, 50)
        elif op == 3:
            other = rng.choice(logs).split(b"\n")
            k = rng.randrange(len(other))
            lines[i:i] = other[k : k + rng.randint(1, 200)]
        elif op == 4:
            lines[i] = b"  " + lines[i]
        elif op == 5:
            lines = lines[: i + 1]
        elif op == 6:
            lines[i] = lines[i] * rng.randint(2, 40)
        elif op == 7:
            lines.insert(i, STAMP + rng.choice(HEADERS).encode() + b" " + rng.choice(TOKENS) * rng.randint(1, 30))
        else:
            lines[i] = lines[i].replace(b"]", b"", 1).replace(b"\n", b"\r")
        if not lines:
            lines = [b""]
    return b"\n".join(lines)


def mutations(seed: int) -> Iterator[bytes]:
    """An endless, deterministic stream of mutated corpus logs."""
    rng = random.Random(seed)
    logs = corpus_logs()
    while True:
        yield mutate(rng, logs)


@dataclass(frozen=True)
class Family:
    """An input shape of any size: `build(n)` gives about n repeats of its piece."""

    name: str
    build: Callable[[int], bytes]
    # The fatal report must still be the seed's (the flood families put it after the flood).
    seed_wins: bool = False


def _long_line(anchor: bytes, a: bytes, b: bytes) -> Callable[[int], bytes]:
    # n // 5 of each run: the line stays under the 2 KiB a kernel line is cut at, so it doubles too.
    return lambda n: STAMP + anchor + b" " + a * (n // 5) + b * (n // 5) + b"[\n" + SEED


def _flood(line: bytes) -> Callable[[int], bytes]:
    return lambda n: line * n + SEED


def families() -> list[Family]:
    """Long lines after every anchor, floods of every anchor, continuations, token repeats."""
    out: list[Family] = []
    for h in HEADERS:
        anchor = h.encode()
        for a, b in ((b"a", b" "), (b" ", b"0"), (b"[", b"x=")):
            out.append(Family(f"long {h} {a!r}{b!r}", _long_line(anchor, a, b)))
        for line in (STAMP + anchor + b" task kworker/0:1:12 blocked for more than 120 s\n", anchor + b" x\n"):
            # A flood of panics or oopses is a storm whose first report is the crash; any other
            # flood must not hide the seed's oops.
            text = line.decode()[len(STAMP) if line.startswith(STAMP) else 0 :]
            fatal = any(sig.regex.match(text) for sig in BY_HEADER[h] if sig.die or h == "Kernel panic")
            out.append(Family(f"flood {line[:40]!r}", _flood(line), seed_wins=not fatal))
    out.append(Family("continuations", lambda n: STAMP + b"x: start\n" + b"  continued line\n" * n + b"  " + SEED))
    out.append(Family("continuation header", lambda n: STAMP + b"x\n" + b"  more\n" * n + b"  BUG: soft lockup\n"))
    out.append(Family("boot lines", lambda n: b"Booting the kernel.\n" * n + SEED, seed_wins=True))
    for tok in TOKENS:
        out.append(Family(f"token line {tok!r}", lambda n, t=tok: STAMP + b"BUG: x " + t * n + b"\n" + SEED))
        out.append(Family(f"token lines {tok!r}", lambda n, t=tok: (STAMP + t + b"\n") * n + SEED))
    for run in RUNS:
        out.append(Family(f"one line of {run!r}", lambda n, r=run: r * (n * 16) + b"\n" + SEED))
    return out
