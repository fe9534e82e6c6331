"""Slack incoming webhook: Block Kit plus a top-level text fallback.

Shapes: Slack Block Kit reference (header <= 150 chars plain_text, section text <= 3000,
<= 10 fields of <= 2000, <= 50 blocks); "Improving error conditions for Incoming Webhooks"
(400 invalid_blocks -> retry once as text only; 403/404/410 -> configuration errors). The URL
is the credential. No server-side dedup: the policy's cooldown is the only suppression.
"""

from __future__ import annotations

from typing import Any

from kcrashd.config.alerting import SlackTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.http import SendFailure, ok
from kcrashd.sinks.alerting.payload import AlertPayload, summary_lines
from kcrashd.sinks.alerting.render import subject
from kcrashd.sinks.alerting.targets.base import Delivery, Sender


def slack_message(payload: AlertPayload, *, blocks: bool = True) -> dict[str, Any]:
    text = escape.slack_mrkdwn(subject(payload, 300))
    message: dict[str, Any] = {"text": text}
    if not blocks:
        return message
    fields = [
        {
            "type": "mrkdwn",
            "text": f"*{escape.slack_mrkdwn(k)}*\n{escape.slack_mrkdwn(escape.one_line(v, 1900))}",
        }
        for k, v in summary_lines(payload)
    ]
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": escape.slack_plain(payload.headline, 150), "emoji": False},
        }
    ]
    for i in range(0, len(fields), 10):
        out.append({"type": "section", "fields": fields[i : i + 10]})
    if payload.excerpt:
        trace = escape.slack_code(escape.plain("\n".join(payload.excerpt), 2900))
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{trace}```"}})
    out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "sent by kcrashd"}]})
    message["blocks"] = out[:50]
    return message


class SlackSender(Sender):
    type_name = "slack"
    config: SlackTarget

    def send(self, delivery: Delivery) -> Outcome:
        url = self.secret(self.config.url_ref)
        try:
            self.http.call("POST", url, json=slack_message(delivery.payload))
        except SendFailure as failure:
            if failure.outcome.status == 400 and "invalid_blocks" in (failure.outcome.error or ""):
                self.http.call("POST", url, json=slack_message(delivery.payload, blocks=False))
            else:
                raise
        return ok()
