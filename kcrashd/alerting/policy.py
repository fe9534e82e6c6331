"""The paging policy: who hears about a crash, and when staying quiet is the right answer.

Rules, in order (docs/alerting.md of this repository, "Policy"):
1. `record.test` never alerts; `page=False` or a crash older than `max_page_age_hours`
   (backlog found at boot) is never paged, but tickets are still filed/commented.
2. A fingerprint pages once per `cooldown_hours`; recurrences inside the window are counted
   and ticket targets get one comment per (fingerprint, host).
3. A host with `loop_crashes` crashes within `loop_hours` is crash-looping: one loop digest,
   no further pages from that host while the loop lasts.
4. `storm_hosts` distinct hosts crashing within `storm_minutes` is a storm: one storm digest
   (sent after `digest_delay_minutes` so it is complete); at most `storm_max_pages` new
   fingerprints still page during the storm, the rest only appear in the digest; per-host
   ticket comments are folded into the digest.
The state it needs lives in `outbox_crashes` and `outbox_digests` (same DB, same transaction).
"""

from __future__ import annotations

import fnmatch
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from kcrashd.alerting.config import SEVERITY_ORDER, AlertsConfig, Category, TargetBase, TargetConfig
from kcrashd.alerting.payload import EventKind, fingerprint_of
from kcrashd.core.model import Severity
from kcrashd.crash import CrashRecord


@dataclass
class Plan:
    """What enqueue will write for one crash."""

    decision: str  # page | quiet | cooldown | loop | storm | test | disabled | duplicate
    notify: bool = False  # page notify targets with a NEW event
    ticket_event: EventKind | None = None  # NEW (find-or-create) or RECURRENCE (comment) for tickets
    digests: list[tuple[int, EventKind]] = field(default_factory=list)  # new digests to enqueue
    storm_id: int | None = None


def matches(target: TargetBase, record: CrashRecord) -> bool:
    """Whether a target's filters let this crash through."""
    report = record.report
    if not target.enabled:
        return False
    if target.kinds and report.kind not in target.kinds:
        return False
    try:
        severity = Severity(report.severity)
    except ValueError:
        severity = Severity.INFO
    if SEVERITY_ORDER[severity] < SEVERITY_ORDER[target.min_severity]:
        return False
    if target.hosts and not any(fnmatch.fnmatchcase(record.host, p) for p in target.hosts):
        return False
    titles = [report.title, *report.alt_titles]
    if target.include_titles and not any(re.search(p, t) for p in target.include_titles for t in titles):
        return False
    return not any(re.search(p, report.title) for p in target.exclude_titles)


def targets_of(alerts: AlertsConfig, category: Category) -> list[TargetConfig]:
    return [t for t in alerts.targets if t.enabled and t.category is category]


def plan_crash(
    conn: sqlite3.Connection, record: CrashRecord, alerts: AlertsConfig, *, now: datetime, page: bool
) -> Plan:
    """Decide and record (in outbox_crashes/outbox_digests) what this crash triggers."""
    policy = alerts.policy
    fp = fingerprint_of(record)
    ts = now.timestamp()
    ct = record.crash_time.timestamp()
    if conn.execute("SELECT 1 FROM outbox_crashes WHERE crash_id = ?", (record.crash_id,)).fetchone():
        return Plan("duplicate")

    plan = Plan("page")
    if record.test:
        plan = Plan("test")
    elif not alerts.enabled:
        plan = Plan("disabled")
    else:
        if not page or record.too_old_to_page or ts - ct > policy.max_page_age_hours * 3600:
            plan.decision = "quiet"
        cooldown_start = ts - policy.cooldown_hours * 3600
        paged = conn.execute(
            "SELECT 1 FROM outbox_crashes WHERE fingerprint = ? AND decision IN ('page', 'storm-page') AND seen_at >= ?",
            (fp, cooldown_start),
        ).fetchone()
        host_commented = conn.execute(
            "SELECT 1 FROM outbox_crashes WHERE fingerprint = ? AND host = ? AND seen_at >= ? AND ticket IS NOT NULL",
            (fp, record.host, cooldown_start),
        ).fetchone()
        ticketed = conn.execute(
            "SELECT 1 FROM outbox_crashes WHERE fingerprint = ? AND ticket = 'new' AND seen_at >= ?",
            (fp, cooldown_start),
        ).fetchone()
        if not ticketed:
            plan.ticket_event = EventKind.NEW
        elif not host_commented:
            plan.ticket_event = EventKind.RECURRENCE
        if paged and plan.decision == "page":
            plan.decision = "cooldown"

        # Storm: many distinct hosts within the window around this crash.
        window = policy.storm_minutes * 60
        (hosts,) = conn.execute(
            "SELECT COUNT(DISTINCT host) FROM outbox_crashes WHERE crash_time BETWEEN ? AND ? AND host != ?",
            (ct - window, ct + window, record.host),
        ).fetchone()
        if hosts + 1 >= policy.storm_hosts:
            storm = conn.execute(
                "SELECT id, pages FROM outbox_digests WHERE kind = 'storm' AND last >= ? AND started <= ?"
                " ORDER BY id DESC LIMIT 1",
                (ct - window, ct + window),
            ).fetchone()
            if storm is None:
                cur = conn.execute(
                    "INSERT INTO outbox_digests (kind, key, started, last, created_at) VALUES ('storm', '', ?, ?, ?)",
                    (ct, ct, ts),
                )
                storm = (int(cur.lastrowid or 0), 0)
                # crashes of the window already recorded belong to this storm
                conn.execute(
                    "UPDATE outbox_crashes SET storm_id = ? WHERE storm_id IS NULL AND crash_time BETWEEN ? AND ?",
                    (storm[0], ct - window, ct + window),
                )
                if plan.decision != "quiet":
                    plan.digests.append((storm[0], EventKind.STORM))
            else:
                conn.execute(
                    "UPDATE outbox_digests SET last = MAX(last, ?), started = MIN(started, ?) WHERE id = ?",
                    (ct, ct, storm[0]),
                )
            plan.storm_id = storm[0]
            if plan.decision == "page":
                if storm[1] < policy.storm_max_pages:
                    plan.decision = "storm-page"
                    conn.execute("UPDATE outbox_digests SET pages = pages + 1 WHERE id = ?", (storm[0],))
                else:
                    plan.decision = "storm"
            if plan.ticket_event is EventKind.RECURRENCE:
                plan.ticket_event = None  # folded into the storm digest
        if plan.storm_id is None:
            # Crash loop: N crashes of this host within M hours (this one included); a storm
            # digest already covers looping hosts, so loops are only looked for outside storms.
            loop_start = ct - policy.loop_hours * 3600
            (host_crashes,) = conn.execute(
                "SELECT COUNT(*) FROM outbox_crashes WHERE host = ? AND crash_time BETWEEN ? AND ?",
                (record.host, loop_start, ct),
            ).fetchone()
            if host_crashes + 1 >= policy.loop_crashes:
                open_loop = conn.execute(
                    "SELECT id FROM outbox_digests WHERE kind = 'loop' AND key = ? AND last >= ?",
                    (record.host, loop_start),
                ).fetchone()
                if open_loop:
                    conn.execute(
                        "UPDATE outbox_digests SET last = MAX(last, ?) WHERE id = ?", (ct, open_loop[0])
                    )
                else:
                    cur = conn.execute(
                        "INSERT INTO outbox_digests (kind, key, started, last, created_at) VALUES ('loop', ?, ?, ?, ?)",
                        (record.host, loop_start, ct, ts),
                    )
                    if plan.decision != "quiet":
                        plan.digests.append((int(cur.lastrowid or 0), EventKind.LOOP))
                if plan.decision in ("page", "cooldown"):
                    plan.decision = "loop"
                if plan.ticket_event is EventKind.RECURRENCE:
                    plan.ticket_event = None  # the loop digest says it; no comment per reboot

        plan.notify = plan.decision in ("page", "storm-page")

    conn.execute(
        "INSERT INTO outbox_crashes (crash_id, fingerprint, host, title, crash_time, seen_at, decision, storm_id,"
        " ticket) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.crash_id,
            fp,
            record.host,
            record.report.title,
            ct,
            ts,
            plan.decision,
            plan.storm_id,
            str(plan.ticket_event) if plan.ticket_event else None,
        ),
    )
    return plan
