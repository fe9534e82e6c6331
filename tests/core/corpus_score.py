"""Score kcrashd.core.analyze on the syzkaller corpus against syzkaller's expected titles.

Used by tests/core/test_corpus_score.py and runnable by hand:
    .venv/bin/python tests/core/corpus_score.py [--fails] [--half even|odd]
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "syzkaller"


def load_cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]


def case_log(case: dict[str, Any]) -> bytes:
    raw = (CORPUS / case["file"]).read_bytes()
    return raw[case["log_offset"] : case["log_end_offset"]].replace(b"\r", b"")


def case_number(case: dict[str, Any]) -> int:
    return int(case["id"].rsplit("-", 1)[1])


def culprit(title: str) -> str:
    return title.rsplit(" in ", 1)[1].strip() if " in " in title else ""


def clean(fn: str) -> str:
    fn = re.sub(r"\+0x[0-9a-f]+(/0x[0-9a-f]+)?$", "", fn.strip())
    return re.sub(r"\.(isra|constprop|cold|part|llvm)(\.\d+)*$", "", fn)


@dataclass
class Score:
    n: int
    title: float
    function: float
    type: float
    nocrash: str
    precision: float
    recall: float
    f1: float
    fails: list[str]

    def line(self) -> str:
        return (
            f"n={self.n} title {self.title:.3f} function {self.function:.3f} type {self.type:.3f} "
            f"no-crash {self.nocrash} pairs P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f}"
        )


def score(cases: list[dict[str, Any]]) -> Score:
    from kcrashd.core import analyze
    from kcrashd.core.title import title_type

    title_ok = fn_ok = fn_n = crash_n = type_ok = nocrash_ok = nocrash_n = 0
    fails: list[str] = []
    crashed: list[tuple[set[str], str]] = []
    for c in cases:
        rep = analyze(case_log(c), source=c["id"])
        if not c["has_crash"]:
            nocrash_n += 1
            ok = not rep.title
            nocrash_ok += ok
            if not ok:
                fails.append(f"{c['id']}: want no crash, got {rep.title!r}")
            continue
        crash_n += 1
        t_ok = rep.title == c["title"] or rep.title in c["alt_titles"]
        title_ok += t_ok
        type_ok += title_type(rep.title) == c["type"] or (c["type"] == "" and not rep.title)
        want = culprit(c["title"])
        f_ok = True
        if want and want != "corrupted":
            fn_n += 1
            f_ok = clean(rep.function or "") == clean(want)
            fn_ok += f_ok
        if not t_ok or not f_ok:
            fails.append(f"{c['id']}: want {c['title']!r} got {rep.title!r} fn {rep.function!r}")
        crashed.append(({c["title"], *c["alt_titles"]}, rep.fingerprint))
    tp = fp = fn = 0
    for (a_titles, a_fp), (b_titles, b_fp) in itertools.combinations(crashed, 2):
        same = bool(a_titles & b_titles)
        merged = a_fp == b_fp and a_fp != ""
        tp += same and merged
        fp += merged and not same
        fn += same and not merged
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(
        len(cases), title_ok / max(crash_n, 1), fn_ok / max(fn_n, 1), type_ok / max(crash_n, 1),
        f"{nocrash_ok}/{nocrash_n}", p, r, f1, fails,
    )


def main(argv: list[str]) -> int:
    cases = load_cases()
    if "--half" in argv:
        half = argv[argv.index("--half") + 1]
        cases = [c for c in cases if (case_number(c) % 2 == 0) == (half == "even")]
    s = score(cases)
    if "--fails" in argv:
        print("\n".join(s.fails))
    print(s.line())
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    raise SystemExit(main(sys.argv[1:]))
