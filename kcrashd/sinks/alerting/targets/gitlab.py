"""GitLab Issues REST: the fingerprint is a label; find with ?labels=&state=all.

Shapes: GitLab Docs "Issues API" (POST /projects/:id/issues, labels comma-separated),
"Notes API" (POST /projects/:id/issues/:iid/notes). Auth: PRIVATE-TOKEN header. An issue is
closed when its `state` is "closed"; a reopen is PUT /projects/:id/issues/:iid {"state_event": "reopen"}.
"""

from __future__ import annotations

from urllib.parse import quote

from kcrashd.config.alerting import GitLabTarget
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.payload import AlertPayload
from kcrashd.sinks.alerting.render import markup_body, subject
from kcrashd.sinks.alerting.targets.ticket import Ticket, TicketSender


class GitLabSender(TicketSender):
    type_name = "gitlab"
    config: GitLabTarget

    @property
    def project_url(self) -> str:
        return f"{self.config.url.rstrip('/')}/api/v4/projects/{quote(self.config.project, safe='')}"

    def headers(self) -> dict[str, str]:
        return {"PRIVATE-TOKEN": self.secret(self.config.token_ref)}

    def find(self, mark: str) -> list[Ticket]:
        response = self.http.call(
            "GET", f"{self.project_url}/issues",
            params={"labels": mark, "state": "all", "order_by": "created_at", "sort": "asc", "per_page": 10},
            headers=self.headers(),
        )  # fmt: skip
        return [Ticket(int(i["iid"]), str(i["iid"]), i.get("web_url"), i.get("state") == "closed") for i in response.json()]

    def create(self, payload: AlertPayload, mark: str, tag: str) -> Ticket:
        body = markup_body(
            payload, inline=escape.markdown, block=escape.markdown_code, bullet="- ", marker=f"{mark} {tag}"
        )
        doc = self.http.call(
            "POST", f"{self.project_url}/issues",
            json={"title": subject(payload, 250), "description": body, "labels": ",".join([*self.config.labels, mark])},
            headers=self.headers(),
        ).json()  # fmt: skip
        return Ticket(int(doc["iid"]), str(doc["iid"]), doc.get("web_url"))

    def comment(self, ticket: Ticket, text: str, tag: str) -> None:
        self.http.call(
            "POST", f"{self.project_url}/issues/{ticket.ref}/notes",
            json={"body": f"{escape.markdown(text)}\n\n{tag}"}, headers=self.headers(),
        )  # fmt: skip

    def reopen(self, ticket: Ticket) -> None:
        self.http.call(
            "PUT", f"{self.project_url}/issues/{ticket.ref}", json={"state_event": "reopen"}, headers=self.headers()
        )
