"""The paging policy: who hears about a crash, and when staying quiet is the right answer.

Rules, in order (docs/alerting.md of this repository, "Policy"):
1. `record.test` never alerts; `page=False` or a crash older than `max_page_age_hours`
   (backlog found at boot) is never paged, but tickets are still filed/commented.
2. A fingerprint pages once per `cooldown_hours`; recurrences inside the window are counted
   and ticket targets get one comment per (fingerprint, host).
3. A host with `loop_crashes` reboots (crashes from dumps, unexplained reboots; not kernel reports
   read from the journal) within `loop_hours` is crash-looping: one loop digest, no further pages
   from that host while the loop lasts.
4. `storm_hosts` distinct hosts crashing within `storm_minutes` is a storm: one storm digest
   (sent after `digest_delay_minutes` so it is complete); at most `storm_max_pages` new
   fingerprints still page during the storm, the rest only appear in the digest; per-host
   ticket comments are folded into the digest.
5. A ticket target with `min_crashes`/`min_hosts` files nothing until the bug crashed that often
   or on that many hosts; the crash that reaches both files its ticket (`held`, `reached`).
6. A crash after `quiet_days` without one of its bug says since when (`quiet_since`).
7. A regression (a ticket target found the bug's ticket closed) pages once per cooldown
   (`plan_regression`).
Pure: `plan_crash` takes the crash and the facts the store read about its history
(`AlertFacts`, read by `kcrashd.store.alert_tables.AlertHistory`) and returns a Plan; the outbox
writes it in the crash's transaction.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from kcrashd.config.alerting import (
    SEVERITY_ORDER,
    AlertsConfig,
    Category,
    TargetBase,
    TargetConfig,
    TicketBase,
)
from kcrashd.core.model import Severity
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting.payload import EventKind
from kcrashd.store.alert_tables import AlertFacts, Windows


class Decision(StrEnum):
    """What the policy decided for one crash (kept per crash; shown by `kcrashd info`)."""

    PAGE = "page"
    STORM_PAGE = "storm-page"  # paged although a storm is on (one of `storm_max_pages`)
    QUIET = "quiet"  # never paged (too old, page=False); tickets still filed
    COOLDOWN = "cooldown"
    LOOP = "loop"
    STORM = "storm"
    TEST = "test"
    DISABLED = "disabled"
    DUPLICATE = "duplicate"


PAGED = (Decision.PAGE, Decision.STORM_PAGE)


@dataclass
class Plan:
    """What the outbox writes for one crash."""

    decision: Decision
    notify: bool = False  # page notify targets with a NEW event
    ticket_event: EventKind | None = None  # NEW (find-or-create) or RECURRENCE (comment) for tickets
    storm: int | None = None  # the storm digest the crash joins (None: none, or one to open)
    open_storm: bool = False  # open a storm digest with this crash
    storm_page: bool = False  # this crash uses one of the storm's pages
    loop: int | None = None  # the loop digest the crash extends
    open_loop: bool = False  # open a loop digest with this crash
    send_digests: bool = True  # digests opened by this crash are sent (not for a quiet crash)
    events: list[EventKind] = field(default_factory=list)  # digests to send, in the order opened
    held: list[str] = field(default_factory=list)  # ticket targets below their min_crashes/min_hosts
    reached: list[str] = field(default_factory=list)  # ticket targets whose thresholds this crash reaches
    quiet_since: datetime | None = None  # the bug's previous crash, when it is older than quiet_days

    @property
    def in_storm(self) -> bool:
        return self.storm is not None or self.open_storm


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


def windows_of(record: CrashRecord, alerts: AlertsConfig, now: datetime) -> Windows:
    """The windows the store reads the history over for this crash."""
    policy = alerts.policy
    ct = record.crash_time.timestamp()
    storm = policy.storm_minutes * 60
    return Windows(
        cooldown_start=now.timestamp() - policy.cooldown_hours * 3600,
        storm_from=ct - storm,
        storm_to=ct + storm,
        loop_start=ct - policy.loop_hours * 3600,
        crash_time=ct,
    )


def plan_crash(record: CrashRecord, history: AlertFacts, alerts: AlertsConfig, *, now: datetime, page: bool) -> Plan:
    """Decide what this crash triggers, from the crash and its history alone (no I/O)."""
    if history.decided:
        return Plan(Decision.DUPLICATE)
    if record.test:
        return Plan(Decision.TEST)
    if not alerts.enabled:
        return Plan(Decision.DISABLED)
    policy = alerts.policy
    quiet = not page or too_old(record, alerts, now)
    plan = Plan(Decision.QUIET if quiet else Decision.PAGE, send_digests=not quiet)
    plan.quiet_since = quiet_since(record, history, alerts)
    plan_thresholds(plan, history, alerts)
    if not history.ticketed:
        plan.ticket_event = EventKind.NEW
    elif not history.host_commented:
        plan.ticket_event = EventKind.RECURRENCE
    if history.paged and plan.decision is Decision.PAGE:
        plan.decision = Decision.COOLDOWN
    if history.other_hosts + 1 >= policy.storm_hosts:
        plan_storm(plan, history, policy.storm_max_pages)
    elif is_reboot(record) and history.host_crashes + 1 >= policy.loop_crashes:
        plan_loop(plan, history)
    elif record.survived is False and history.loop is not None:
        plan_loop(plan, history)  # the report that took a looping host down: its reboot is in the loop
    plan.notify = plan.decision in PAGED
    return plan


def too_old(record: CrashRecord, alerts: AlertsConfig, now: datetime) -> bool:
    """A backlog crash: found too long after it happened to page anyone."""
    age = now.timestamp() - record.crash_time.timestamp()
    return record.too_old_to_page or age > alerts.policy.max_page_age_hours * 3600


def quiet_since(record: CrashRecord, history: AlertFacts, alerts: AlertsConfig) -> datetime | None:
    """The bug's previous crash, when it is more than `quiet_days` before this one."""
    days = alerts.policy.quiet_days
    if not days or history.previous is None:
        return None
    if record.crash_time.timestamp() - history.previous <= days * 86400:
        return None
    return datetime.fromtimestamp(history.previous, UTC)


def plan_thresholds(plan: Plan, history: AlertFacts, alerts: AlertsConfig) -> None:
    """Ticket targets that wait for `min_crashes` crashes or `min_hosts` hosts: held while below,
    and given a NEW ticket event by the crash that reaches both (this crash counted)."""
    earlier_hosts = history.hosts if history.host_known else history.hosts - 1
    for target in targets_of(alerts, Category.TICKET):
        if not isinstance(target, TicketBase) or (target.min_crashes, target.min_hosts) == (1, 1):
            continue
        if history.crashes < target.min_crashes or history.hosts < target.min_hosts:
            plan.held.append(target.name)
        elif history.crashes - 1 < target.min_crashes or earlier_hosts < target.min_hosts:
            plan.reached.append(target.name)


def plan_regression(record: CrashRecord, alerts: AlertsConfig, *, paged: bool, now: datetime) -> bool:
    """Whether notify targets hear that a ticket target found this crash's bug closed (a
    regression): once per cooldown (`paged`: a regression page of the bug within it), never for
    a test crash, with alerts disabled, or for a backlog crash too old to page."""
    return alerts.enabled and not record.test and not paged and not too_old(record, alerts, now)


def is_reboot(record: CrashRecord) -> bool:
    """A crash that is a reboot of its host: from a dump or pstore, or an unexplained reboot. A
    kernel report read from the journal (`survived` set) is not: one that survived left the host
    running, and one that took it down is counted by that boot's dump or unexplained reboot."""
    return record.survived is None


def plan_storm(plan: Plan, history: AlertFacts, max_pages: int) -> None:
    """Storm: many distinct hosts within the window around this crash: one digest, at most
    `max_pages` bugs still paged, per-host ticket comments folded into the digest."""
    if history.storm is None:
        plan.open_storm = True
        pages = 0
        if plan.send_digests:
            plan.events.append(EventKind.STORM)
    else:
        plan.storm, pages = history.storm
    if plan.decision is Decision.PAGE:
        plan.storm_page = pages < max_pages
        plan.decision = Decision.STORM_PAGE if plan.storm_page else Decision.STORM
    if plan.ticket_event is EventKind.RECURRENCE:
        plan.ticket_event = None  # folded into the storm digest


def plan_loop(plan: Plan, history: AlertFacts) -> None:
    """Crash loop: N crashes of this host within M hours (this one included); looked for only
    outside storms (a storm digest already covers looping hosts)."""
    if history.loop is None:
        plan.open_loop = True
        if plan.send_digests:
            plan.events.append(EventKind.LOOP)
    else:
        plan.loop = history.loop
    if plan.decision in (Decision.PAGE, Decision.COOLDOWN):
        plan.decision = Decision.LOOP
    if plan.ticket_event is EventKind.RECURRENCE:
        plan.ticket_event = None  # the loop digest says it; no comment per reboot
