"""Bugzilla REST as ABRT uses it: the fingerprint in the Status Whiteboard (or a keyword),
found with quicksearch `ALL whiteboard:<marker> product:<p> component:<c>` (ALL includes
closed bugs); a comment is skipped when one with the same delivery tag exists. A bug is closed
when its `is_open` is false; a reopen is PUT /rest/bug/ID {"status": reopen_status} (Bugzilla
clears the resolution of a bug moved to an open status).

Sources: abrt/libreport src/plugins/python/reporter_bugzilla.py, bz_connection.py; Bugzilla 5
REST "Bug" (POST /rest/bug -> {"id"}, POST /rest/bug/ID/comment -> 201). Auth header
X-BUGZILLA-API-KEY (never the Bugzilla_api_key query parameter, which would land in URLs).
"""

from __future__ import annotations

from typing import Any

from kcrashd.config.alerting import BugzillaTarget
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.payload import AlertPayload
from kcrashd.sinks.alerting.render import subject, text_body
from kcrashd.sinks.alerting.targets.ticket import Ticket, TicketSender


class BugzillaSender(TicketSender):
    type_name = "bugzilla"
    config: BugzillaTarget

    @property
    def rest(self) -> str:
        return f"{self.config.url.rstrip('/')}/rest"

    def headers(self) -> dict[str, str]:
        return {"X-BUGZILLA-API-KEY": self.secret(self.config.api_key_ref), "Accept": "application/json"}

    def token(self, mark: str) -> str:
        return f"kcrashd:{mark};" if self.config.marker_field == "whiteboard" else mark

    def find(self, mark: str) -> list[Ticket]:
        cfg = self.config
        field = "whiteboard" if cfg.marker_field == "whiteboard" else "keywords"
        query = (
            f"ALL {field}:{escape.quicksearch_term(self.token(mark))} product:{escape.quicksearch_term(cfg.product)}"
            f" component:{escape.quicksearch_term(cfg.component)}"
        )
        response = self.http.call(
            "GET",
            f"{self.rest}/bug",
            params={"quicksearch": query, "include_fields": "id,is_open"},
            headers=self.headers(),
        )
        return [Ticket(int(b["id"]), str(b["id"]), f"{cfg.url.rstrip('/')}/show_bug.cgi?id={b['id']}",
                       b.get("is_open", True) is False)
                for b in response.json().get("bugs", [])]  # fmt: skip

    def create(self, payload: AlertPayload, mark: str, tag: str) -> Ticket:
        cfg = self.config
        bug: dict[str, Any] = {
            "product": cfg.product,
            "component": cfg.component,
            "version": cfg.version,
            "summary": subject(payload, 250),
            "description": text_body(payload, marker=f"{mark} {tag}"),
        }
        if cfg.marker_field == "whiteboard":
            bug["whiteboard"] = self.token(mark)
        else:
            bug["keywords"] = [mark]
        doc = self.http.call("POST", f"{self.rest}/bug", json=bug, headers=self.headers()).json()
        return Ticket(int(doc["id"]), str(doc["id"]), f"{cfg.url.rstrip('/')}/show_bug.cgi?id={doc['id']}")

    def comment(self, ticket: Ticket, text: str, tag: str) -> None:
        self.http.call(
            "POST",
            f"{self.rest}/bug/{ticket.ref}/comment",
            json={"comment": f"{text}\n\n{tag}"},
            headers=self.headers(),
        )

    def reopen(self, ticket: Ticket) -> None:
        self.http.call(
            "PUT", f"{self.rest}/bug/{ticket.ref}", json={"status": self.config.reopen_status}, headers=self.headers()
        )

    def has_comment(self, ticket: Ticket, tag: str) -> bool:
        doc = self.http.call("GET", f"{self.rest}/bug/{ticket.ref}/comment", headers=self.headers()).json()
        comments = doc.get("bugs", {}).get(ticket.ref, {}).get("comments", [])
        return any(tag in (c.get("text") or "") for c in comments)
