"""Applying the operator's grouping rules (kcrashd.core.operator_rules) to one report. Pure.

Frame rules change the culprit the walk chose (`CulpritWalk`, the `adjust` of title_report); an
override changes the key of a report it matches (`apply_overrides`). A report no rule changes is
returned as it is; a changed one lists the rules in `operator_rules` and keeps the key it would
have had without any rule first among its `fingerprint_aliases` (then, when frame rules and an
override both applied, the frame rules' key), so history can follow it.
"""

from __future__ import annotations

import hashlib

from kcrashd.core import frames
from kcrashd.core.culprit import Culprit, walked_candidates
from kcrashd.core.fingerprint import fingerprint_key
from kcrashd.core.model import AppliedRule, Report
from kcrashd.core.operator_rules import RULE_PREFIX, FrameAction, FrameRule, OperatorRules, Override
from kcrashd.core.signatures import Signature, Strategy

MAX_JOINED = 3  # functions in a joined culprit `A | B | C`
JOINER = " | "


class CulpritWalk:
    """The frame rules as a culprit adjustment; `applied` collects what they did."""

    def __init__(self, rules: OperatorRules) -> None:
        self.rules = rules
        self.applied: list[AppliedRule] = []

    def __call__(self, sig: Signature, texts: list[str], culprit: Culprit) -> Culprit:
        cands = walked_candidates(sig, texts) if sig.strategy is not Strategy.NONE else []
        if not cands:
            return culprit
        notes: list[AppliedRule] = []
        chosen = self._walk(cands, culprit.function, sig, notes)
        if chosen is None:
            return culprit
        name = self._joined(cands, chosen, sig, notes)
        if name == culprit.function or not notes:
            return culprit
        last = notes[-1]  # the rule that settled it says what came of it
        self.applied = [*notes, last.model_copy(update={"effect": f"culprit {culprit.function or '(none)'} -> {name}"})]
        return Culprit(name)

    def keyed(self, key: str) -> list[AppliedRule]:
        """What the walk did, each note with the report's key after it."""
        return [note.model_copy(update={"fingerprint": key}) for note in self.applied]

    def _walk(self, cands: list[str], current: str | None, sig: Signature, notes: list[AppliedRule]) -> int | None:
        """The candidate the rules make the culprit: the first `stop` frame met before the culprit,
        else the culprit, else (a `skip` rule on it) the next useful frame below it."""
        start = cands.index(current) if current in cands else len(cands)
        for i, name in enumerate(cands):
            stop = self.rules.frame_rule(FrameAction.STOP, name)
            if stop is not None:
                notes.append(self._note(stop, FrameAction.STOP, f"stopped the walk at {name}"))
                return i
            if i < start:
                continue
            skip = self.rules.frame_rule(FrameAction.SKIP, name)
            if skip is not None:
                notes.append(self._note(skip, FrameAction.SKIP, f"skipped {name}"))
            elif i == start or not frames.is_skipped(name, sig.skip_regex):
                return i
        return None

    def _joined(self, cands: list[str], chosen: int, sig: Signature, notes: list[AppliedRule]) -> str:
        """The chosen frame, joined with the next useful frames while a `join` rule names the last."""
        names = [cands[chosen]]
        rest = iter(cands[chosen + 1 :])
        while len(names) < MAX_JOINED:
            join = self.rules.frame_rule(FrameAction.JOIN, names[-1])
            if join is None:
                break
            useful = (n for n in rest if not frames.is_skipped(n, sig.skip_regex) and not self.rules.frame_rule(FrameAction.SKIP, n))
            following = next(useful, None)
            if following is None:
                break
            notes.append(self._note(join, FrameAction.JOIN, f"joined {names[-1]} with {following}"))
            names.append(following)
        return JOINER.join(names)

    @staticmethod
    def _note(rule: FrameRule, action: FrameAction, effect: str) -> AppliedRule:
        return AppliedRule(origin=rule.origin, rule=f"frames {rule.name} ({action})", effect=effect)


def override_key(rule: Override, report: Report) -> str:
    """The key an override gives a report: its `fingerprint` as written, `kcr-` + 16 hex digits of
    sha256(`key`), or of the default key's hashed text, a newline and `extra`."""
    if rule.fingerprint is not None:
        return rule.fingerprint
    text = rule.key if rule.key is not None else fingerprint_key(report.title, report.alt_titles) + "\n" + (rule.extra or "")
    return RULE_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def apply_overrides(rules: OperatorRules, report: Report) -> Report:
    """The report under the key of the first override that matches it (unchanged if none does)."""
    if not report.fingerprint:
        return report
    keys = [report.fingerprint, *report.fingerprint_aliases]
    rule = next((r for r in rules.overrides if r.match.matches(report, keys)), None)
    if rule is None:
        return report
    key = override_key(rule, report)
    if key == report.fingerprint:
        return report
    how = "as written" if rule.fingerprint else (f"fixed key {rule.key!r}" if rule.key else f"default key plus {rule.extra!r}")
    note = AppliedRule(
        origin=rule.origin, rule=f"override {rule.name}", effect=f"fingerprint {report.fingerprint} -> {key} ({how})", fingerprint=key
    )
    if report.operator_rules:  # the key without any rule stays first, the frame rules' key next
        keys = [keys[1], keys[0], *keys[2:]]
    return report.model_copy(update={
        "fingerprint": key,
        "fingerprint_aliases": list(dict.fromkeys(k for k in keys if k != key)),
        "operator_rules": [*report.operator_rules, note],
    })  # fmt: skip


def with_frame_rules(report: Report, ruled: Report, walk: CulpritWalk) -> Report:
    """`ruled` (titled with the frame rules) when its key differs from `report`'s, with `report`'s
    key and aliases first among its aliases; else `report`."""
    if not walk.applied or ruled.fingerprint == report.fingerprint:
        return report
    aliases = [report.fingerprint, *report.fingerprint_aliases, *ruled.fingerprint_aliases]
    return ruled.model_copy(update={
        "fingerprint_aliases": list(dict.fromkeys(a for a in aliases if a != ruled.fingerprint)),
        "operator_rules": walk.keyed(ruled.fingerprint),
    })  # fmt: skip
