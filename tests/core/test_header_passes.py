"""The header search's passes (core/headers.py): one `find` pass per shared key finds exactly the
lines, and their fatal flags, that one pass per anchor finds (the reference below), on every
corpus log, as bytes and as text, and on lines built to hit the edges (long lines, an anchor
repeated, anchors of one key in one line, no final newline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcrashd.core import headers
from kcrashd.core.signatures import HEADERS

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NOT_LOGS = {".json", ".jsonl", ".md", ".tsv", ".py"}


def one_pass_per_anchor(piece: str) -> dict[int, bool]:
    """The search as it was: each anchor's first occurrence in each line."""
    found: dict[int, bool] = {}
    for header in HEADERS:
        i = piece.find(header)
        while i >= 0:
            start = piece.rfind("\n", 0, i) + 1
            end = piece.find("\n", i)
            end = len(piece) if end < 0 else end
            if i - start < headers.MAX_LINE:
                found[start] = found.get(start, False) or headers._is_fatal(piece, start, i, end, header)
            i = piece.find(header, end)
    return found


def test_each_pass_key_is_in_every_anchor_it_stands_for() -> None:
    assert sorted(h for p in headers._PASSES_STR for _, h in p.anchors) == sorted(HEADERS)
    for one in headers._PASSES_STR:
        assert all(one.key in anchor for anchor, _ in one.anchors)
        assert one.alone == (len(one.anchors) == 1 and one.anchors[0][0] == one.key)
    assert len(headers._PASSES_STR) < len(HEADERS) - 10  # what the shared keys are for


EDGES = [
    "x" * (headers.MAX_LINE - 20) + " general protection fault, probably for non-canonical address\n",
    "y" * headers.MAX_LINE + " divide error: 0000 [#1] SMP\nnext line\n",
    "BUG: BUG: kernel BUG at mm/slub.c:42!\n" * 3,
    "[   1.0] Poison overwritten Left Redzone overwritten\n[   2.0] Redzone overwritten",
    "Kernel panic - not syncing: Fatal exception\nrust_kernel: panicked at 'x'\ntrusty: panic notifier\n",
    "PANIC: double fault, error_code: 0x0\ndouble fault: 0000 [#1] PREEMPT SMP\nUnhandled fault: x\n",
    "faultfaultfault\npanic\nerror:\nBUG\n",
    "Internal error: Oops: 96000005 [#1] SMP\nfatal error: no\n" + "z" * 5000 + "fault",
]


@pytest.mark.parametrize("piece", EDGES)
def test_edges(piece: str) -> None:
    assert headers._anchored_lines(piece, headers._PASSES_STR, "\n") == one_pass_per_anchor(piece)
    raw = piece.encode()
    assert headers._anchored_lines(raw, headers._PASSES_BYTES, b"\n") == one_pass_per_anchor(piece)


def test_every_corpus_log() -> None:
    logs = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in NOT_LOGS)
    differ = []
    for path in logs:
        raw = path.read_bytes()
        text = raw.decode("utf-8", "replace")
        if headers._anchored_lines(text, headers._PASSES_STR, "\n") != one_pass_per_anchor(text):
            differ.append(str(path))
        if raw.isascii() and headers._anchored_lines(raw, headers._PASSES_BYTES, b"\n") != one_pass_per_anchor(text):
            differ.append(f"{path} (bytes)")
    assert not differ, differ[:10]
