"""The key a bug is known by: the one owner of fingerprints outside the core.

The core computes a report's fingerprint (`kcrashd.core.fingerprint`: versioned, with the keys
earlier versions gave the same crash as aliases). Everything after triage asks this module:
- `candidate_keys`: the keys the history may know this bug by (fingerprint first, then aliases;
  a key an operator's grouping rule gave is the only one: the rule, not history, decides it);
- `keep_known_key`: the report re-keyed to the key its bug already has here, so a new algorithm
  never re-opens existing alerts and tickets (the newer fingerprint becomes an alias);
- `journal_key`: KCRASHD_FINGERPRINT, `none` when the log showed no crash;
- `alert_key`: the key alerts are deduplicated on. A dump without a fingerprint is its own bug,
  keyed by its crash id: two dumps whose logs hold no crash never page as one bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kcrashd.core.model import Report
    from kcrashd.model.crash import CrashRecord

NO_FINGERPRINT = "none"  # the journal's KCRASHD_FINGERPRINT when the log showed no crash
NO_FINGERPRINT_PREFIX = "kcrash-none-"  # alert key of a dump without a fingerprint: one per dump
NO_FINGERPRINT_DIGITS = 16


def has_fingerprint(report: Report) -> bool:
    """Whether triage found a crash to fingerprint (an empty fingerprint: the log showed none)."""
    return bool(report.fingerprint)


def candidate_keys(report: Report) -> list[str]:
    """The keys the history may know this bug by: the fingerprint, then older versions' keys. A
    key an operator's rule gave (docs/grouping-rules.md) is never traded for the key the crash
    would have had without the rule: that key stays an alias, and `group merge` links histories."""
    if not has_fingerprint(report):
        return []
    return [report.fingerprint] if report.operator_rules else [report.fingerprint, *report.fingerprint_aliases]


def keep_known_key(report: Report, key: str) -> Report:
    """The report under the key its bug is known by; the newer fingerprint becomes an alias."""
    if key == report.fingerprint:
        return report
    aliases = [report.fingerprint, *(a for a in report.fingerprint_aliases if a != key)]
    return report.model_copy(update={"fingerprint": key, "fingerprint_aliases": aliases})


def journal_key(report: Report) -> str:
    """KCRASHD_FINGERPRINT: the fingerprint, or `none` (docs/journal-fields.md)."""
    return report.fingerprint if has_fingerprint(report) else NO_FINGERPRINT


def alert_key(record: CrashRecord) -> str:
    """The key alerts, tickets and the paging policy group by: the fingerprint, or, for a dump
    whose log holds no crash, a key of its own (its crash id), never one shared by all such dumps."""
    if has_fingerprint(record.report):
        return record.report.fingerprint
    return NO_FINGERPRINT_PREFIX + record.crash_id[:NO_FINGERPRINT_DIGITS]
