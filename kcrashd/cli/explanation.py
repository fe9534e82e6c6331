"""`kcrashd info ID --explain`: why a crash has its fingerprint, for people and for `--json`.

The decisions come from the pure core (kcrashd.core.explanation), replayed on the crash's log
when it can still be read (opened relative to its folder's descriptor, symbolic links refused);
when it cannot, what the stored report alone tells (the exact texts hashed, the aliases).  The
store's own decision is added: a crash kept under the key its bug was first known by here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kcrashd.core.explanation import Explanation, explain, explain_report
from kcrashd.core.fingerprint import fingerprint_title
from kcrashd.model.crash import CrashRecord
from kcrashd.model.terminal import escape_text
from kcrashd.sources.logfile import LogFileError, read_log

if TYPE_CHECKING:
    from kcrashd.core.operator_rules import OperatorRules


@dataclass(frozen=True)
class CrashExplanation:
    """The core's explanation plus what the shell knows: whether the log was read, the key the
    store kept, and the key triage would give the log today."""

    core: Explanation
    log_note: str | None  # why the log was not replayed; None when it was
    computed: str  # the key triage computed when the crash was recorded (before operator overrides)
    today: str | None  # the key triage gives the log now, with today's rules (None: not replayed)
    ruled: str | None  # the key the operator's rules gave it when it was recorded (None: no rule applied)


def read_crash_log(record: CrashRecord) -> bytes | str:
    """The crash's log, or why it cannot be read now."""
    if not record.log_path:
        return f"no log file (the log came from the {record.log_origin})"
    folder, name = os.path.split(record.log_path)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        return f"{folder}: {exc.strerror or exc}"
    try:
        return read_log(name, follow_symlinks=False, dir_fd=fd)
    except LogFileError as exc:
        return str(exc)
    finally:
        os.close(fd)


def explain_crash(record: CrashRecord, rules: OperatorRules | None = None) -> CrashExplanation:
    """The crash's explanation; its log replayed with the operator's `rules` of today."""
    report = record.report
    computed = fingerprint_title(report.title, report.alt_titles)
    ruled = report.operator_rules[-1].fingerprint if report.operator_rules else None
    log = read_crash_log(record)
    if isinstance(log, str):
        stored = explain_report(report)
        return CrashExplanation(stored, log, computed, None, ruled)
    replayed = explain(log, source=report.source, rules=rules)
    return CrashExplanation(replayed, None, computed, replayed.report.fingerprint, ruled)


def explanation_json(item: CrashExplanation, record: CrashRecord) -> dict[str, Any]:
    data = item.core.model_dump(mode="json", exclude={"report"})
    data.update({
        "fingerprint": record.report.fingerprint,
        "computed_fingerprint": item.computed,
        "fingerprint_today": item.today,
        "rule_fingerprint": item.ruled,
        "operator_rules": [note.model_dump(mode="json") for note in record.report.operator_rules],
        "operator_rules_today": data["operator_rules"] if item.log_note is None else None,
        "strict_fingerprint": record.report.strict_fingerprint,
        "log_replayed": item.log_note is None,
        "log_note": item.log_note,
    })  # fmt: skip
    return data


def render_explanation(item: CrashExplanation, record: CrashRecord) -> list[str]:
    """The `Why this fingerprint` block of `kcrashd info --explain`; log text escaped."""
    e = escape_text
    core = item.core
    lines = ["", "Why this fingerprint:"]
    if core.signature is not None:
        headers = " | ".join(repr(h) for h in core.signature_header)
        lines += [
            f"    Signature row: {core.signature} (header {e(headers)}, pattern {e(core.signature_pattern)})",
            f"    Matched line:  {e(core.header_line)}",
            f"    Title format:  {e(core.title_template)}",
            f"    Culprit rule:  {core.strategy}: {core.culprit_rule}",
        ]
        lines += [f"    Skipped:       {e(s.function)}: {e(s.reason)}" for s in core.skipped]
        if not core.skipped:
            lines.append("    Skipped:       nothing (the first candidate is the culprit)")
        lines.append(f"    Culprit:       {e(core.culprit or '(none)')}")
    elif item.log_note:
        lines.append(f"    (log not replayed: {e(item.log_note)}; the signature row and the culprit walk are not shown)")
    report = record.report
    if not core.hashed:
        lines.append("    No crash in the log: nothing was fingerprinted.")
        return lines
    lines += [
        f"    Title:         {e(report.title)}",
        f"    Hashed:        {e(repr(core.hashed))} ({core.hashed_from}) -> {item.computed}",
        f"    Strict key:    {e(repr(core.strict_hashed))} -> {report.strict_fingerprint or '-'}",
    ]
    if core.aliases:
        lines.append(f"    Aliases:       {' '.join(core.aliases)} (keys earlier fingerprint versions gave it)")
    lines += [f"    Rule:          {e(note.origin)} {e(note.rule)}: {e(note.effect)}" for note in report.operator_rules]
    if item.log_note is None and core.operator_rules != report.operator_rules:
        today = [f"{note.origin} {note.rule}: {note.effect}" for note in core.operator_rules] or ["none applies"]
        lines += [f"    Rule today:    {e(text)}" for text in today]
    if report.fingerprint != (item.ruled or item.computed):
        lines.append(f"    Stored under:  {report.fingerprint}, the key this bug was first known by here ({item.computed} is its alias)")
    if record.similar_fingerprint:
        lines.append(f"    Similar:       when new, possibly the same bug as {record.similar_fingerprint} ({record.similar_score or 0:.3f})")
    if item.today is not None and item.today != item.computed:
        lines.append(f"    Today:         triage gives this log {item.today}: the rules changed since it was recorded")
    return lines
