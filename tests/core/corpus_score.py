"""Score kcrashd.core.analyze on the three corpora: syzkaller, lab and production.

Every corpus is split by a fixed rule on each log file's content (see `sealed`): about 70 % is
the development part, reported in detail; the rest is the sealed validation part, reported in
aggregate only, never case by case, so that rules are not tuned on it.  See docs/corpus.md.

Used by tests/core/test_corpus_score.py and runnable by hand:
    .venv/bin/python tests/core/corpus_score.py [--fails] [--by] [--half even|odd] [--corpus NAME]

`--fails` lists the development part's misses; `--by` counts each part's misses by facet (kind,
arch, source, kernel series, line style, title type and header) and what went wrong, numbers only; `--half` keeps the older even/odd split of the
syzkaller corpus (by case number) and scores that half alone.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "corpus"
CORPUS = ROOT / "syzkaller"
LAB = ROOT / "lab"
PRODUCTION = ROOT / "production"
CORPORA = ("syzkaller", "lab", "production")

# A log file is sealed when the first byte of the SHA-256 of its content is below this: 77/256,
# about 30 %.  Fixed: changing it would unseal files that were tuned against.
SEAL_BELOW = 77


def sealed(content: bytes) -> bool:
    """Whether a log file belongs to the sealed validation part (by its content's hash)."""
    return hashlib.sha256(content).digest()[0] < SEAL_BELOW


def load_cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CORPUS / "index.jsonl").read_text().splitlines() if line.strip()]


def case_log(case: dict[str, Any]) -> bytes:
    raw = (CORPUS / case["file"]).read_bytes()
    return raw[case["log_offset"] : case["log_end_offset"]].replace(b"\r", b"")


def case_number(case: dict[str, Any]) -> int:
    return int(case["id"].rsplit("-", 1)[1])


def culprit(title: str) -> str:
    return title.rsplit(" in ", 1)[1].strip() if " in " in title else ""


# The panics that only say an earlier report was fatal (arch die/oops_end `panic("Fatal exception")` and `"Fatal
# exception in interrupt"`, kernel/panic.c's panic_on_warn and `Oops`/`BUG!` callers, kernel/hung_task.c,
# kernel/watchdog.c, kernel/rcu/tree_stall.h, kernel/exit.c): the message is the same for every bug, and syzkaller
# marks a report titled by one alone corrupted (its reports 48 and 96, `kernel panic: Fatal exception`).
CONSEQUENCE_TITLE = re.compile(
    r"kernel panic: (?:Fatal exception(?: in interrupt)?|Oops(?: - BUG)?|BUG!|panic_on_warn set|hung_task: blocked tasks|"
    r"softlockup: hung tasks|rcu_stall|Aiee, killing interrupt handler!|Attempted to kill the idle task!)"
)


def _culpritless_titles() -> frozenset[str]:
    """The titles of kinds that name a culprit (`BUG: soft lockup in {F}`) written without it: the production
    rows' spelling of syzkaller's `... in corrupted` for a report quoted with no stack (docs/corpus.md)."""
    from kcrashd.core.signatures import SIGNATURES

    heads = (sig.title.removesuffix(" in {F}") for sig in SIGNATURES if sig.title.endswith(" in {F}"))
    return frozenset(head for head in heads if "{" not in head)


CULPRITLESS = _culpritless_titles()


def bug_of(title: str, alts: list[str]) -> frozenset[str]:
    """The expected titles that name a bug, for pair scoring.  A title whose culprit is `corrupted` names
    none: syzkaller gives it to every report of a kind whose frame it could not extract, different
    bugs alike, so two such cases are not known to be one bug (nor two), and are not paired; nor does its
    production spelling, the kind's title without ` in F` (CULPRITLESS).  Nor does a panic that only says an
    earlier report was fatal (CONSEQUENCE_TITLE)."""
    return frozenset(
        t for t in (title, *alts)
        if culprit(t) != "corrupted" and t not in CULPRITLESS and not CONSEQUENCE_TITLE.match(t)
    )


def site_bug(bug: frozenset[str], function: str) -> frozenset[str]:
    """A production row whose title names another function than its culprit names the reporting site
    (`WARNING in free_irq` raised about the driver that freed; a sleeping API's title with the caller that
    slept in atomic context): the bug is the site reached from that culprit, so two such rows of one title
    and two culprits are two bugs.  Where the title names the culprit, or no function, the title alone."""
    if not function:
        return bug
    return frozenset(t if clean(culprit(t)) in ("", clean(function)) else f"{t} | {clean(function)}" for t in bug)


def clean(fn: str) -> str:
    fn = re.sub(r"\+0x[0-9a-f]+(/0x[0-9a-f]+)?$", "", fn.strip())
    return re.sub(r"\.(isra|constprop|cold|part|llvm)(\.\d+)*$", "", fn)


@dataclass
class Case:
    """One log with what it should give; a field left empty (or None) is not scored."""

    id: str
    log: Callable[[], bytes]
    content: bytes  # what the sealing rule hashes: the log file as stored
    has_crash: bool
    titles: frozenset[str] = frozenset()  # the expected title and its accepted alternatives
    type: str | None = None  # expected crash type (kcrashd.core.title.title_type)
    kind: str | None = None  # expected kcrashd kind (docs/report-schema.md)
    function: str = ""
    bug: frozenset[str] = frozenset()  # two cases are one bug when these overlap (pair scoring)
    source: str = ""
    arch: str = ""  # the log's architecture, where the corpus records it
    project: str = ""  # where the log comes from (production: the source repository)
    corrupted: bool | None = None  # whether the report is corrupted, where the corpus says (syzkaller's CORRUPTED)

    @property
    def sealed(self) -> bool:
        return sealed(self.content)


def syzkaller_cases(cases: list[dict[str, Any]] | None = None) -> list[Case]:
    out = []
    for c in load_cases() if cases is None else cases:
        # The index's `frame` is the culprit syzkaller names (the README: "the culprit function,
        # `corrupted` if none"); it differs from the title's tail where the title adds to the frame
        # (`... at addr ADDR`, `F/usb_submit_urb`, a KCSAN race's second function).
        want = str(c.get("frame") or "")
        out.append(Case(
            id=c["id"], log=lambda c=c: case_log(c), content=(CORPUS / c["file"]).read_bytes(),
            has_crash=c["has_crash"], titles=frozenset({c["title"], *c["alt_titles"]}) if c["has_crash"] else frozenset(),
            type=c["type"] if c["has_crash"] else None,
            function=want if want != "corrupted" else "",
            bug=bug_of(c["title"], c["alt_titles"]) if c["has_crash"] else frozenset(), source=c["id"],
            project="syzkaller", corrupted=bool(c.get("corrupted")) if c["has_crash"] else None,
        ))
    return out


def _lab_logs(case: dict[str, Any]) -> list[Path]:
    """The logs in which the kernel printed the crash, as tests/core/test_lab.py counts them."""
    from kcrashd.core import has_crash

    files = case.get("files")
    names = ("console.log", "vmcore-dmesg.txt")
    if isinstance(files, dict) and files:
        paths = [LAB / str(p) for p in files.values()]
    else:
        paths = [LAB / str(case.get("case") or case.get("name")) / n for n in names]
    want = str(case.get("expected_function") or case.get("function") or "")
    unnamed = case.get("culprit_in_trace") is False
    out = []
    for p in paths:
        if p.name not in names or not p.exists() or not p.stat().st_size:
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        shown = not want or re.search(rf"\b{re.escape(want)}(?:\.\w+)*\+0x", text) is not None
        if shown or (unnamed and has_crash(p.read_bytes())):
            out.append(p)
    return out


# Lab runs whose crash the kernel found in another task: SLUB checks a freed object's poison when it hands the object
# out again, and LKDTM's WRITE_AFTER_FREE reallocates it to be the one it finds (`lkdtm: Hmm, didn't get the same
# memory range.` when it was not); sid-7.2's run1 panicked in exec's allocation (`BUG: Poison overwritten`, the trace
# from load_elf_phdrs down, no LKDTM frame).  The report names the allocating code, as the kernel did: neither its
# function nor its pairing with the kind's other runs is scored (tests/core/test_lab.py asks for another culprit).
DETECTED_ELSEWHERE = frozenset({"sid-7.2_lkdtm-write-after-free_run1"})


def lab_cases() -> list[Case]:
    from kcrashd.core.signatures import SIGNATURES

    # The lab's class names the trigger; it is scored as a kind only where it is one of kcrashd's
    # kinds (a use-after-free without KASAN is reported as what the kernel saw: a GPF).
    kinds = {s.kind for s in SIGNATURES}
    manifest = LAB / "manifest.json"
    if not manifest.exists():
        return []
    data = json.loads(manifest.read_text())
    out = []
    for c in data.get("cases", []):
        if not c.get("reproduced", True):
            continue
        kind = str(c.get("expected_class") or c.get("kind"))
        bug = str(c.get("kind") or kind)  # one bug per lab kind; several kinds share a class
        want = str(c.get("expected_function") or c.get("function") or "")
        # Where the kernel never printed the culprit's name (arm64 panic()), no parser can name it.
        printed = c.get("culprit_in_trace", True) is not False or c.get("arch") in ("x86_64", "amd64")
        elsewhere = c.get("case") in DETECTED_ELSEWHERE
        for p in _lab_logs(c):
            out.append(Case(
                id=str(p.relative_to(LAB)), log=p.read_bytes, content=p.read_bytes(), has_crash=True,
                kind=kind if kind in kinds else None, function=want if printed and not elsewhere else "",
                bug=frozenset() if elsewhere else frozenset({bug}), source=str(c.get("case")),
                arch=str(c.get("arch") or ""), project="kdump" if p.name == "vmcore-dmesg.txt" else "console",
            ))
    return out


def production_index() -> list[dict[str, str]]:
    """tests/corpus/production/INDEX.tsv: one row a log file (tab-separated, no quoting)."""
    lines = (PRODUCTION / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, line.split("\t"), strict=True)) for line in lines[1:] if line.strip()]


def production_cases() -> list[Case]:
    from kcrashd.core.title import title_type

    out = []
    for row in production_index():
        path = PRODUCTION / row["file"]
        crash = row["kind"] != "none"
        title = row["title"]
        out.append(Case(
            id=row["file"], log=path.read_bytes, content=path.read_bytes(), has_crash=crash,
            titles=frozenset({title}) if title else frozenset(), type=title_type(title) if title else None,
            kind=row["kind"] if crash else None, function=row["function"],
            bug=site_bug(bug_of(title, []), row["function"]) if title else frozenset(), source=row["repo"],
            arch=row["arch"], project=row["repo"],
        ))
    return out


LOADERS: dict[str, Callable[[], list[Case]]] = {
    "syzkaller": syzkaller_cases, "lab": lab_cases, "production": production_cases,
}


def _ratio(ok: int, n: int) -> float | None:
    return ok / n if n else None


def _fmt(name: str, value: float | None) -> str:
    return f"{name} {'n/a' if value is None else f'{value:.3f}'}"


@dataclass
class Score:
    n: int
    title: float | None
    function: float | None
    type: float | None
    nocrash: str
    precision: float
    recall: float
    f1: float
    fails: list[str]
    kind: float | None = None
    corrupted: float | None = None  # agreement with the corpus's corrupted flag (syzkaller's), where it has one
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Per case, what went wrong ("ok" when nothing did; see `outcome`), and the pairs of different
    # bugs that got one fingerprint: read only in aggregate for the sealed part (`breakdown`).
    outcomes: list[tuple[Case, str]] = field(default_factory=list)
    false_merges: list[tuple[Case, Case]] = field(default_factory=list)
    bucketed: set[str] = field(default_factory=set)  # case ids keyed on a bucket alternative

    def line(self) -> str:
        return (
            f"n={self.n} {_fmt('title', self.title)} {_fmt('function', self.function)} {_fmt('type', self.type)} "
            f"{_fmt('kind', self.kind)} no-crash {self.nocrash} pairs P {self.precision:.3f} R {self.recall:.3f} "
            f"F1 {self.f1:.3f}" + (f" {_fmt('corrupted', self.corrupted)}" if self.corrupted is not None else "")
        )


def score_cases(cases: list[Case]) -> Score:
    from kcrashd.core import analyze
    from kcrashd.core.fingerprint import BUCKETS
    from kcrashd.core.title import title_type

    n = {"title": 0, "function": 0, "type": 0, "kind": 0, "corrupted": 0}
    ok = dict.fromkeys(n, 0)
    nocrash_ok = nocrash_n = 0
    fails: list[str] = []
    crashed: list[tuple[Case, str]] = []
    outcomes: list[tuple[Case, str]] = []
    bucketed: set[str] = set()  # cases whose fingerprint key is a bucket alternative, not the title
    for c in cases:
        rep = analyze(c.log(), source=c.source or c.id)
        if not c.has_crash:
            nocrash_n += 1
            good = not rep.title
            nocrash_ok += good
            outcomes.append((c, "ok" if good else "false crash"))
            if not good:
                fails.append(f"{c.id}: want no crash, got {rep.title!r} fn {rep.function!r}")
            continue
        miss = []
        checks = {
            "title": (bool(c.titles), rep.title in c.titles),
            "type": (c.type is not None, title_type(rep.title) == c.type),
            "kind": (c.kind is not None, rep.kind == c.kind),
            "function": (bool(c.function), clean(rep.function or "") == clean(c.function)),
            "corrupted": (c.corrupted is not None, rep.corrupted == c.corrupted),
        }
        for key, (scored, good) in checks.items():
            if scored:
                n[key] += 1
                ok[key] += good
                if not good:
                    miss.append(key)
        outcomes.append((c, outcome(rep, miss)))
        if miss:
            want = sorted(c.titles)[0] if c.titles else c.kind
            fails.append(
                f"{c.id}: [{','.join(miss)}] want {want!r} fn {c.function!r} kind {c.kind!r}; "
                f"got {rep.title!r} fn {rep.function!r} kind {rep.kind!r}"
            )
        if c.bug:
            crashed.append((c, rep.fingerprint))
            if any(alt.startswith(BUCKETS) for alt in rep.alt_titles):
                bucketed.add(c.id)
    tp = fp = fn = 0
    false_merges = []
    for (a, a_fp), (b, b_fp) in itertools.combinations(crashed, 2):
        same = bool(a.bug & b.bug)
        merged = a_fp == b_fp and a_fp != ""
        tp += same and merged
        fp += merged and not same
        fn += same and not merged
        if merged and not same:
            false_merges.append((a, b))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(
        len(cases), _ratio(ok["title"], n["title"]), _ratio(ok["function"], n["function"]),
        _ratio(ok["type"], n["type"]), f"{nocrash_ok}/{nocrash_n}", p, r, f1, fails,
        kind=_ratio(ok["kind"], n["kind"]), corrupted=_ratio(ok["corrupted"], n["corrupted"]),
        counts={k: (ok[k], n[k]) for k in n},
        outcomes=outcomes, false_merges=false_merges, bucketed=bucketed,
    )


def outcome(rep: Any, miss: list[str]) -> str:
    """What went wrong with one crash log, as one word group (the first that applies)."""
    if not miss:
        return "ok"
    if not rep.title:
        return "no crash"
    if rep.corrupted or "corrupted" in rep.title:
        return "corrupted"
    if "kind" in miss or "type" in miss:
        return "wrong kind"
    if "function" in miss:
        return "no function" if not rep.function else "wrong function"
    if miss == ["corrupted"]:
        return "corrupted flag"
    return "wrong title"


_RELEASE = re.compile(rb"(?:[Nn]ot tainted|Tainted: [A-Z ]{1,40}) (\d+)\.\d+")


def release_family(log: bytes) -> str:
    """The kernel series the log names in its `Tainted:` line: 2.6, 3.x ... 6.x, or unknown."""
    m = _RELEASE.search(log)
    if not m:
        return "unknown"
    return "2.6" if m[1] == b"2" else f"{int(m[1])}.x"


def log_style(log: bytes) -> str:
    """How the log's lines are prefixed: dmesg timestamps, syslog, printk levels, or bare."""
    lines = [ln for ln in log.splitlines()[:400] if ln.strip()]
    if not lines:
        return "empty"
    styles = {
        "syslog": sum(b" kernel: " in ln[:80] for ln in lines),
        "dmesg": sum(ln.lstrip()[:1] == b"[" for ln in lines),
        "level": sum(ln[:1] == b"<" and ln[2:3] == b">" for ln in lines),
    }
    best = max(styles, key=lambda k: styles[k])
    return best if styles[best] * 2 >= len(lines) else "bare"


FACETS: dict[str, Callable[[Case], str]] = {
    "kind": lambda c: c.kind or c.type or ("none" if not c.has_crash else "other"),
    "arch": lambda c: c.arch or "?",
    "project": lambda c: c.project or "?",
    "release": lambda c: release_family(c.log()),
    "style": lambda c: log_style(c.log()),
    "type": lambda c: c.type or ("none" if not c.has_crash else "?"),
    "header": lambda c: min(c.titles).rsplit(" in ", 1)[0] if c.titles else ("none" if not c.has_crash else "?"),
}
# A facet value shared by fewer cases than this is counted under "other": a header seen once or twice would
# all but name its case, and the sealed part is read in aggregate only.
FINE_FACETS = frozenset({"header"})
MIN_GROUP = 4


def _merge_small(groups: dict[str, collections.Counter[str]]) -> dict[str, collections.Counter[str]]:
    """The groups of fewer than MIN_GROUP cases counted together as "other"."""
    out: dict[str, collections.Counter[str]] = {}
    for value, counter in groups.items():
        key = value if sum(counter.values()) >= MIN_GROUP else "other"
        out.setdefault(key, collections.Counter()).update(counter)
    return out


def breakdown(part: str, s: Score) -> list[str]:
    """Counts only: misses of one part by facet and by what went wrong, and false merges by kind.

    Safe for the sealed part: no file name, title or function is printed, only facet values
    (kind, arch, source repository, kernel series, line style, title type, and a title's header
    without its culprit where at least MIN_GROUP cases share it) and numbers."""
    lines = []
    for facet, key in FACETS.items():
        groups: dict[str, collections.Counter[str]] = {}
        for c, what in s.outcomes:
            groups.setdefault(key(c), collections.Counter())[what] += 1
        if facet in FINE_FACETS:
            groups = _merge_small(groups)
        cells = []
        for value, counter in sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
            bad = {w: k for w, k in counter.items() if w != "ok"}
            why = ", ".join(f"{w} {k}" for w, k in sorted(bad.items()))
            cells.append(f"{value} {counter['ok']}/{sum(counter.values())}" + (f" ({why})" if why else ""))
        lines.append(f"  {part} by {facet}: " + "; ".join(cells))
    whats = collections.Counter(w for _, w in s.outcomes if w != "ok")
    lines.append(f"  {part} misses: " + (", ".join(f"{w} {k}" for w, k in sorted(whats.items())) or "none"))
    what = {id(c): w for c, w in s.outcomes}
    merges = collections.Counter(
        " + ".join(sorted((a.kind or "?", b.kind or "?")))
        + (" by bucket" if a.id in s.bucketed and b.id in s.bucketed else " by title")
        + (" culprits right" if what[id(a)] == what[id(b)] == "ok" else " a culprit wrong")
        for a, b in s.false_merges
    )
    lines.append(f"  {part} false merges: " + (", ".join(f"{k} {n}" for k, n in sorted(merges.items())) or "none"))
    return lines


def score(cases: list[dict[str, Any]]) -> Score:
    """The syzkaller corpus's index rows, scored (all rows given, sealed or not)."""
    return score_cases(syzkaller_cases(cases))


def split(cases: list[Case]) -> tuple[list[Case], list[Case]]:
    """(development, sealed)."""
    return [c for c in cases if not c.sealed], [c for c in cases if c.sealed]


def report(name: str, cases: list[Case], fails: bool = False, by: bool = False) -> list[str]:
    """The lines printed for one corpus: development in detail, sealed in aggregate only.

    `by` adds, under each part's line, its misses counted by facet (`breakdown`)."""
    dev, held = split(cases)
    d, s = score_cases(dev), score_cases(held)
    lines = [f"{name} development {d.line()}"]
    if fails:
        lines += [f"  {line}" for line in d.fails]
    if by:
        lines += breakdown("development", d)
    # The sealed part: one aggregate line, never a case (its fails are dropped unread).
    lines.append(f"{name} sealed {s.line()}")
    if by:
        lines += breakdown("sealed", s)
    return lines


def main(argv: list[str]) -> int:
    fails = "--fails" in argv
    by = "--by" in argv
    if "--half" in argv:
        half = argv[argv.index("--half") + 1]
        rows = [c for c in load_cases() if (case_number(c) % 2 == 0) == (half == "even")]
        dev, _ = split(syzkaller_cases(rows))
        s = score_cases(dev)
        if fails:
            print("\n".join(s.fails))
        print(f"syzkaller {half} half, development part {s.line()}")
        return 0
    names = [argv[argv.index("--corpus") + 1]] if "--corpus" in argv else list(CORPORA)
    for name in names:
        print("\n".join(report(name, LOADERS[name](), fails, by)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    raise SystemExit(main(sys.argv[1:]))
