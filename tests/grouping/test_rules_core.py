"""The core with operator rules (kcrashd.core.operator_rules, rule_application, pattern_shape):
no rules, or rules that match nothing, leave every corpus report exactly as it was; a rule
changes only the crashes it matches, keeping their old key first among the aliases; frame rules
skip, stop at and join frames; hostile title patterns are refused by shape."""

from __future__ import annotations

import re
import time

import pytest

from kcrashd.core import analyze
from kcrashd.core.operator_rules import NO_RULES, FrameRule, Match, OperatorRules, Override
from kcrashd.core.pattern_shape import MAX_TEXT, pattern_problem
from tests.core.golden import golden_cases
from tests.grouping.rule_samples import HUNG, LAB, rule_key

CASES = golden_cases()
# Rules that name no frame and no crash of the corpus: they must change nothing.
NOTHING = OperatorRules(
    frames=(FrameRule(name="none", skip=("no_such_function",), stop=("no_such_stop*",), join=("no_such_join",)),),
    overrides=(Override(name="none", match=Match(kind=("no-such-kind",)), key="k"),
               Override(name="none either", match=Match(title=r"^no such title \d+$"), extra="e")),
)  # fmt: skip
# Rules that change many lab and syzkaller crashes.
SOME = OperatorRules(
    frames=(FrameRule(name="lab", skip=("lab_trigger_*",)), FrameRule(name="join", join=("lab_write",))),
    overrides=(Override(name="warnings", match=Match(kind=("warning",), title="^WARNING in [a-z_]"), key="all warnings"),),
)


def test_no_rules_change_no_report() -> None:
    for case in CASES:
        data = case.data()
        plain = analyze(data, source=case.name)
        assert analyze(data, source=case.name, rules=NO_RULES) == plain, case.name
        assert analyze(data, source=case.name, rules=NOTHING) == plain, case.name


def test_rules_change_only_what_they_match() -> None:
    changed = 0
    for case in CASES:
        data = case.data()
        plain = analyze(data, source=case.name)
        ruled = analyze(data, source=case.name, rules=SOME)
        if ruled == plain:
            continue
        changed += 1
        assert ruled.operator_rules and ruled.fingerprint != plain.fingerprint, case.name
        assert ruled.fingerprint_aliases[0] == plain.fingerprint, case.name
        assert set(plain.fingerprint_aliases) <= set(ruled.fingerprint_aliases), case.name
        assert ruled.model_copy(update={"fingerprint": plain.fingerprint}) != plain or ruled.operator_rules
    assert changed > 100  # the sample rules do apply


def culprit(case: str, *frames: FrameRule) -> tuple[str | None, list[str]]:
    report = analyze((LAB / case / "vmcore-dmesg.txt").read_bytes(), rules=OperatorRules(frames=frames))
    return report.function, [note.effect for note in report.operator_rules]


def test_skip_stop_join() -> None:
    assert culprit(HUNG) == ("lab_trigger_hung_task", [])
    assert culprit(HUNG, FrameRule(name="s", skip=("lab_trigger_hung_task",))) == (
        "lab_write", ["skipped lab_trigger_hung_task", "culprit lab_trigger_hung_task -> lab_write"])
    # a stop frame is the culprit even when it is generic (the hang rule skips __schedule)
    assert culprit(HUNG, FrameRule(name="s", stop=("schedule_timeout",)))[0] == "schedule_timeout"
    # a stop frame below the culprit is never reached
    assert culprit(HUNG, FrameRule(name="s", stop=("lab_write",)))[0] == "lab_trigger_hung_task"
    assert culprit(HUNG, FrameRule(name="j", join=("lab_trigger_*",))) == (
        "lab_trigger_hung_task | lab_write",
        ["joined lab_trigger_hung_task with lab_write", "culprit lab_trigger_hung_task -> lab_trigger_hung_task | lab_write"])
    report = analyze((LAB / HUNG / "vmcore-dmesg.txt").read_bytes(), rules=OperatorRules(frames=(FrameRule(name="j", join=("lab_trigger_*",)),)))
    assert report.title == "INFO: task hung in lab_trigger_hung_task | lab_write"


def test_override_results() -> None:
    data = (LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt").read_bytes()
    plain = analyze(data)
    def keyed(**result: str) -> str:
        return analyze(data, rules=OperatorRules(overrides=(Override(name="w", match=Match(function=("lab_trigger_*",)), **result),))).fingerprint
    assert keyed(key="warnings") == rule_key("warnings")
    assert keyed(extra="x") == rule_key("WARNING in lab_trigger_warning\nx")
    assert keyed(fingerprint="kc3-0123456789abcdef") == "kc3-0123456789abcdef"
    assert keyed(fingerprint=plain.fingerprint) == plain.fingerprint
    # matched on an alias: an exported merge of an earlier version's key still applies
    by_alias = Override(name="a", match=Match(fingerprint=(plain.fingerprint_aliases[0],)), fingerprint="kc3-00000000000000aa")
    assert analyze(data, rules=OperatorRules(overrides=(by_alias,))).fingerprint == "kc3-00000000000000aa"
    # every condition must hold; the first override that matches wins
    both = Match(kind=("warning",), module=("no_such_module",))
    first = Override(name="1", match=Match(kind=("warning",)), key="one")
    assert analyze(data, rules=OperatorRules(overrides=(Override(name="0", match=both, key="zero"), first))).fingerprint == rule_key("one")


SAFE = [r"init (exited|killed)", r"^kernel panic: .*init", r"a.*b.*c", r"lab_[a-z]+ in x", r"(?>a+)+", r"a++b++",
        r"x{1,5}", r"(ab){2,}", r"^WARNING in [a-z_]", r"(?:x|y)*z"]  # fmt: skip
HOSTILE = [r"(a+)+", r"(?:ab|a)+", r"\w+\s*\w+", r"(x{1,3}){1,3}", r".*b.*b.*c", r"a.*.*b", r"(x|xx)+y", r"(\w+\s?)+$",
           "x" * 300, r"(", r"[z-a]"]  # fmt: skip


@pytest.mark.parametrize("pattern", SAFE)
def test_safe_patterns_pass(pattern: str) -> None:
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize("pattern", HOSTILE)
def test_hostile_patterns_are_refused(pattern: str) -> None:
    assert pattern_problem(pattern) is not None
    with pytest.raises(ValueError, match="title pattern refused"):
        Match(title=pattern)


@pytest.mark.parametrize("pattern", SAFE)
def test_a_safe_pattern_on_its_worst_title_is_quick(pattern: str) -> None:
    """The text is cut to MAX_TEXT characters; a safe shape searched in it stays cheap even on a
    title built to make it backtrack (a budget far above the few ms measured, no timing of speed)."""
    regex = re.compile(pattern)
    for filler in ("a", "b", " ", "x"):
        start = time.process_time()
        regex.search((filler * 10_000)[:MAX_TEXT])
        assert time.process_time() - start < 0.5


def test_explain_replays_the_frame_rules() -> None:
    """`explain` walks the stack as triage did with the rules: the culprit the rules chose, the
    frames passed over on the way, the rules with their origin."""
    from kcrashd.core.explanation import explain

    data = (LAB / HUNG / "vmcore-dmesg.txt").read_bytes()
    rules = OperatorRules(frames=(FrameRule(name="lab", skip=("lab_trigger_hung_task",), origin="50-lab.toml:1"),))
    exp = explain(data, rules=rules)
    assert exp.culprit == "lab_write" and exp.report.function == "lab_write"
    assert ("lab_trigger_hung_task", "the operator's frame rule lab (50-lab.toml:1)") in [(s.function, s.reason) for s in exp.skipped]
    assert [(n.origin, n.rule) for n in exp.operator_rules] == [("50-lab.toml:1", "frames lab (skip)")] * 2
    joined = explain(data, rules=OperatorRules(frames=(FrameRule(name="j", join=("lab_trigger_*",)),)))
    assert joined.culprit == "lab_trigger_hung_task | lab_write"
    assert "lab_trigger_hung_task" not in [s.function for s in joined.skipped]


def test_a_title_pattern_sees_only_the_first_characters() -> None:
    """The title is searched in its first MAX_TEXT characters, whatever a log made it."""
    from kcrashd.core.model import Report

    long_title = "WARNING in " + "a" * MAX_TEXT + "x"
    report = Report(title=long_title, kind="warning", fingerprint="kc3-0000000000000001")
    assert not Match(title="x$").matches(report, [report.fingerprint])
    assert Match(title="^WARNING in a").matches(report, [report.fingerprint])
    short = report.model_copy(update={"title": "WARNING in ax"})
    assert Match(title="x$").matches(short, [short.fingerprint])


@pytest.mark.parametrize("name", ["foo bar", "", "*", "a" * 200, "fn()", "ünï"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="is no"):
        FrameRule(name="r", skip=(name,))


@pytest.mark.parametrize("name", ["lab_trigger_*", "__x64_sys_ioctl", "drv.cold", "$x", "kcrashd-lab"])
def test_good_names_pass(name: str) -> None:
    assert FrameRule(name="r", skip=(name,)).skip == (name,)
