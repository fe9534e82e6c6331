"""Ticket trackers: Redmine for real; Jira (Cloud v3 and DC v2), GitHub, GitLab and Bugzilla
against small loopback fakes whose requests are checked with tests/alerting/shapes.py."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting import Deliverer, delivery_state
from tests.alerting import shapes
from tests.alerting.conftest import PLANTED, T0, Clock, alerts_config, drain, enqueue, file_crash
from tests.alerting.servers import redmine

DB = tuple[Path, sqlite3.Connection]
EVIL = "BUG: <script>alert(1)</script> *bold* @here {noformat} `x` in evil_fn"


# --- Redmine, real -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    yield from redmine(tmp_path_factory.mktemp("redmine"))


@pytest.mark.redmine
def test_real_redmine_find_or_create_then_comment(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, rm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    path, conn = db
    monkeypatch.setenv("RM_KEY", rm["api_key"])
    target = {"name": "rm", "type": "redmine", "url": rm["url"], "project": "kcrash",
              "fingerprint_field_id": int(rm["cf"]), "api_key_ref": "env:RM_KEY"}  # fmt: skip
    cfg = alerts_config(target)
    enqueue(conn, record("c1", title=EVIL), cfg, now=T0)
    enqueue(conn, record("c2", host="web-02"), cfg, now=T0.replace(minute=5))  # recurrence: a comment
    conn.commit()
    drain(path, cfg, clock)
    headers = {"X-Redmine-API-Key": rm["api_key"]}
    found = requests.get(
        f"{rm['url']}/issues.json",
        params={"project_id": "kcrash", f"cf_{rm['cf']}": "kcrash-0123456789abcdef", "status_id": "*"},
        headers=headers, timeout=10,
    ).json()  # fmt: skip
    assert found["total_count"] == 1
    issue_id = found["issues"][0]["id"]
    issue = requests.get(
        f"{rm['url']}/issues/{issue_id}.json?include=journals", headers=headers, timeout=10
    ).json()
    notes = [j["notes"] for j in issue["issue"]["journals"] if j.get("notes")]
    assert len(notes) == 1 and "web-02" in notes[0]
    assert delivery_state(conn, "c1")[0]["remote_url"] == f"{rm['url']}/issues/{issue_id}"
    page = requests.get(f"{rm['url']}/issues/{issue_id}", timeout=10).text  # public project: rendered HTML
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page

    # a second daemon (its own state DB) with the same bug finds the ticket and comments
    other = tmp_path / "other.db"
    conn2 = sqlite3.connect(other)
    from kcrashd.sinks.alerting import ensure_schema

    ensure_schema(conn2)
    enqueue(conn2, record("x9", host="db-07"), cfg, now=T0)
    conn2.commit()
    drain(other, cfg, clock)
    found = requests.get(
        f"{rm['url']}/issues.json",
        params={"project_id": "kcrash", f"cf_{rm['cf']}": "kcrash-0123456789abcdef", "status_id": "*"},
        headers=headers, timeout=10,
    ).json()  # fmt: skip
    assert found["total_count"] == 1
    issue = requests.get(
        f"{rm['url']}/issues/{issue_id}.json?include=journals", headers=headers, timeout=10
    ).json()
    assert any("db-07" in (j.get("notes") or "") for j in issue["issue"]["journals"])
    assert PLANTED not in json.dumps(issue)
    conn2.close()


@pytest.mark.redmine
def test_real_redmine_wrong_key_is_permanent(
    db: DB,
    record: Callable[..., CrashRecord],
    clock: Clock,
    rm: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, conn = db
    monkeypatch.setenv("RM_KEY", PLANTED)
    cfg = alerts_config({"name": "rm", "type": "redmine", "url": rm["url"], "project": "kcrash",
                         "fingerprint_field_id": int(rm["cf"]), "api_key_ref": "env:RM_KEY"})  # fmt: skip
    enqueue(conn, record("bad", fingerprint="kcrash-badkey"), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    state = delivery_state(conn, "bad")[0]
    assert state["state"] == "dead" and state["last_status"] == 401
    assert PLANTED not in json.dumps(state)


# --- fakes of the SaaS trackers --------------------------------------------------------------


class FakeTracker:
    """An in-memory tracker behind pytest-httpserver: records problems found by shapes.py."""

    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []
        self.comments: dict[int, list[str]] = {}
        self.problems: list[str] = []

    def add(self, marker: str, title: str) -> dict[str, Any]:
        issue = {"id": len(self.issues) + 101, "marker": marker, "title": title}
        self.issues.append(issue)
        self.comments[issue["id"]] = []
        return issue

    def matching(self, marker: str) -> list[dict[str, Any]]:
        return [i for i in self.issues if i["marker"] == marker]


def jira_server(httpserver: HTTPServer, fake: FakeTracker, *, cloud: bool) -> None:
    api = "/rest/api/3" if cloud else "/rest/api/2"

    def search(request: Request) -> Response:
        if cloud:
            body = request.get_json()
            jql = body["jql"]
            if "fields" not in body:
                fake.problems.append("search/jql returns ids only unless fields are given")
        else:
            jql = request.args["jql"]
        label = jql.split("labels = ", 1)[1].split(" ")[0].strip('"')
        issues = [{"id": str(i["id"]), "key": f"OPS-{i['id']}"} for i in fake.matching(label)]
        return Response(json.dumps({"issues": issues, "isLast": True}), 200, content_type="application/json")

    def create(request: Request) -> Response:
        doc = request.get_json()
        fake.problems.extend(shapes.jira_create(doc, cloud=cloud))
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Basic " if cloud else "Bearer "):
            fake.problems.append("wrong auth scheme")
        label = next(x for x in doc["fields"]["labels"] if x != "kcrashd")
        issue = fake.add(label, doc["fields"]["summary"])
        return Response(json.dumps({"id": str(issue["id"]), "key": f"OPS-{issue['id']}", "self": "x"}), 201)

    def comment(request: Request) -> Response:
        fake.problems.extend(shapes.jira_comment(request.get_json(), cloud=cloud))
        number = int(request.path.split("/")[-2].split("-")[1])
        fake.comments[number].append(json.dumps(request.get_json()))
        return Response(json.dumps({"id": "1"}), 201)

    if cloud:
        httpserver.expect_request(f"{api}/search/jql", method="POST").respond_with_handler(search)
    else:
        httpserver.expect_request(f"{api}/search", method="GET").respond_with_handler(search)
    httpserver.expect_request(f"{api}/issue", method="POST").respond_with_handler(create)
    import re

    httpserver.expect_request(
        re.compile(rf"{api}/issue/OPS-\d+/comment"), method="POST"
    ).respond_with_handler(comment)


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud-v3", "datacenter-v2"])
def test_jira_find_or_create_and_comment(
    cloud: bool,
    db: DB,
    record: Callable[..., CrashRecord],
    clock: Clock,
    httpserver: HTTPServer,
    secret_env: str,
) -> None:
    path, conn = db
    fake = FakeTracker()
    jira_server(httpserver, fake, cloud=cloud)
    cfg = alerts_config({"name": "jira", "type": "jira", "url": httpserver.url_for("/"), "project": "OPS",
                         "flavor": "cloud" if cloud else "datacenter", "email": "bot@example.com",
                         "token_ref": "credential:token"})  # fmt: skip
    enqueue(conn, record("c1", title=EVIL), cfg, now=T0)
    enqueue(conn, record("c2", host="web-02"), cfg, now=T0.replace(minute=1))
    enqueue(conn, record("c3", fingerprint="kcrash-other"), cfg, now=T0.replace(minute=2))
    conn.commit()
    drain(path, cfg, clock)
    assert fake.problems == []
    assert [i["marker"] for i in fake.issues] == ["kcrash-0123456789abcdef", "kcrash-other"]
    assert len(fake.comments[101]) == 1 and "web-02" in fake.comments[101][0]
    assert delivery_state(conn, "c2")[0]["remote_id"] == "OPS-101"
    for req, _ in httpserver.log:
        assert PLANTED not in req.url


def test_jira_race_converges_on_the_oldest_ticket(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str
) -> None:
    path, conn = db
    fake = FakeTracker()
    fake.add(
        "kcrash-0123456789abcdef", "created by another host a moment ago"
    )  # invisible to the first search
    hidden = fake.issues.pop()
    hidden["id"] = 50  # older than anything this host creates
    jira_server(httpserver, fake, cloud=True)

    real_add = fake.add

    def add_then_reveal(marker: str, title: str) -> dict[str, Any]:
        issue = real_add(marker, title)
        fake.issues.insert(0, hidden)
        fake.comments[hidden["id"]] = []
        return issue

    fake.add = add_then_reveal  # type: ignore[method-assign]
    cfg = alerts_config({"name": "jira", "type": "jira", "url": httpserver.url_for("/"), "project": "OPS",
                         "email": "bot@example.com", "token_ref": "credential:token"})  # fmt: skip
    enqueue(conn, record("c1"), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    assert delivery_state(conn, "c1")[0]["remote_id"] == "OPS-50"  # the oldest wins
    assert "Duplicate of" in fake.comments[101][0] and "OPS-50" in fake.comments[101][0]


def test_github_labels_headers_and_rate_limit(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str
) -> None:
    path, conn = db
    fake = FakeTracker()
    limited = {"done": False}

    def issues(request: Request) -> Response:
        fake.problems.extend(shapes.github_headers(dict(request.headers)))
        if request.method == "GET":
            if request.args.get("state") != "all":
                fake.problems.append("list must include closed issues (state=all)")
            found = [
                {"number": i["id"], "html_url": f"https://gh/{i['id']}"}
                for i in fake.matching(request.args["labels"])
            ]
            return Response(json.dumps(found), 200, content_type="application/json")
        if not limited["done"]:  # secondary rate limit: 403 + retry-after (GitHub Docs "Rate limits")
            limited["done"] = True
            return Response(
                json.dumps({"message": "You have exceeded a secondary rate limit"}),
                403,
                headers={"retry-after": "61"},
            )
        doc = request.get_json()
        fake.problems.extend(shapes.github_issue(doc))
        issue = fake.add(next(x for x in doc["labels"] if x.startswith("kcrash-")), doc["title"])
        return Response(json.dumps({"number": issue["id"], "html_url": f"https://gh/{issue['id']}"}), 201)

    def comments(request: Request) -> Response:
        fake.problems.extend(shapes.github_headers(dict(request.headers)))
        fake.comments[int(request.path.split("/")[-2])].append(request.get_json()["body"])
        return Response("{}", 201)

    import re

    httpserver.expect_request("/repos/o/r/issues").respond_with_handler(issues)
    httpserver.expect_request(
        re.compile(r"/repos/o/r/issues/\d+/comments"), method="POST"
    ).respond_with_handler(comments)
    cfg = alerts_config({"name": "gh", "type": "github", "api_url": httpserver.url_for("/").rstrip("/"),
                         "repository": "o/r", "token_ref": "env:KC_TOKEN", "min_write_interval": 0})  # fmt: skip
    enqueue(conn, record("c1", title=EVIL), cfg, now=T0)
    enqueue(conn, record("c2", host="web-02", title=EVIL), cfg, now=T0)
    conn.commit()
    deliverer = Deliverer(path, cfg, clock=clock)
    try:
        wait = deliverer.deliver_due()
        assert wait is not None and wait >= 61  # the rate limit was honoured
        clock.advance(wait)
        assert deliverer.deliver_due() is None
    finally:
        deliverer.close()
    assert fake.problems == []
    assert len(fake.issues) == 1 and len(fake.comments[101]) == 1
    created = [r for r, resp in httpserver.log if r.method == "POST" and resp.status_code == 201]
    body = created[0].get_json()["body"]
    assert "@here" not in body and "<script>" not in body  # mention defused, HTML escaped
    assert "\\<script\\>" in body


def test_gitlab_and_bugzilla_shapes(
    db: DB, record: Callable[..., CrashRecord], clock: Clock, httpserver: HTTPServer, secret_env: str
) -> None:
    import re

    path, conn = db
    gl, bz = FakeTracker(), FakeTracker()

    def gl_issues(request: Request) -> Response:
        if request.method == "GET":
            found = [
                {"iid": i["id"], "web_url": f"https://gl/{i['id']}"}
                for i in gl.matching(request.args["labels"])
            ]
            return Response(json.dumps(found), 200, content_type="application/json")
        doc = request.get_json()
        gl.problems.extend(shapes.gitlab_issue(dict(request.headers), doc))
        issue = gl.add(doc["labels"].split(",")[-1], doc["title"])
        return Response(json.dumps({"iid": issue["id"], "web_url": f"https://gl/{issue['id']}"}), 201)

    def gl_notes(request: Request) -> Response:
        gl.comments[int(request.path.split("/")[-2])].append(request.get_json()["body"])
        return Response("{}", 201)

    def bz_bug(request: Request) -> Response:
        if request.headers.get("X-BUGZILLA-API-KEY") is None:
            bz.problems.append("X-BUGZILLA-API-KEY header missing")
        if "Bugzilla_api_key" in request.url:
            bz.problems.append("API key in the URL")
        if request.method == "GET":
            q = request.args["quicksearch"]
            if not q.startswith("ALL whiteboard:"):
                bz.problems.append("quicksearch must search ALL (closed too) by whiteboard (libreport)")
            marker = q.split('"')[1].removeprefix("kcrashd:").rstrip(";")
            return Response(json.dumps({"bugs": [{"id": i["id"]} for i in bz.matching(marker)]}), 200)
        doc = request.get_json()
        bz.problems.extend(shapes.bugzilla_bug(doc))
        issue = bz.add(doc["whiteboard"].removeprefix("kcrashd:").rstrip(";"), doc["summary"])
        return Response(json.dumps({"id": issue["id"]}), 200)

    def bz_comment(request: Request) -> Response:
        number = int(request.path.split("/")[-2])
        if request.method == "GET":
            body = {"bugs": {str(number): {"comments": [{"text": t} for t in bz.comments[number]]}}}
            return Response(json.dumps(body), 200)
        bz.comments[number].append(request.get_json()["comment"])
        return Response(json.dumps({"id": 5}), 201)

    httpserver.expect_request("/api/v4/projects/grp/proj/issues").respond_with_handler(gl_issues)
    httpserver.expect_request(re.compile(r"/api/v4/projects/grp/proj/issues/\d+/notes")).respond_with_handler(
        gl_notes
    )
    httpserver.expect_request("/rest/bug").respond_with_handler(bz_bug)
    httpserver.expect_request(re.compile(r"/rest/bug/\d+/comment")).respond_with_handler(bz_comment)
    base = httpserver.url_for("/").rstrip("/")
    cfg = alerts_config(
        {"name": "gl", "type": "gitlab", "url": base, "project": "grp/proj", "token_ref": "env:KC_TOKEN"},
        {"name": "bz", "type": "bugzilla", "url": base, "product": "Fedora", "component": "kernel",
         "api_key_ref": "env:KC_TOKEN"},
    )  # fmt: skip
    enqueue(conn, record("c1"), cfg, now=T0)
    enqueue(conn, record("c2", host="web-02"), cfg, now=T0)
    conn.commit()
    drain(path, cfg, clock)
    assert gl.problems == [] and bz.problems == []
    assert len(gl.issues) == 1 and len(gl.comments[101]) == 1
    assert len(bz.issues) == 1 and len(bz.comments[101]) == 1


# --- regressions, thresholds and merges against the real Redmine (issue 15) ------------------


def rm_target(rm: dict[str, str], name: str, title: str, **extra: Any) -> dict[str, Any]:
    """A Redmine target that takes only the crashes whose title has `title` (one bug per target)."""
    return {"name": name, "type": "redmine", "url": rm["url"], "project": "kcrash", "fingerprint_field_id": int(rm["cf"]),
            "api_key_ref": "env:RM_KEY", "include_titles": [title], **extra}  # fmt: skip


def rm_issues(rm: dict[str, str], fingerprint: str) -> list[dict[str, Any]]:
    """The Redmine issues of a fingerprint, open and closed, oldest first, with their notes."""
    headers = {"X-Redmine-API-Key": rm["api_key"]}
    found = requests.get(
        f"{rm['url']}/issues.json", headers=headers, timeout=10,
        params={"project_id": "kcrash", f"cf_{rm['cf']}": fingerprint, "status_id": "*", "sort": "id"},
    ).json()["issues"]  # fmt: skip
    return [
        requests.get(f"{rm['url']}/issues/{i['id']}.json?include=journals", headers=headers, timeout=10).json()["issue"]
        for i in found
    ]


def rm_close(rm: dict[str, str], issue: dict[str, Any]) -> None:
    headers = {"X-Redmine-API-Key": rm["api_key"]}
    statuses = requests.get(f"{rm['url']}/issue_statuses.json", headers=headers, timeout=10).json()["issue_statuses"]
    closed = next(s["id"] for s in statuses if s.get("is_closed"))
    requests.put(
        f"{rm['url']}/issues/{issue['id']}.json", json={"issue": {"status_id": closed}}, headers=headers, timeout=10
    ).raise_for_status()


@pytest.mark.redmine
def test_real_redmine_thresholds_merges_and_regressions(
    record: Callable[..., CrashRecord], clock: Clock, rm: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, httpserver: HTTPServer,
) -> None:  # fmt: skip
    """One state, five bugs, one Redmine: min_crashes honouring a group merge (one ticket), min_crashes=2,
    min_hosts=2, a closed ticket reopened, and a closed ticket followed by a new "(2)" ticket; the
    webhook receiver gets the regression pages and the quiet-period text."""
    from datetime import timedelta

    from kcrashd.store.database import Store
    from kcrashd.store.merges import merge

    monkeypatch.setenv("RM_KEY", rm["api_key"])
    httpserver.expect_request("/hook", method="POST").respond_with_data("", 204)
    cfg = alerts_config(
        rm_target(rm, "rm-merge", "merge-bug", min_crashes=3), rm_target(rm, "rm-twice", "twice-bug", min_crashes=2),
        rm_target(rm, "rm-hosts", "fleet-bug", min_hosts=2), rm_target(rm, "rm-reopen", "reopen-bug"),
        rm_target(rm, "rm-new", "new-bug", on_regression="new"),
        {"name": "wh", "type": "webhook", "url": httpserver.url_for("/hook")},
    )  # fmt: skip
    fp = {bug: f"kcrash-{bug}-{tmp_path.name[-8:]}".replace("_", "-") for bug in ("a", "b", "twice", "fleet", "re", "new")}
    store = Store(tmp_path / "state")
    bug = lambda n, key, title, **kw: record(n, fingerprint=fp[key], title=f"BUG: {title} in f_{key}", **kw)  # noqa: E731
    t1 = T0 + timedelta(hours=1)
    for ino, crash in enumerate([
        bug("a1", "a", "merge-bug"), bug("b1", "b", "merge-bug", host="web-02"), bug("w1", "twice", "twice-bug"),
        bug("f1", "fleet", "fleet-bug"), bug("f2", "fleet", "fleet-bug", at=T0 + timedelta(minutes=1)),
        bug("r1", "re", "reopen-bug"), bug("n1", "new", "new-bug"),
    ], 1):  # fmt: skip
        file_crash(store, crash, cfg, ino)
    clock.now = T0
    drain(store.path, cfg, clock, rounds=20)
    assert [len(rm_issues(rm, fp[k])) for k in ("a", "b", "twice", "fleet", "re", "new")] == [0, 0, 0, 0, 1, 1]

    with store.conn:  # the operator merges bug b into bug a: b's next crash is a's third
        merge(store.conn, fp["a"], fp["b"], T0.timestamp())
    for ino, crash in enumerate([
        bug("b2", "b", "merge-bug", host="web-03", at=t1), bug("w2", "twice", "twice-bug", at=t1),
        bug("f3", "fleet", "fleet-bug", host="web-02", at=t1), bug("a3", "a", "merge-bug", host="web-04", at=t1),
    ], 10):  # fmt: skip
        file_crash(store, crash, cfg, ino)
    clock.now = t1
    drain(store.path, cfg, clock, rounds=20)
    merged = rm_issues(rm, fp["a"])
    assert len(merged) == 1 and rm_issues(rm, fp["b"]) == []
    assert "3 (on 3 hosts)" in merged[0]["description"]  # filed at the third crash of the group, with its counts
    assert [n["notes"] for n in merged[0]["journals"] if "web-04" in (n.get("notes") or "")]  # then a comment
    assert len(rm_issues(rm, fp["twice"])) == 1 and "2 (on 1 host)" in rm_issues(rm, fp["twice"])[0]["description"]
    assert len(rm_issues(rm, fp["fleet"])) == 1 and "3 (on 2 hosts)" in rm_issues(rm, fp["fleet"])[0]["description"]

    # both tickets closed; the bugs crash again 40 days later (quiet_days defaults to 30)
    for key in ("re", "new"):
        rm_close(rm, rm_issues(rm, fp[key])[0])
    t40 = T0 + timedelta(days=40)
    file_crash(store, bug("r2", "re", "reopen-bug", host="web-09", at=t40), cfg, 20)
    file_crash(store, bug("n2", "new", "new-bug", at=t40), cfg, 21)
    clock.now = t40
    drain(store.path, cfg, clock, rounds=20)
    (reopened,) = rm_issues(rm, fp["re"])
    assert reopened["status"]["id"] != rm_issues(rm, fp["new"])[0]["status"]["id"]  # open again; n1's stays closed
    assert any("Regressed" in (j.get("notes") or "") and "web-09" in j["notes"] for j in reopened["journals"])
    old, new = rm_issues(rm, fp["new"])
    assert new["subject"].startswith("BUG: new-bug in f_new (2)") and f"{rm['url']}/issues/{old['id']}" in new["description"]
    (kept,) = [d for d in delivery_state(store.conn, "n2") if d["target"] == "rm-new"]
    assert kept["remote_id"] == str(new["id"])  # the store keeps the new ticket
    pages = [json.loads(req.get_data()) for req, _ in httpserver.log]
    regressions = {p["data"]["crash_id"]: p["data"] for p in pages if p["type"] == "kcrashd.crash.regression"}
    assert set(regressions) == {"r2", "n2"} and all(d["regressed"] for d in regressions.values())
    assert regressions["r2"]["regression_of"] == f"{rm['url']}/issues/{reopened['id']}"
    assert any(n.startswith("regressed: ticket ") for n in regressions["r2"]["notes"])
    quiet = {p["data"]["crash_id"]: p["data"]["notes"] for p in pages if p["type"] == "kcrashd.crash.new"}
    assert quiet["r2"][-1] == f"first crash of {fp['re']} since 2026-11-26 03:00 UTC" and quiet["a1"] == []
    store.close()
