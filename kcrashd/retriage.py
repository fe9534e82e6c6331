"""`kcrashd retriage`: the current rules re-run on the logs the state keeps (kcrashd.store.crash_logs),
and which crashes move between fingerprints (docs/grouping.md).

A crash moves when the key a crash with its new report would be filed under today (the store's
`known_key`: its fingerprint, an earlier version's key this state knows, then the merges) is not
the key of the group it is filed under. A new FINGERPRINT_VERSION alone moves nothing: its reports
list the earlier versions' keys as aliases. Applying a retriage links keys (kcrashd.store.merges.link),
never moves counts: each moved crash keeps the key it was counted under and its record gets the
new report. When every re-triaged crash of a group moves to one new key (a rename, or a merge),
that key joins the group (or the group joins the new key's, when that is known here), so history,
counts, the paging policy and tickets follow; `kcrashd group split` undoes a link. When the crashes
of one group go to several keys (some moving, or some to one key and some staying), the rules split
the bug: no new key is linked, the group keeps its history and each new key starts its own. A
crash whose record holds its new report already (a move applied before) does not move again. A
crash whose log showed no crash then or shows none now is left as it is (the latter listed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kcrashd.model.bugkey import keep_known_key
from kcrashd.pipeline import Analyzer, default_analyze
from kcrashd.sinks.journal import UNEXPLAINED_REBOOT
from kcrashd.store.crash_logs import StoredCrash, stored_crashes
from kcrashd.store.database import known_key, replace_report, stored_report_keys, transaction
from kcrashd.store.merges import Merge, link

if TYPE_CHECKING:
    import sqlite3

    from kcrashd.core.model import Report
    from kcrashd.core.operator_rules import OperatorRules


def retriage_analyzer(rules: OperatorRules | None = None) -> Analyzer:
    """The analysis retriage runs on each kept log: the pipeline's (kcrashd.core.analyze) with the
    operator's grouping rules (`kcrashd.config.grouping_rules.load_rules` of the configuration)."""
    return default_analyze(rules)


@dataclass(frozen=True)
class Move:
    """A crash whose new report is filed under another key: `old` (its group's key now), `new`
    (the key it would be filed under), `computed` (the new report's own fingerprint)."""

    crash: StoredCrash
    new: str
    computed: str
    report: Report = field(repr=False)

    @property
    def old(self) -> str:
        return self.crash.grouped


@dataclass
class Retriage:
    """What a retriage found: the moves, how many crashes stay, the crashes without a kept log, and
    those whose kept log shows no crash now while they had a key (left as they are)."""

    moves: list[Move] = field(default_factory=list)
    unchanged: int = 0
    no_log: list[StoredCrash] = field(default_factory=list)
    no_crash: list[StoredCrash] = field(default_factory=list)
    going: dict[str, set[str]] = field(default_factory=dict)  # each group: the keys its re-triaged crashes go to

    def split_off(self) -> dict[str, list[str]]:
        """The groups the rules split: each group whose re-triaged crashes now go to more than
        one key (new keys, or a new key and the group's own for a crash that stays), with the
        new keys. A group all of whose crashes go to one key is linked with it instead; a group
        none of whose crashes moves now is not listed."""
        moved = {move.old for move in self.moves}
        return {old: sorted(self.going[old] - {old}) for old in sorted(moved) if len(self.going[old]) > 1}


def retriage(conn: sqlite3.Connection, analyze: Analyzer, *, jobs: int = 1, since: float | None = None) -> Retriage:
    """Re-run `analyze` on every kept log (of crashes since `since`), `jobs` logs at a time."""
    found = Retriage()
    for crash, answer in reports(conn, analyze, jobs, since):
        if answer is None:  # an unexplained reboot never had a log: nothing to re-triage
            if crash.kind == UNEXPLAINED_REBOOT:
                found.unchanged += 1
            else:
                found.no_log.append(crash)
            continue
        keys = answer.keys()
        new = known_key(conn, keys) if keys.fingerprint else ""
        if crash.fingerprint and not new:
            found.no_crash.append(crash)
        elif crash.fingerprint and new != crash.grouped and not applied(conn, crash, keys):
            found.moves.append(Move(crash, new, keys.fingerprint, answer.report()))
        else:
            found.unchanged += 1
        if crash.fingerprint and new:  # where the crash's bug goes now, moved or not (a split applied before)
            found.going.setdefault(crash.grouped, set()).add(new)
    return found


def applied(conn: sqlite3.Connection, crash: StoredCrash, keys: Report) -> bool:
    """Whether the crash's record holds this new report's keys already: a move applied before
    whose new key was not linked (a split), or was split off by `kcrashd group split`."""
    kept = keep_known_key(keys, crash.fingerprint)
    stored = stored_report_keys(conn, crash.crash_id)
    return stored == (kept.fingerprint, kept.fingerprint_aliases, [r.model_dump(mode="json") for r in kept.operator_rules])


@dataclass(frozen=True)
class NewReport:
    """A log's new report: made in this process, or the JSON a worker sent, of which only the keys
    are read unless the crash moves (parsing whole reports would cost this process more than the
    workers' analysis)."""

    made: Report | None = None
    payload: bytes = b""

    def keys(self) -> Report:
        if self.made is not None:
            return self.made
        from kcrashd.core.model import Report

        data = json.loads(self.payload)
        keys = {name: data[name] for name in ("fingerprint", "fingerprint_aliases", "operator_rules") if name in data}
        return Report.model_validate(keys)  # the operator's rules decide which keys count (bugkey)

    def report(self) -> Report:
        if self.made is not None:
            return self.made
        from kcrashd.core.model import Report

        return Report.model_validate_json(self.payload)


def reports(
    conn: sqlite3.Connection, analyze: Analyzer, jobs: int, since: float | None
) -> Iterator[tuple[StoredCrash, NewReport | None]]:
    """Each stored crash with its new report (None: no log kept), in order; with `jobs` > 1 the
    logs go to `jobs` - 1 worker processes forked from this one, and this process analyses
    some itself (kcrashd.triage.pool.analyze_in_order)."""
    crashes = stored_crashes(conn, since)
    if jobs <= 1:
        for crash in crashes:
            yield crash, None if crash.log is None else NewReport(made=analyze(crash.log, source=crash.crash_id))
        return
    from kcrashd.core.model import Report
    from kcrashd.triage.pool import analyze_in_order
    from kcrashd.triage.worker import as_json

    def run(data: bytes, *, source: str = "") -> Report:
        return analyze(data, source=source)

    Report.model_rebuild()  # the report model's validator, built once here rather than by each worker

    held: dict[str, StoredCrash] = {}

    def logs() -> Iterator[tuple[str, bytes | None]]:
        for crash in crashes:
            held[crash.crash_id] = crash
            yield crash.crash_id, crash.log

    for crash_id, answer in analyze_in_order(logs(), jobs, fork=as_json(run)):
        crash = held.pop(crash_id)
        if answer is None:
            yield crash, None
        else:
            yield crash, NewReport(made=answer.made, payload=answer.payload or b"")


def apply(conn: sqlite3.Connection, found: Retriage, now: float) -> list[Merge]:
    """Apply the moves in one transaction: each moved crash's record gets its new report (under
    the key it is counted under), and each new key is linked with its old group unless the rules
    split that group (`Retriage.split_off`). The links made."""
    links: list[Merge] = []
    split = found.split_off()
    with transaction(conn):
        for move in found.moves:
            made = None if move.old in split else link(conn, move.old, move.new, now)
            if made is not None:
                links.append(made)
            replace_report(conn, move.crash.crash_id, keep_known_key(move.report, move.crash.fingerprint))
    return links
