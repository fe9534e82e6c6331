"""PagerDuty Events API v2: one trigger per fingerprint (dedup_key), never resolved by kcrashd.

Shape: PagerDuty/api-schema reference/events-v2/openapiv3.json. The routing key is in the
body, so bodies are never logged.
"""

from __future__ import annotations

from typing import Any

from kcrashd.config.alerting import PagerDutyTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.http import ok
from kcrashd.sinks.alerting.payload import AlertPayload, EventKind
from kcrashd.sinks.alerting.targets.base import Delivery, Sender

SEVERITY = {"critical": "critical", "error": "error", "warning": "warning", "info": "info"}


def pagerduty_event(payload: AlertPayload, routing_key: str, dedup_key: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "fingerprint": payload.fingerprint,
        "kind": payload.kind,
        "function": payload.function,
        "kernel": payload.kernel,
        "crash_time": payload.crash_time.isoformat(),
        "first_seen": payload.first_seen.isoformat(),
        "count": payload.count,
        "hosts_seen": payload.hosts,
        "journal": payload.journal_command,
    }
    if payload.dump_dir:
        details["dump"] = payload.dump_dir
    if payload.excerpt:
        details["excerpt"] = "\n".join(payload.excerpt)[:8000]
    if payload.digest:
        details["digest"] = payload.digest
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key[:255],
        "client": "kcrashd",
        "payload": {
            "summary": escape.one_line(payload.headline, 1024),
            "source": payload.host or "kcrashd",
            "severity": SEVERITY.get(payload.severity, "error"),
            "timestamp": payload.crash_time.isoformat(),
            "component": "kernel",
            "group": payload.kind,
            "class": "kernel-crash"
            if payload.event not in (EventKind.STORM, EventKind.LOOP)
            else "kernel-crash-digest",
            "custom_details": {k: v for k, v in details.items() if v is not None},
        },
    }


class PagerDutySender(Sender):
    type_name = "pagerduty"
    config: PagerDutyTarget

    def send(self, delivery: Delivery) -> Outcome:
        key = self.secret(self.config.routing_key_ref)
        # Global key for crashes (the fleet collapses into one alert), per-digest key otherwise.
        dedup = delivery.payload.fingerprint
        event = pagerduty_event(delivery.payload, key, dedup)
        response = self.http.call("POST", self.config.url, json=event)
        try:
            returned = str(response.json().get("dedup_key") or dedup)
        except ValueError:
            returned = dedup
        return ok(remote_ref=returned)
