"""GitHub Issues REST: the fingerprint is a label (<= 50 characters); writes are paced.

Shapes: GitHub Docs "REST API endpoints for issues" (create, list with labels=&state=all,
comments), "Rate limits for the REST API" (<= 80 content-creating requests/min: one write per
`min_write_interval`; 403/429 with retry-after or x-ratelimit-remaining: 0 are retried after
the reset, see kcrashd.sinks.alerting.http). List-by-label is strongly consistent, search is not. An
issue is closed when its `state` is "closed"; a reopen is PATCH /repos/O/R/issues/N {"state": "open"}.
"""

from __future__ import annotations

import time
from typing import Any

from kcrashd.config.alerting import GitHubTarget
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.payload import AlertPayload
from kcrashd.sinks.alerting.render import markup_body, subject
from kcrashd.sinks.alerting.targets.ticket import Ticket, TicketSender


class GitHubSender(TicketSender):
    type_name = "github"
    config: GitHubTarget
    _last_write = 0.0

    @property
    def repo_url(self) -> str:
        return f"{self.config.api_url.rstrip('/')}/repos/{self.config.repository}"

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.secret(self.config.token_ref)}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def _write(self, url: str, body: dict[str, Any], method: str = "POST") -> Any:
        wait = self._last_write + self.config.min_write_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)  # at most min_write_interval (1 s): pacing, not backoff
        self._last_write = time.monotonic()
        return self.http.call(method, url, json=body, headers=self.headers()).json()

    def find(self, mark: str) -> list[Ticket]:
        response = self.http.call(
            "GET", f"{self.repo_url}/issues",
            params={"labels": mark, "state": "all", "sort": "created", "direction": "asc", "per_page": 10},
            headers=self.headers(),
        )  # fmt: skip
        return [
            Ticket(int(i["number"]), str(i["number"]), i.get("html_url"), i.get("state") == "closed")
            for i in response.json()
            if "pull_request" not in i
        ]

    def create(self, payload: AlertPayload, mark: str, tag: str) -> Ticket:
        body = markup_body(
            payload, inline=escape.markdown, block=escape.markdown_code, bullet="- ", marker=f"{mark} {tag}"
        )
        doc = self._write(
            f"{self.repo_url}/issues",
            {"title": subject(payload, 250), "body": body[:65000], "labels": [*self.config.labels, mark]},
        )
        return Ticket(int(doc["number"]), str(doc["number"]), doc.get("html_url"))

    def comment(self, ticket: Ticket, text: str, tag: str) -> None:
        self._write(
            f"{self.repo_url}/issues/{ticket.ref}/comments", {"body": f"{escape.markdown(text)}\n\n{tag}"}
        )

    def reopen(self, ticket: Ticket) -> None:
        self._write(f"{self.repo_url}/issues/{ticket.ref}", {"state": "open"}, "PATCH")
