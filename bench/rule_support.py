#!/usr/bin/env python3
"""How many syzkaller corpus files each rule of the signature and skip tables matches.

A rule that matches exactly one corpus file is keyed on that file, not on the kernel's format:
it must go or be generalised (tests/core/test_rule_support.py enforces it).  Skip-list rules are
matched against the function names of each file's stack lines; signature, suppression and
continuation patterns against its lines.  Alternatives at the top level of a rule count as rules.

    .venv/bin/python bench/rule_support.py [--all]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def split_alternatives(pattern: str) -> list[str]:
    """Top-level `|` alternatives of a regex: each is a rule; a group of alternatives is one rule
    (a family of names written together on purpose, e.g. `^(?:logic_)?(?:in|out)[bwl]$`)."""
    body = pattern
    prefix = suffix = ""
    parts: list[str] = []
    depth = 0
    cur = ""
    esc = False
    cls = False
    for ch in body:
        if esc:
            cur += ch
            esc = False
            continue
        if ch == "\\":
            cur += ch
            esc = True
            continue
        if cls:
            cls = ch != "]"
        elif ch == "[":
            cls = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return [prefix + p + suffix for p in parts]


def corpus_logs() -> list[bytes]:
    """The real logs: the syzkaller corpus and the crash lab's (not the hand-written edge cases)."""
    from tests.core.corpus_score import case_log, load_cases

    logs = [case_log(case) for case in load_cases()]
    lab = ROOT / "tests" / "corpus" / "lab"
    logs += [p.read_bytes() for p in sorted(lab.glob("*/*")) if p.name in ("console.log", "vmcore-dmesg.txt")]
    return logs


def corpus_files() -> list[tuple[list[str], set[str]]]:
    """(message lines, function names) of each corpus log."""
    from kcrashd.core import frames
    from kcrashd.core.normalize import parse_line

    at = re.compile(r"(?:at:|in:?|at) (?:\[<[0-9a-f]+>\] )?([A-Za-z_$][A-Za-z0-9_$.]*)\+0x")
    last = re.compile(r"last function: ([A-Za-z_$][A-Za-z0-9_$]*)")
    out = []
    for log in corpus_logs():
        texts = [parse_line(raw)[0] for raw in log.decode("utf-8", "replace").split("\n")]
        names: set[str] = set()
        for t in texts:
            names.update(fr.function for fr in frames.parse_frames(t))
            pc = frames.fault_pc(t)
            if pc:
                names.add(pc)
            for m in (*at.finditer(t), *last.finditer(t)):
                names.add(frames.clean_function(m.group(1)))
        out.append((texts, names))
    return out


def rules() -> Iterator[tuple[str, str, str]]:
    """(table, rule, kind) for every rule; kind is `name` (matched on functions) or `line`."""
    from kcrashd.core import frames, signatures

    for table in ("SKIP_REPORTING", "SKIP_ALLOCATOR", "SKIP_LOCKING", "SKIP_HELPERS", "SKIP_INFRA", "SKIP_ENTRY"):
        for rule in getattr(frames, table):
            for alt in split_alternatives(rule):
                yield table, alt, "name"
    for name in ("STALL_ANCHOR_RULES", "FAULT_ENTRY_RULES", "STALL_EXTRA_SKIP_RULES", "STALL_EXTRA_SKIP_SINCE_V4_RULES", "HANG_SKIP_RULES"):
        for rule in getattr(frames, name):
            for alt in split_alternatives(rule):
                yield name, alt, "name"
    for name in ("HANG_RTNL", "HANG_SYNC"):
        yield name, getattr(frames, name).pattern, "name"
    for sig in signatures.SIGNATURES:
        yield f"signature {sig.name}", sig.pattern, "line"
        if sig.skip:
            yield f"skip of {sig.name}", sig.skip, "name"
        if sig.requires:
            yield f"requires of {sig.name}", sig.requires, "line"
    for header, pat in signatures.SUPPRESSIONS.items():
        for alt in split_alternatives(pat.pattern):
            yield f"suppression {header}", alt, "line"
    for name in ("CONSEQUENCE_PANIC", "CONTINUES_REPORT", "ENDS_REPORT"):
        for alt in split_alternatives(getattr(signatures, name).pattern):
            yield name, alt, "line"


def cited() -> set[tuple[str, str]]:
    """(table, rule) of signature rows whose `why` names the kernel code that prints them: the kernel's
    format, whatever number of corpus files shows it."""
    from kcrashd.core import signatures

    return {(f"signature {sig.name}", sig.pattern) for sig in signatures.SIGNATURES if KERNEL_SOURCE.search(sig.why)}


# A kernel source file: `net/core/dev.c`, `rust/kernel/lib.rs`, `include/linux/mm.h`.
KERNEL_SOURCE = re.compile(r"\b[a-z0-9_\-]+(?:/[A-Za-z0-9_\-]+)+\.(?:c|h|rs|S)\b")


def support() -> list[tuple[str, str, int]]:
    files = corpus_files()
    out = []
    for table, rule, kind in rules():
        try:
            rx = re.compile(rule)
        except re.error:
            rx = re.compile(re.escape(rule))
        if kind == "name":
            n = sum(1 for _, names in files if any(rx.search(fn) for fn in names))
        else:
            n = sum(1 for texts, _ in files if any(rx.search(t) for t in texts))
        out.append((table, rule, n))
    return out


def main(argv: list[str]) -> int:
    rows = support()
    ok = cited()
    for table, rule, n in rows:
        if (n == 1 and (table, rule) not in ok) or "--all" in argv:
            print(f"{n:4d}  {table:28s} {rule}")
    single = sum(1 for table, rule, n in rows if n == 1 and (table, rule) not in ok)
    print(f"{single} of {len(rows)} rules match exactly one corpus file (rows citing kernel code aside)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
