"""Microsoft Teams through a Workflows webhook: a message wrapping one Adaptive Card 1.2.

Shape: Microsoft Learn "Create and send messages"; prometheus/alertmanager
notify/msteamsv2/msteamsv2.go (same wrapper). The URL carries `sig=` and is the credential.
"""

from __future__ import annotations

from typing import Any

from kcrashd.config.alerting import TeamsTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.http import ok
from kcrashd.sinks.alerting.payload import AlertPayload, summary_lines
from kcrashd.sinks.alerting.targets.base import Delivery, Sender


def teams_message(payload: AlertPayload) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": escape.adaptive_text(escape.one_line(payload.headline, 300)),
         "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "FactSet", "facts": [
            {"title": escape.adaptive_text(k), "value": escape.adaptive_text(escape.one_line(v, 500))}
            for k, v in summary_lines(payload)
        ]},
    ]  # fmt: skip
    if payload.excerpt:
        body.append(
            {"type": "TextBlock", "text": escape.adaptive_text(escape.plain("\n".join(payload.excerpt), 4000)),
             "fontType": "Monospace", "wrap": True, "size": "Small"}
        )  # fmt: skip
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.2",
                    "body": body,
                    "msteams": {"width": "full"},
                },
            }
        ],
    }


class TeamsSender(Sender):
    type_name = "teams"
    config: TeamsTarget

    def send(self, delivery: Delivery) -> Outcome:
        self.http.call("POST", self.secret(self.config.url_ref), json=teams_message(delivery.payload))
        return ok()
