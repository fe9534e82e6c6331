"""Run the log variants (tests/core/log_variants.py) over every development log of the three corpora.

For each (log, transform) the variant's title, culprit function, kind and fingerprint are compared
with the untransformed log's.  Only development logs are read: a sealed log (corpus_score.sealed)
is skipped before its content is loaded as a log.  Runnable by hand:
    .venv/bin/python tests/core/invariance.py [--fails] [--transform NAME[,NAME...]] [--then NAME] [--corpus NAME]

`--then NAME`: every variant is rewritten by the transform NAME as well (a journal capture a quoter then filled
to 72 columns: `--transform journal,rsyslog --then wrapped`); the counts are the compound's.

It prints, per transform, how many logs it applied to and how many changed (and in which field);
`--fails` lists the changed development logs.
"""

from __future__ import annotations

import collections
import sys
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("title", "function", "kind", "fingerprint")


@dataclass(frozen=True)
class Change:
    """One variant whose report differs from the original's: where, by which transform, how."""

    corpus: str
    case: str
    transform: str
    fields: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]

    def line(self) -> str:
        diffs = [f"{f}: {b!r} -> {a!r}" for f, b, a in zip(FIELDS, self.before, self.after, strict=True) if f in self.fields]
        return f"{self.transform:19} {self.corpus}/{self.case}: " + "; ".join(diffs)


def facts(data: bytes) -> tuple[str, ...]:
    from kcrashd.core import analyze

    rep = analyze(data)
    return rep.title, rep.function or "", rep.kind, rep.fingerprint


def development_logs(corpora: tuple[str, ...]) -> list[tuple[str, str, bytes]]:
    """(corpus, case id, log) for every development log: sealed cases are dropped unread."""
    from tests.core.corpus_score import LOADERS

    out = []
    for name in corpora:
        for case in LOADERS[name]():
            if not case.sealed:
                out.append((name, case.id, case.log()))
    return out


def then(data: bytes, name: str) -> bytes:
    """`data` rewritten by the transform `name` too, where it applies (`--then`: a syslog capture quoted and
    then filled by the quoter's editor is two rewrites, in that order)."""
    from tests.core.log_variants import TRANSFORMS

    t = next(t for t in TRANSFORMS if t.name == name)
    text = data.decode("utf-8", "surrogateescape")
    return t.apply(text).encode("utf-8", "surrogateescape") if t.applies(text) else data


def run(logs: list[tuple[str, str, bytes]], names: frozenset[str] | None = None,
        second: str | None = None) -> tuple[collections.Counter[str], list[Change]]:  # fmt: skip
    """How many logs each transform applied to, and every variant that changed a field; `second`: each variant
    rewritten by that transform too (then()), the log's own facts the reference."""
    from tests.core.log_variants import variants

    applied: collections.Counter[str] = collections.Counter()
    changes = []
    for corpus, case, data in logs:
        base = facts(data)
        for t, new in variants(data):
            if names is not None and t.name not in names:
                continue
            applied[t.name] += 1
            got = facts(then(new, second) if second else new)
            if got != base:
                changed = tuple(f for f, b, a in zip(FIELDS, base, got, strict=True) if b != a)
                changes.append(Change(corpus, case, t.name, changed, base, got))
    return applied, changes


def summary(applied: collections.Counter[str], changes: list[Change]) -> list[str]:
    from tests.core.log_variants import TRANSFORMS

    lines = []
    for t in TRANSFORMS:
        mine = [c for c in changes if c.transform == t.name]
        by_field = collections.Counter(f for c in mine for f in c.fields)
        fields = ", ".join(f"{f} {by_field[f]}" for f in FIELDS if by_field[f])
        lines.append(f"{t.name:19} {t.family:8} applied {applied[t.name]:4}  changed {len(mine):3}" + (f"  ({fields})" if fields else ""))
    return lines


def main(argv: list[str]) -> int:
    from tests.core.corpus_score import CORPORA

    corpora = (argv[argv.index("--corpus") + 1],) if "--corpus" in argv else CORPORA
    names = frozenset(argv[argv.index("--transform") + 1].split(",")) if "--transform" in argv else None
    second = argv[argv.index("--then") + 1] if "--then" in argv else None
    applied, changes = run(development_logs(corpora), names, second)
    print("\n".join(summary(applied, changes)))
    if "--fails" in argv:
        print("\n".join(c.line() for c in changes))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    raise SystemExit(main(sys.argv[1:]))
