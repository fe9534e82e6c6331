"""Redmine REST: the fingerprint in a filterable string custom field (cf_N).

Calls (Redmine REST API "Issues", verified against Redmine 5.0.4 in docs alerting.md 3.7):
GET /issues.json?project_id=P&cf_N=<fp>&status_id=* ; POST /issues.json -> 201 ;
PUT /issues/ID.json {"issue": {"notes": ...}} -> 204. Text uses Redmine's default Textile;
crash text goes inside <pre> (escaped), inline text is escaped for HTML.
"""

from __future__ import annotations

from kcrashd.alerting import escape
from kcrashd.alerting.config import RedmineTarget
from kcrashd.alerting.payload import AlertPayload
from kcrashd.alerting.render import markup_body, subject
from kcrashd.alerting.targets.ticket import Ticket, TicketSender


def textile_inline(text: str) -> str:
    # <notextile> keeps *_+-^~ from becoming Textile markup; entities stop HTML.
    return f"<notextile>{escape.html_text(escape.one_line(text))}</notextile>"


def textile_block(text: str) -> str:
    return f"<pre>{escape.html_text(text)}</pre>"


class RedmineSender(TicketSender):
    type_name = "redmine"
    config: RedmineTarget

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
            Ticket(int(i["id"]), str(i["id"]), f"{self.base_url}/issues/{i['id']}")
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
