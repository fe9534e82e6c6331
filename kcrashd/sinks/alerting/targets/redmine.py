"""Redmine REST: the fingerprint in a filterable string custom field (cf_N).

Calls (Redmine REST API "Issues", verified against Redmine 5.0.4 in docs alerting.md 3.7):
GET /issues.json?project_id=P&cf_N=<fp>&status_id=* ; POST /issues.json -> 201 ;
PUT /issues/ID.json {"issue": {"notes": ...}} -> 204. Whether a ticket is closed: its status's
`is_closed` (in the issue since Redmine 5.1; before, from GET /issue_statuses.json); a reopen is
PUT /issues/ID.json {"issue": {"status_id": reopen_status_id or the first open status}}. Text uses Redmine's default Textile;
crash text goes inside <pre> (escaped), inline text is escaped for HTML.
"""

from __future__ import annotations

from kcrashd.config.alerting import RedmineTarget
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.payload import AlertPayload
from kcrashd.sinks.alerting.render import markup_body, subject
from kcrashd.sinks.alerting.targets.ticket import Ticket, TicketSender


def textile_inline(text: str) -> str:
    # <notextile> keeps *_+-^~ from becoming Textile markup; entities stop HTML.
    return f"<notextile>{escape.html_text(escape.one_line(text))}</notextile>"


def textile_block(text: str) -> str:
    return f"<pre>{escape.html_text(text)}</pre>"


class RedmineSender(TicketSender):
    type_name = "redmine"
    config: RedmineTarget
    _statuses: dict[int, bool] | None = None  # status id -> is_closed, read once

    def statuses(self) -> dict[int, bool]:
        """Every issue status with whether it closes an issue (Redmine "Issue Statuses" API)."""
        if self._statuses is None:
            response = self.http.call("GET", f"{self.base_url}/issue_statuses.json", headers=self.headers())
            self._statuses = {
                int(s["id"]): bool(s.get("is_closed")) for s in response.json().get("issue_statuses", [])
            }
        return self._statuses

    def is_closed(self, status: dict[str, object]) -> bool:
        if "is_closed" in status:
            return bool(status["is_closed"])
        return self.statuses().get(int(str(status.get("id", 0))), False)

    def reopen(self, ticket: Ticket) -> None:
        status = self.config.reopen_status_id
        if status is None:
            status = next((sid for sid, closed in self.statuses().items() if not closed), 1)
        self.http.call(
            "PUT", f"{self.base_url}/issues/{ticket.ref}.json", json={"issue": {"status_id": status}},
            headers=self.headers(),
        )  # fmt: skip

    @property
    def base_url(self) -> str:
        return self.config.url.rstrip("/")

    def headers(self) -> dict[str, str]:
        return {"X-Redmine-API-Key": self.secret(self.config.api_key_ref)}

    def find(self, mark: str) -> list[Ticket]:
        cfg = self.config
        response = self.http.call(
            "GET",
            f"{self.base_url}/issues.json",
            params={"project_id": cfg.project, f"cf_{cfg.fingerprint_field_id}": mark, "status_id": "*",
                    "sort": "id", "limit": 25},
            headers=self.headers(),
        )  # fmt: skip
        return [
            Ticket(int(i["id"]), str(i["id"]), f"{self.base_url}/issues/{i['id']}", self.is_closed(i.get("status") or {}))
            for i in response.json().get("issues", [])
        ]

    def create(self, payload: AlertPayload, mark: str, tag: str) -> Ticket:
        cfg = self.config
        description = markup_body(
            payload,
            inline=textile_inline,
            block=textile_block,
            bold=lambda s: f"*{s}*",
            marker=f"{mark} {tag}",
        )
        issue = {
            "project_id": cfg.project,
            "tracker_id": cfg.tracker_id,
            "subject": subject(payload, 250),
            "description": description,
            "custom_fields": [{"id": cfg.fingerprint_field_id, "value": mark}],
        }
        response = self.http.call(
            "POST", f"{self.base_url}/issues.json", json={"issue": issue}, headers=self.headers()
        )
        number = int(response.json()["issue"]["id"])
        return Ticket(number, str(number), f"{self.base_url}/issues/{number}")

    def comment(self, ticket: Ticket, text: str, tag: str) -> None:
        notes = f"{textile_inline(text)}\n\n{tag}"
        self.http.call(
            "PUT",
            f"{self.base_url}/issues/{ticket.ref}.json",
            json={"issue": {"notes": notes}},
            headers=self.headers(),
        )

    def has_comment(self, ticket: Ticket, tag: str) -> bool:
        response = self.http.call(
            "GET",
            f"{self.base_url}/issues/{ticket.ref}.json",
            params={"include": "journals"},
            headers=self.headers(),
        )
        return any(
            tag in (j.get("notes") or "") for j in response.json().get("issue", {}).get("journals", [])
        )
