"""Test doubles of a change of the grouping rules: the core's analysis with one rule on top, as
an earlier or later kcrashd (or an operator's rule file) would key some crashes differently."""

from __future__ import annotations

from dataclasses import dataclass

from kcrashd.core import analyze
from kcrashd.core.model import Report


@dataclass(frozen=True)
class Rekey:
    """Crashes whose culprit is `function` get the fixed key `key` (a fingerprint override)."""

    function: str
    key: str

    def __call__(self, data: bytes, *, source: str = "") -> Report:
        report = analyze(data, source=source)
        if report.function != self.function:
            return report
        return report.model_copy(update={"fingerprint": self.key, "fingerprint_aliases": []})


def earlier_version(data: bytes, *, source: str = "") -> Report:
    """The report as fingerprint version 2 keyed it: its `kc2-` key (which version 3 lists as an
    alias) as the fingerprint."""
    report = analyze(data, source=source)
    old = [key for key in report.fingerprint_aliases if key.startswith("kc2-")]
    if not old:
        return report
    rest = [key for key in report.fingerprint_aliases if key.startswith("kc1-")]
    return report.model_copy(update={"fingerprint": old[0], "fingerprint_version": 2, "fingerprint_aliases": rest})
