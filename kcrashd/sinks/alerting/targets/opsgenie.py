"""Opsgenie Alert API (also JSM ops, same contract): alias = fingerprint, so the fleet folds.

Shape: docs.opsgenie.com "Alert API" (message <= 130, alias <= 512, description <= 15000,
details string map). 202 means accepted for asynchronous processing.
"""

from __future__ import annotations

from typing import Any

from kcrashd.config.alerting import OpsgenieTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.http import ok
from kcrashd.sinks.alerting.payload import AlertPayload, summary_lines
from kcrashd.sinks.alerting.render import text_body
from kcrashd.sinks.alerting.targets.base import Delivery, Sender


def opsgenie_alert(payload: AlertPayload, cfg: OpsgenieTarget) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "message": escape.one_line(payload.headline, 130),
        "alias": payload.fingerprint[:512],
        "description": text_body(payload)[:15000],
        "source": "kcrashd",
        "priority": cfg.priority,
        "tags": cfg.tags,
        "details": {k: escape.one_line(v, 1000) for k, v in summary_lines(payload)},
    }
    if payload.host:
        alert["entity"] = escape.one_line(payload.host, 500)
    return alert


class OpsgenieSender(Sender):
    type_name = "opsgenie"
    config: OpsgenieTarget

    def send(self, delivery: Delivery) -> Outcome:
        cfg = self.config
        headers = {"Authorization": f"GenieKey {self.secret(cfg.api_key_ref)}"}
        response = self.http.call(
            "POST",
            cfg.base_url.rstrip("/") + cfg.path,
            json=opsgenie_alert(delivery.payload, cfg),
            headers=headers,
        )
        try:
            request_id = response.json().get("requestId")
        except ValueError:
            request_id = None
        return ok(
            remote_ref=delivery.payload.fingerprint,
            remote_url=f"requestId:{request_id}" if request_id else None,
        )
