"""Why a log got its fingerprint: the decisions of triage, as data (`kcrashd info ID --explain`).

`explain_report(report)` says what the report alone tells (the hashed texts, the aliases);
`explain(data)` replays the steps of `triage.analyze` on the fatal report and records what each
chose: the signature row whose header and pattern matched, the stack candidates the culprit rule
walked and why each skipped one was skipped (the skip-list family and the rule that matched), the
culprit, the exact text hashed into the fingerprint and into the strict key, and the keys of
earlier fingerprint versions.  The report itself comes from `analyze`, so the fingerprint shown is
always the one triage gives (tests/grouping/test_explanation.py checks every corpus log).  Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from kcrashd.core import events as ev_mod
from kcrashd.core import frames
from kcrashd.core.culprit import STALL_RULES, walked_candidates
from kcrashd.core.fingerprint import BUCKETS, REPORT_KEYED, STRICT_FRAMES, fingerprint_key, keyed_alternative
from kcrashd.core.model import AppliedRule, Report
from kcrashd.core.operator_rules import FrameAction, OperatorRules
from kcrashd.core.rule_application import JOINER, CulpritWalk
from kcrashd.core.signatures import Signature, Strategy
from kcrashd.core.title import title_report
from kcrashd.core.triage import _headers as triage_headers
from kcrashd.core.triage import analyze, event_harness

# The skip-list families of kcrashd.core.frames, named for why a frame there is not the culprit.
SKIP_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("reporting machinery (the messenger, not the bug)", frames.SKIP_REPORTING),
    ("allocator (its caller passed the bad object)", frames.SKIP_ALLOCATOR),
    ("locking primitive (its caller holds or wants the lock)", frames.SKIP_LOCKING),
    ("generic helper (string, copy, list, format)", frames.SKIP_HELPERS),
    ("shared infrastructure (workqueue, timer, device core)", frames.SKIP_INFRA),
    ("entry code (thunks, syscall entry)", frames.SKIP_ENTRY),
)
STRATEGY_RULES = {
    Strategy.PARTS: "the first frame of the signature's stack spec that is not generic",
    Strategy.STALL: "a looping function of a module, a recursion, else the frame above the first dispatcher",
    Strategy.RCU_STALL: "what the timer interrupt interrupted: the frame above the first dispatcher",
    Strategy.HANG: "the first frame that is not a wait or lock primitive (synchronize_rcu, rtnl_lock named)",
    Strategy.LOCKED_CPU: "the first frame that is not generic in the locked CPU's own dump (no other CPU's backtrace)",
    Strategy.NONE: "none: this kind of report names no function",
}


class SkippedFrame(BaseModel):
    """A stack candidate passed over on the way to the culprit, and why."""

    model_config = ConfigDict(frozen=True)

    function: str
    reason: str


class Explanation(BaseModel):
    """The decisions behind one report's title and fingerprint."""

    model_config = ConfigDict(frozen=True)

    report: Report
    signature: str | None = None  # the row of kcrashd.core.signatures that matched
    signature_header: list[str] = Field(default_factory=list)  # its header literal(s)
    signature_pattern: str = ""
    title_template: str = ""
    header_line: str = ""  # the log line the row matched
    strategy: str = ""
    culprit_rule: str = ""
    candidates: list[str] = Field(default_factory=list)  # stack candidates, in the order walked
    skipped: list[SkippedFrame] = Field(default_factory=list)
    culprit: str | None = None
    hashed: str = ""  # exactly the text the fingerprint hashes
    hashed_from: str = ""  # "title" or "bucket alternative"
    strict_hashed: str = ""  # exactly the text the strict key hashes
    aliases: list[str] = Field(default_factory=list)  # keys of earlier fingerprint versions
    operator_rules: list[AppliedRule] = Field(default_factory=list)  # the operator's rules that applied


@lru_cache(maxsize=256)
def _rule(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def skip_reason(name: str, sig: Signature | None) -> str | None:
    """Why a frame is not a culprit candidate: its skip-list family and rule; None if it is one."""
    for family, rules in SKIP_FAMILIES:
        for rule in rules:
            if _rule(rule).search(name):
                return f"{family}: rule {rule}"
    if sig is not None and sig.skip_regex is not None and sig.skip_regex.search(name):
        return f"the signature's own skip list: {sig.skip}"
    return None


# Frames the stall and hang rules pass over besides the skip lists: (pattern, why), first match wins.
STRATEGY_SKIPS: dict[Strategy, tuple[tuple[frames.Matcher, str], ...]] = {
    Strategy.HANG: ((frames.HANG_SKIP, "a wait or lock primitive the hung task sleeps in"),),
    Strategy.STALL: (
        (frames.FAULT_ENTRY, "page-fault entry: the frames above it handled the fault"),
        (STALL_RULES.anchors, "a dispatcher: the walk takes the useful frame above it"),
        (STALL_RULES.messengers, "the stall detector, the timer interrupt or the scheduler"),
    ),
}
STRATEGY_SKIPS[Strategy.RCU_STALL] = STRATEGY_SKIPS[Strategy.STALL]


def skipped_before(candidates: list[str], culprit: str | None, sig: Signature, walk: CulpritWalk | None = None) -> list[SkippedFrame]:
    """The candidates passed over before the culprit (all of them when none was chosen); `walk`:
    the operator's frame rules triage applied."""
    out = []
    for name in candidates:
        if name == culprit:
            break
        rule = walk.rules.frame_rule(FrameAction.SKIP, name) if walk is not None else None
        if rule is not None:
            out.append(SkippedFrame(function=name, reason=f"the operator's frame rule {rule.name} ({rule.origin})"))
            continue
        reason = next((why for rule, why in STRATEGY_SKIPS.get(sig.strategy, ()) if rule.match(name)), None)
        reason = reason or skip_reason(name, sig) or f"passed over by the {sig.strategy} rule"
        out.append(SkippedFrame(function=name, reason=reason))
    return out


def explain_report(report: Report) -> Explanation:
    """What a report alone tells: the exact texts its fingerprint and strict key hash, and the
    keys of earlier versions (no log needed: `info --explain` on a crash whose log is gone)."""
    if not report.title:
        return Explanation(report=report)
    key = fingerprint_key(report.title, report.alt_titles)
    bucket = keyed_alternative(report.title, report.alt_titles)
    if bucket and bucket.startswith(BUCKETS):
        kind = "bucket alternative"
    elif bucket and bucket.startswith(REPORT_KEYED):
        kind = "the header's words (the report names no culprit)"
    else:
        kind = "the header's site"
    origin = f"{kind} {bucket!r}" if bucket else "title"
    if key != (bucket or report.title):
        origin += ", its syscall culprit in one spelling"
    functions = [f.function for f in report.frames if f.reliable]
    return Explanation(
        report=report,
        hashed=key,
        hashed_from=origin,
        strict_hashed=report.title + "\n" + "\n".join(functions[:STRICT_FRAMES]),
        aliases=list(report.fingerprint_aliases),
        operator_rules=list(report.operator_rules),
    )


def explain(data: bytes | str, *, source: str = "", rules: OperatorRules | None = None) -> Explanation:
    """The report of `data` (triaged with the operator's `rules`) with the decisions that made its
    title and fingerprint."""
    base = explain_report(analyze(data, source=source, rules=rules))
    if not base.report.has_crash:
        return base
    lines, hits, _ = triage_headers(data)  # the same header search as analyze's
    events = ev_mod.build_events(lines, hits)
    fatal = ev_mod.choose_fatal(lines, events)
    sig = events[fatal].hit.signature if fatal is not None else None
    if fatal is None or sig is None:
        return base
    event = events[fatal]
    texts = [lines[i].text for i in event.lines[: event.title_end]]
    framed = any(note.rule.startswith("frames") for note in base.report.operator_rules)
    walk = CulpritWalk(rules) if rules is not None and framed else None
    titled = title_report(sig, event.hit.match, texts, event.hit.pos, walk, cut=event.cut, ran=event_harness(lines, event))
    candidates = walked_candidates(sig, texts) if sig.strategy is not Strategy.NONE else []
    return base.model_copy(update=dict(
        signature=sig.name,
        signature_header=[sig.header] if isinstance(sig.header, str) else list(sig.header),
        signature_pattern=sig.pattern,
        title_template=sig.title,
        header_line=texts[0] if texts else "",
        strategy=str(sig.strategy),
        culprit_rule=STRATEGY_RULES[sig.strategy],
        candidates=candidates,
        skipped=skipped_before(candidates, (titled.function or "").split(JOINER)[0] or None, sig, walk),
        culprit=titled.function,
    ))  # fmt: skip
