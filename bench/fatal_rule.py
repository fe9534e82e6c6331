#!/usr/bin/env python3
"""Measure fatal-event rules on the syzkaller corpus halves (and the lab logs when present).

Each rule picks one report of a log; the printed number is the title agreement it gives.
    .venv/bin/python bench/fatal_rule.py
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kcrashd.core import events as ev_mod  # noqa: E402
from kcrashd.core.normalize import LogLines  # noqa: E402
from kcrashd.core.signatures import Severity  # noqa: E402
from tests.core.corpus_score import case_log, case_number, load_cases  # noqa: E402

Rule = Callable[[LogLines, list[ev_mod.Event]], int | None]
_RANK = {Severity.CRITICAL: 3, Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


def _panic_trigger(lines: LogLines, events: list[ev_mod.Event]) -> int | None:
    for n, ev in enumerate(events):
        if ev.hit.is_panic:
            return n - 1 if ev_mod.CONSEQUENCE_PANIC.search(lines[ev.start].text) and n > 0 else n
        if any(h.is_panic for h in ev.followers):
            return n
    return None


def _severity(events: list[ev_mod.Event]) -> int:
    ranks = [_RANK[e.hit.signature.severity] if e.hit.signature else 0 for e in events]
    return ranks.index(max(ranks))


def first_of_highest_severity(lines: LogLines, events: list[ev_mod.Event]) -> int | None:
    """The rule kcrashd had before: panic cause, else the first report of the highest severity."""
    if not events:
        return None
    t = _panic_trigger(lines, events)
    return _severity(events[: t + 1]) if t is not None else _severity(events)


def always_first(lines: LogLines, events: list[ev_mod.Event]) -> int | None:
    """syzkaller's: the first report."""
    return 0 if events else None


def panic_else_last(lines: LogLines, events: list[ev_mod.Event]) -> int | None:
    """Panic cause, else the last report (kdump: the log ends at the fatal oops)."""
    if not events:
        return None
    t = _panic_trigger(lines, events)
    return t if t is not None else len(events) - 1


RULES: dict[str, Rule] = {
    "chain (kcrashd)": ev_mod.choose_fatal,
    "first of highest severity": first_of_highest_severity,
    "always first": always_first,
    "panic cause, else last": panic_else_last,
}


def main() -> int:
    from kcrashd.core import analyze

    cases = [c for c in load_cases() if c["has_crash"]]
    lab = ROOT / "tests" / "corpus" / "lab"
    manifest = lab / "manifest.json"
    lab_logs: list[tuple[Path, str]] = []
    if manifest.exists():
        for case in json.loads(manifest.read_text()).get("cases", []):
            for name in ("console.log", "vmcore-dmesg.txt"):
                p = lab / case["case"] / name
                if p.exists() and p.stat().st_size:
                    lab_logs.append((p, case.get("expected_function") or ""))
    original = ev_mod.choose_fatal
    try:
        for name, rule in RULES.items():
            ev_mod.choose_fatal = rule  # type: ignore[assignment]
            score = {}
            for half in ("even", "odd"):
                sel = [c for c in cases if (case_number(c) % 2 == 0) == (half == "even")]
                ok = 0
                for c in sel:
                    t = analyze(case_log(c)).title
                    ok += t == c["title"] or t in c["alt_titles"]
                score[half] = ok / len(sel)
            lab_ok = sum(analyze(p.read_bytes()).function == fn for p, fn in lab_logs)
            lab_txt = f", lab function {lab_ok}/{len(lab_logs)}" if lab_logs else ""
            print(f"{name:28s} title even {score['even']:.3f} odd {score['odd']:.3f}{lab_txt}")
    finally:
        ev_mod.choose_fatal = original
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
