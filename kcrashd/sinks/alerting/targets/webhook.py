"""Generic JSON webhook, signed per Standard Webhooks v1 (docs/webhook-schema.md).

`webhook-id` is the per-delivery key (stable across retries and restarts), while
`webhook-timestamp` and `webhook-signature` are computed at each attempt: receivers reject
signatures older than ~5 minutes (standard-webhooks spec, section "Verifying").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from kcrashd.config.alerting import WebhookTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting.http import ok
from kcrashd.sinks.alerting.payload import AlertPayload
from kcrashd.sinks.alerting.targets.base import Delivery, Sender

SCHEMA_VERSION = 1


def webhook_body(payload: AlertPayload, event_id: str) -> dict[str, Any]:
    """The documented body: {type, timestamp, data} (docs/webhook-schema.md)."""
    data = payload.model_dump(mode="json")
    return {
        "type": f"kcrashd.crash.{payload.event}",
        "timestamp": payload.crash_time.isoformat(),
        "schema_version": SCHEMA_VERSION,
        "id": event_id,
        "data": data,
    }


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key, id.timestamp.body)>` with key = base64 of the whsec_ secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class WebhookSender(Sender):
    type_name = "webhook"
    config: WebhookTarget

    def send(self, delivery: Delivery) -> Outcome:
        cfg = self.config
        url = cfg.url or self.secret(cfg.url_ref or "")
        msg_id = "msg_" + delivery.idem_key
        body = json.dumps(webhook_body(delivery.payload, msg_id), separators=(",", ":")).encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            **cfg.headers,
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "Idempotency-Key": msg_id,
        }
        if cfg.secret_ref:
            headers["webhook-signature"] = sign(self.secret(cfg.secret_ref), msg_id, timestamp, body)
        response = self.http.call("POST", url, data=body, headers=headers)
        del response
        return ok(remote_ref=msg_id)
