"""Regressions, quiet periods and ticket thresholds (issue 15) without Redmine: each tracker's
closed state and reopen call against a loopback fake that answers as the tracker's REST API
documents it (GitHub, GitLab, Bugzilla, Jira Cloud), the regression page and the quiet-period
text a webhook receiver on 127.0.0.1 gets, and the store's facts (merges honoured) on real SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting.policy import windows_of
from kcrashd.store.alert_tables import AlertHistory
from kcrashd.store.database import Store
from kcrashd.store.merges import merge
from tests.alerting.conftest import T0, Clock, alerts_config, drain, enqueue, file_crash

DB = tuple[Path, sqlite3.Connection]
FP = "kcrash-0123456789abcdef"


class Tracker:
    """One closed ticket (#1) of the bug; records every request, answers like the named tracker."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.requests: list[tuple[str, str, Any]] = []
        self.created = 0

    def __call__(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        self.requests.append((request.method, request.path, body))
        answer = self.answer(request.method, request.path)
        return Response(json.dumps(answer), 201 if request.method == "POST" else 200, content_type="application/json")

    def answer(self, method: str, path: str) -> Any:
        base = "http://tracker.example"
        if method == "GET" and path.endswith(("/issues", "/bug")):  # the search: #1 closed, then what we made
            made = [{"number": 2, "iid": 2, "id": 2, "state": "open", "is_open": True}] if self.created else []
            found = [{"number": 1, "iid": 1, "id": 1, "state": "closed", "is_open": False, "html_url": f"{base}/1",
                      "web_url": f"{base}/1"}, *made]  # fmt: skip
            return {"bugs": found} if self.kind == "bugzilla" else found
        if path.endswith("/search/jql"):
            category = lambda n: "new" if n == 2 else "done"  # noqa: E731
            ids = [1, 2] if self.created else [1]
            return {"issues": [{"id": str(n), "key": f"OPS-{n}", "fields": {"status": {"statusCategory": {"key": category(n)}}}}
                               for n in ids]}  # fmt: skip
        if path.endswith("/transitions") and method == "GET":
            return {"transitions": [{"id": "31", "to": {"statusCategory": {"key": "done"}}},
                                    {"id": "11", "to": {"statusCategory": {"key": "new"}}}]}  # fmt: skip
        if method == "POST" and path.endswith(("/issues", "/issue", "/bug")):
            self.created += 1
            return {"number": 2, "iid": 2, "id": "2" if self.kind == "jira" else 2, "key": "OPS-2"}
        return {"bugs": {"1": {"comments": []}}} if self.kind == "bugzilla" else {}


TARGETS: dict[str, Callable[[str], dict[str, Any]]] = {
    "github": lambda url: {"type": "github", "api_url": url, "repository": "o/r", "token_ref": "env:KC_TOKEN",
                           "min_write_interval": 0},
    "gitlab": lambda url: {"type": "gitlab", "url": url, "project": "grp/proj", "token_ref": "env:KC_TOKEN"},
    "bugzilla": lambda url: {"type": "bugzilla", "url": url, "product": "Fedora", "component": "kernel",
                             "api_key_ref": "env:KC_TOKEN"},
    "jira": lambda url: {"type": "jira", "url": url, "project": "OPS", "email": "bot@example.com",
                         "token_ref": "env:KC_TOKEN"},
}  # fmt: skip
REOPEN = {  # the request that reopens ticket #1, as each tracker's REST API documents it
    "github": ("PATCH", "/repos/o/r/issues/1", {"state": "open"}),
    "gitlab": ("PUT", "/api/v4/projects/grp/proj/issues/1", {"state_event": "reopen"}),
    "bugzilla": ("PUT", "/rest/bug/1", {"status": "CONFIRMED"}),
    "jira": ("POST", "/rest/api/3/issue/OPS-1/transitions", {"transition": {"id": "11"}}),
}


def run(
    kind: str, on_regression: str, db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer
) -> Tracker:
    """A crash of the bug 40 days after its previous one, sent to the tracker and a webhook."""
    path, conn = db
    tracker = Tracker(kind)
    httpserver.expect_request("/hook", method="POST").respond_with_data("", 204)
    httpserver.expect_request(re.compile(r"^/(?!hook).*")).respond_with_handler(tracker)
    target = {"name": "t", **TARGETS[kind](httpserver.url_for("").rstrip("/")), "on_regression": on_regression}
    cfg = alerts_config(target, {"name": "wh", "type": "webhook", "url": httpserver.url_for("/hook")})
    enqueue(conn, record("old", at=T0), alerts_config(), now=T0)  # the bug's previous crash, long ago
    later = T0 + timedelta(days=40)
    enqueue(conn, record("c1", host="web-09", at=later), cfg, now=later)
    conn.commit()
    clock.now = later
    drain(path, cfg, clock, rounds=10)
    return tracker


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_a_closed_ticket_is_reopened_and_the_page_says_regressed(
    kind: str, db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str
) -> None:
    tracker = run(kind, "reopen", db, record, clock, httpserver)
    method, path, body = REOPEN[kind]
    assert (method, path, body) in tracker.requests and tracker.created == 0
    comments = [b for m, p, b in tracker.requests if m == "POST" and re.search(r"/(comments?|notes)$", p)]
    assert len(comments) == 1 and "Regressed: crashed again on web-09" in json.dumps(comments[0])
    pages = [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == "/hook"]
    assert [p["type"] for p in pages] == ["kcrashd.crash.new", "kcrashd.crash.regression"]
    new, regression = (p["data"] for p in pages)
    assert new["notes"] == [f"first crash of {FP} since 2026-11-26 03:00 UTC"] and not new["regressed"]
    assert regression["regressed"] and regression["regression_of"] == (
        "http://tracker.example/1" if kind in ("github", "gitlab") else regression["regression_of"]
    )
    assert regression["notes"][0].startswith("regressed: ticket ") and regression["crash_id"] == "c1"
    assert db[1].execute("SELECT remote_ref FROM outbox_remote WHERE target = 't'").fetchone()[0] in ("1", "OPS-1")


@pytest.mark.parametrize("kind", ["github", "jira"])
def test_a_closed_ticket_is_followed_by_a_new_numbered_one(
    kind: str, db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str
) -> None:
    tracker = run(kind, "new", db, record, clock, httpserver)
    assert tracker.created == 1 and not [r for r in tracker.requests if r[:2] == REOPEN[kind][:2]]
    (created,) = [b for m, p, b in tracker.requests if m == "POST" and p.endswith(("/issues", "/issue"))]
    title = created.get("title") or created["fields"]["summary"]
    assert title.startswith("BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash (2) [")
    assert "regressed: ticket" in json.dumps(created)
    assert db[1].execute("SELECT remote_ref FROM outbox_remote WHERE target = 't'").fetchone()[0] in ("2", "OPS-2")


def test_an_open_ticket_is_no_regression(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str
) -> None:
    """The negative case: the found ticket is open: a plain comment, no reopen, no regression page."""
    path, conn = db
    httpserver.expect_request("/hook", method="POST").respond_with_data("", 204)
    httpserver.expect_request("/repos/o/r/issues", method="GET").respond_with_json(
        [{"number": 1, "state": "open", "html_url": "http://tracker.example/1"}]
    )
    httpserver.expect_request("/repos/o/r/issues/1/comments", method="POST").respond_with_json({}, 201)
    cfg = alerts_config({"name": "t", **TARGETS["github"](httpserver.url_for("").rstrip("/"))},
                        {"name": "wh", "type": "webhook", "url": httpserver.url_for("/hook")})  # fmt: skip
    enqueue(conn, record("c1"), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    assert [r.method for r, _ in httpserver.log if r.path.startswith("/repos")] == ["GET", "POST"]
    pages = [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == "/hook"]
    assert [p["type"] for p in pages] == ["kcrashd.crash.new"] and pages[0]["data"]["notes"] == []


def test_the_store_counts_a_bug_with_its_merged_fingerprints(tmp_path: Path, record: Callable[..., CrashRecord]) -> None:
    """crashes, hosts, host_known and the previous crash come from the store's history, merges honoured."""
    store = Store(tmp_path / "state")
    cfg = alerts_config()
    for ino, crash in enumerate([
        record("a1", fingerprint="kcrash-a", at=T0), record("b1", fingerprint="kcrash-b", host="web-02", at=T0 + timedelta(hours=1)),
        record("x1", fingerprint="kcrash-x", host="web-03", at=T0 + timedelta(hours=2)),
    ]):  # fmt: skip
        file_crash(store, crash, cfg, ino)
    crash = file_crash(store, record("a2", fingerprint="kcrash-a", host="web-02", at=T0 + timedelta(days=3)), cfg, 9)
    w = windows_of(crash, cfg, crash.crash_time)
    alone = AlertHistory(store.conn).facts("a2", "kcrash-a", "web-02", w)
    assert (alone.crashes, alone.hosts, alone.host_known, alone.previous) == (2, 2, False, T0.timestamp())
    with store.conn:
        merge(store.conn, "kcrash-a", "kcrash-b", T0.timestamp())
    merged = AlertHistory(store.conn).facts("a2", "kcrash-a", "web-02", w)
    assert (merged.crashes, merged.hosts, merged.host_known) == (3, 2, True)
    assert merged.previous == (T0 + timedelta(hours=1)).timestamp()
    store.close()


def test_mail_chat_and_ticket_texts_say_regressed_and_since_when(record: Callable[..., CrashRecord]) -> None:
    """Every human-readable rendering shows the history lines; a plain page shows neither."""
    from kcrashd.sinks.alerting import escape
    from kcrashd.sinks.alerting.payload import EventKind, build_payload
    from kcrashd.sinks.alerting.render import markup_body, subject, text_body
    from kcrashd.sinks.alerting.targets.slack import slack_message
    from kcrashd.sinks.alerting.targets.smtp import html_body
    from kcrashd.sinks.alerting.targets.teams import teams_message

    plain = build_payload(record())
    back = build_payload(record(), EventKind.REGRESSION).model_copy(
        update={"regressed": True, "regression_of": "https://rm.example/issues/7", "quiet_since": T0 - timedelta(days=90)}
    )
    since = f"first crash of {FP} since 2026-08-28 03:00 UTC"
    regressed = f"regressed: ticket https://rm.example/issues/7 was closed and {FP} crashed again"
    assert subject(back).startswith("Regressed: BUG: unable to handle") and not subject(plain).startswith("Regressed")
    renderings = {
        "mail": text_body(back), "mail html": html_body(back), "slack": json.dumps(slack_message(back)),
        "teams": json.dumps(teams_message(back)), "ticket": markup_body(back, inline=escape.markdown, block=escape.markdown_code),
    }  # fmt: skip
    for name, text in renderings.items():
        assert "regressed: ticket https:" in text and since in text.replace("&nbsp;", " "), name
    assert regressed in text_body(back) and since in text_body(back)
    assert "regressed" not in text_body(plain).lower() and "since" not in text_body(plain)
