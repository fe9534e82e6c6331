"""The paging policy as a pure function: a crash and its history in, a plan out. No database:
the history is what `kcrashd.store.AlertHistory` would have read."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import kcrashd.sinks.alerting.policy as policy_module
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting.payload import EventKind
from kcrashd.sinks.alerting.policy import Decision, plan_crash
from kcrashd.store.alert_tables import AlertFacts
from tests.alerting.conftest import T0, alerts_config, make_record

CFG = alerts_config({"name": "wh", "type": "webhook", "url": "http://127.0.0.1:9/h"},
                    storm_hosts=5, storm_max_pages=2, loop_crashes=3)  # fmt: skip


def plan(history: AlertFacts | None = None, crash: CrashRecord | None = None, **kw: Any) -> Any:
    return plan_crash(crash or make_record(), history or AlertFacts(), kw.pop("alerts", CFG), now=kw.pop("now", T0),
                      page=kw.pop("page", True))  # fmt: skip


def test_a_new_bug_pages_and_files_a_ticket() -> None:
    p = plan()
    assert (p.decision, p.notify, p.ticket_event, p.events) == (Decision.PAGE, True, EventKind.NEW, [])


def test_cooldown_comments_once_per_host() -> None:
    p = plan(AlertFacts(paged=True, ticketed=True))
    assert (p.decision, p.notify, p.ticket_event) == (Decision.COOLDOWN, False, EventKind.RECURRENCE)
    p = plan(AlertFacts(paged=True, ticketed=True, host_commented=True))
    assert (p.decision, p.ticket_event) == (Decision.COOLDOWN, None)


def test_test_disabled_duplicate_and_old_crashes_never_page(record: Callable[..., CrashRecord]) -> None:
    assert plan(crash=record(test=True)).decision is Decision.TEST
    assert plan(alerts=CFG.model_copy(update={"enabled": False})).decision is Decision.DISABLED
    assert plan(AlertFacts(decided=True)).decision is Decision.DUPLICATE
    for p in (plan(page=False), plan(crash=record(too_old_to_page=True)), plan(now=T0 + timedelta(days=2))):
        assert (p.decision, p.notify, p.ticket_event) == (Decision.QUIET, False, EventKind.NEW)


def test_a_storm_opens_one_digest_and_pages_a_few_bugs() -> None:
    p = plan(AlertFacts(other_hosts=4))
    assert (p.decision, p.open_storm, p.storm_page, p.events) == (Decision.STORM_PAGE, True, True, [EventKind.STORM])
    p = plan(AlertFacts(other_hosts=9, storm=(7, 1)))
    assert (p.decision, p.storm, p.open_storm, p.events) == (Decision.STORM_PAGE, 7, False, [])
    p = plan(AlertFacts(other_hosts=9, storm=(7, 2), ticketed=True))
    assert (p.decision, p.notify, p.storm_page, p.ticket_event) == (Decision.STORM, False, False, None)


def test_a_quiet_crash_opens_digests_without_sending_them() -> None:
    p = plan(AlertFacts(other_hosts=4), page=False)
    assert (p.decision, p.open_storm, p.events) == (Decision.QUIET, True, [])


def test_a_crash_loop_outside_a_storm() -> None:
    p = plan(AlertFacts(host_crashes=2, paged=True))
    assert (p.decision, p.open_loop, p.events, p.notify) == (Decision.LOOP, True, [EventKind.LOOP], False)
    p = plan(AlertFacts(host_crashes=5, loop=3, ticketed=True))
    assert (p.decision, p.loop, p.events, p.ticket_event) == (Decision.LOOP, 3, [], None)
    p = plan(AlertFacts(host_crashes=5, other_hosts=4))  # a storm covers looping hosts
    assert p.in_storm and not p.open_loop and p.decision is Decision.STORM_PAGE


def test_the_policy_does_no_io() -> None:
    """No SQL, no connection: the module imports neither sqlite3 nor the outbox."""
    tree = ast.parse(inspect.getsource(policy_module))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"sqlite3", "kcrashd.sinks.alerting.outbox", "kcrashd.sinks.alerting.delivery"}
    assert "execute(" not in inspect.getsource(policy_module)


# --- quiet periods, ticket thresholds, regressions (issue 15) ---------------------------------


def tickets() -> Any:
    """A webhook and three ticket targets: no threshold, min_crashes=2, min_hosts=2."""
    return alerts_config(
        {"name": "wh", "type": "webhook", "url": "http://127.0.0.1:9/h"},
        {"name": "plain", "type": "gitlab", "project": "p", "token_ref": "env:T"},
        {"name": "twice", "type": "gitlab", "project": "p", "token_ref": "env:T", "min_crashes": 2},
        {"name": "fleet", "type": "gitlab", "project": "p", "token_ref": "env:T", "min_hosts": 2},
        quiet_days=30,
    )


def test_a_crash_after_a_quiet_period_says_since_when() -> None:
    long_ago = (T0 - timedelta(days=31)).timestamp()
    p = plan(AlertFacts(previous=long_ago, crashes=2))
    assert p.quiet_since is not None and p.quiet_since.timestamp() == long_ago and p.decision is Decision.PAGE
    assert plan(AlertFacts(previous=(T0 - timedelta(days=29)).timestamp(), crashes=2)).quiet_since is None
    assert plan(AlertFacts()).quiet_since is None  # the first crash of a bug has no "since"
    off = CFG.model_copy(update={"policy": CFG.policy.model_copy(update={"quiet_days": 0})})
    assert plan(AlertFacts(previous=long_ago, crashes=2), alerts=off).quiet_since is None


def test_ticket_targets_wait_for_their_thresholds() -> None:
    first = plan(AlertFacts(), alerts=tickets())
    assert (first.held, first.reached, first.ticket_event) == (["twice", "fleet"], [], EventKind.NEW)
    # the second crash, same host, within the cooldown: "twice" files now, "fleet" still waits
    second = plan(AlertFacts(paged=True, ticketed=True, host_commented=True, crashes=2, host_known=True), alerts=tickets())
    assert (second.held, second.reached, second.ticket_event) == (["fleet"], ["twice"], None)
    # a second host: "fleet" files; "twice" reached its threshold earlier and comments as usual
    third = plan(AlertFacts(paged=True, ticketed=True, crashes=3, hosts=2), alerts=tickets())
    assert (third.held, third.reached, third.ticket_event) == ([], ["fleet"], EventKind.RECURRENCE)
    # a later crash on a host the bug already had: nothing is reached again
    later = plan(AlertFacts(paged=True, ticketed=True, crashes=4, hosts=2, host_known=True), alerts=tickets())
    assert (later.held, later.reached) == ([], [])


def test_thresholds_reach_the_outbox_per_target(record: Callable[..., CrashRecord]) -> None:
    from kcrashd.sinks.alerting.outbox import ticket_events

    crash = record()
    names = lambda p: [(t.name, str(e)) for t, e in ticket_events(tickets(), crash, p)]  # noqa: E731
    assert names(plan(AlertFacts(), alerts=tickets())) == [("plain", "new")]
    second = plan(AlertFacts(paged=True, ticketed=True, host_commented=True, crashes=2, host_known=True), alerts=tickets())
    assert names(second) == [("twice", "new")]


def test_a_regression_pages_once_per_cooldown(record: Callable[..., CrashRecord]) -> None:
    from kcrashd.sinks.alerting.policy import plan_regression

    assert plan_regression(record(), CFG, paged=False, now=T0)
    assert not plan_regression(record(), CFG, paged=True, now=T0)  # already paged within the cooldown
    assert not plan_regression(record(test=True), CFG, paged=False, now=T0)
    assert not plan_regression(record(), CFG.model_copy(update={"enabled": False}), paged=False, now=T0)
    assert not plan_regression(record(), CFG, paged=False, now=T0 + timedelta(days=2))  # backlog: too old
