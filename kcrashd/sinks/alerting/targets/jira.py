"""Jira: Cloud REST v3 (ADF bodies, /rest/api/3/search/jql) and Data Center REST v2 (wiki markup,
/rest/api/2/search). The fingerprint is a label (no spaces) or a custom field.

Shapes: developer.atlassian.com Jira Cloud REST v3 "Issues", "Issue search" (search/jql with
`fields`, `reconcileIssues` for read-after-write), "Issue comments"; Atlassian Document Format;
Jira DC REST v2. An issue is closed when its status is in the "done" category
(fields.status.statusCategory.key); a reopen is the first transition (GET /issue/KEY/transitions)
to a status of another category, POSTed to /issue/KEY/transitions. Auth: Cloud basic email:api_token, DC personal access token (Bearer).
"""

from __future__ import annotations

import base64
from typing import Any

from kcrashd.config.alerting import JiraTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.http import SendFailure
from kcrashd.sinks.alerting.payload import AlertPayload, summary_lines
from kcrashd.sinks.alerting.render import markup_body, subject
from kcrashd.sinks.alerting.targets.ticket import Ticket, TicketSender


def adf_text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text or " "}


def adf_doc(payload: AlertPayload | None, extra: list[str]) -> dict[str, Any]:
    """An ADF document: text nodes are plain strings in JSON, so no markup escaping is needed."""
    content: list[dict[str, Any]] = []
    if payload is not None:
        content.append({"type": "paragraph", "content": [adf_text(escape.one_line(payload.headline))]})
        items = [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": k, "marks": [{"type": "strong"}]}, adf_text(": " + escape.one_line(v))]}]}
            for k, v in summary_lines(payload)
        ]  # fmt: skip
        content.append({"type": "bulletList", "content": items})
        if payload.excerpt:
            content.append({"type": "codeBlock", "attrs": {"language": "text"},
                            "content": [adf_text(escape.plain("\n".join(payload.excerpt)))]})  # fmt: skip
    content += [{"type": "paragraph", "content": [adf_text(escape.one_line(line))]} for line in extra]
    return {"type": "doc", "version": 1, "content": content}


class JiraSender(TicketSender):
    type_name = "jira"
    config: JiraTarget

    @property
    def cloud(self) -> bool:
        return self.config.flavor == "cloud"

    @property
    def api(self) -> str:
        return f"{self.config.url.rstrip('/')}/rest/api/{3 if self.cloud else 2}"

    def headers(self) -> dict[str, str]:
        token = self.secret(self.config.token_ref)
        if self.cloud and self.config.email:
            basic = base64.b64encode(f"{self.config.email}:{token}".encode()).decode()
            return {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def jql(self, mark: str) -> str:
        cfg = self.config
        if cfg.fingerprint_field:
            number = cfg.fingerprint_field.removeprefix("customfield_")
            where = f"cf[{number}] ~ {escape.jql_string(mark)}"
        else:
            where = f"labels = {escape.jql_string(mark)}"
        return f"project = {escape.jql_string(cfg.project)} AND {where} ORDER BY created ASC"

    def find(self, mark: str, reconcile: list[int] | None = None) -> list[Ticket]:
        fields = ["key", "created", "status"] + (
            [self.config.fingerprint_field] if self.config.fingerprint_field else []
        )
        if self.cloud:
            body: dict[str, Any] = {"jql": self.jql(mark), "fields": fields, "maxResults": 20}
            if reconcile:
                body["reconcileIssues"] = reconcile
            response = self.http.call("POST", f"{self.api}/search/jql", json=body, headers=self.headers())
        else:
            response = self.http.call(
                "GET", f"{self.api}/search", params={"jql": self.jql(mark), "fields": ",".join(fields), "maxResults": 20},
                headers=self.headers(),
            )  # fmt: skip
        tickets = []
        for issue in response.json().get("issues", []):
            exact = (issue.get("fields") or {}).get(self.config.fingerprint_field or "", mark)
            if exact != mark:  # a custom field is searched with `~` (contains): keep exact matches
                continue
            status = (issue.get("fields") or {}).get("status") or {}
            done = (status.get("statusCategory") or {}).get("key") == "done"
            tickets.append(
                Ticket(int(issue["id"]), issue["key"], f"{self.config.url.rstrip('/')}/browse/{issue['key']}", done)
            )
        return tickets

    def create(self, payload: AlertPayload, mark: str, tag: str) -> Ticket:
        cfg = self.config
        fields: dict[str, Any] = {
            "project": {"key": cfg.project},
            "issuetype": {"name": cfg.issue_type},
            "summary": subject(payload, 250),
            "labels": ["kcrashd"] + ([] if cfg.fingerprint_field else [mark]),
        }
        if cfg.fingerprint_field:
            fields[cfg.fingerprint_field] = mark
        if self.cloud:
            fields["description"] = adf_doc(payload, [f"{mark} {tag}"])
        else:
            fields["description"] = markup_body(
                payload, inline=escape.jira_wiki, bold=lambda s: f"*{s}*",
                block=lambda t: "{noformat}\n" + escape.jira_wiki_code(t) + "\n{noformat}", marker=f"{mark} {tag}",
            )  # fmt: skip
        response = self.http.call(
            "POST", f"{self.api}/issue", json={"fields": fields}, headers=self.headers()
        )
        doc = response.json()
        return Ticket(int(doc["id"]), doc["key"], f"{cfg.url.rstrip('/')}/browse/{doc['key']}")

    def find_again(self, mark: str, created: Ticket) -> list[Ticket]:
        # search/jql is eventually consistent; reconcileIssues asks for read-after-write (v3)
        return self.find(mark, reconcile=[created.order] if self.cloud else None)

    def comment(self, ticket: Ticket, text: str, tag: str) -> None:
        body: Any = adf_doc(None, [text, tag]) if self.cloud else f"{escape.jira_wiki(text)}\n\n{tag}"
        self.http.call(
            "POST", f"{self.api}/issue/{ticket.ref}/comment", json={"body": body}, headers=self.headers()
        )

    def reopen(self, ticket: Ticket) -> None:
        url = f"{self.api}/issue/{ticket.ref}/transitions"
        moves = self.http.call("GET", url, headers=self.headers()).json().get("transitions", [])
        back = next(
            (t for t in moves if ((t.get("to") or {}).get("statusCategory") or {}).get("key") not in ("done", None)), None
        )
        if back is None:
            error = f"{ticket.ref} is closed and no transition of its workflow reopens it"
            raise SendFailure(Outcome(False, retry=False, error=error))
        self.http.call("POST", url, json={"transition": {"id": back["id"]}}, headers=self.headers())
