"""Prometheus Alertmanager API v2: POST /api/v2/alerts, re-posted while active.

Labels identify an alert (alertname, fingerprint, host, kind, severity): re-posting the same
label set is the natural dedup, and group_by [alertname, fingerprint] turns many hosts into
one notification (docs alerting.md 2.3, verified with 0.25). Alerts live in AM's memory only,
so kcrashd re-posts every `repost_minutes` until `endsAt`; every replica gets each post.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kcrashd.config.alerting import AlertmanagerTarget
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.http import SendFailure, ok
from kcrashd.sinks.alerting.payload import AlertPayload, EventKind
from kcrashd.sinks.alerting.targets.base import Delivery, Sender

ALERTNAME = "KernelCrash"


def label_value(value: str) -> str:
    return escape.one_line(value, 200)


def am_alert(payload: AlertPayload, cfg: AlertmanagerTarget, starts: float) -> dict[str, Any]:
    from datetime import UTC, datetime

    start = datetime.fromtimestamp(starts, UTC)
    end = start + timedelta(hours=cfg.active_hours)
    alertname = ALERTNAME if payload.event not in (EventKind.STORM, EventKind.LOOP) else "KernelCrashDigest"
    labels = {
        "alertname": alertname,
        "fingerprint": payload.fingerprint,
        "kind": payload.kind,
        "severity": payload.severity,
        **cfg.extra_labels,
    }
    if payload.host:
        labels["host"] = label_value(payload.host)
    annotations = {
        "summary": escape.one_line(payload.headline, 1000),
        "description": "\n".join(f"{k}: {v}" for k, v in _rows(payload)),
        "journal": payload.journal_command,
    }
    if payload.excerpt:
        annotations["excerpt"] = escape.plain("\n".join(payload.excerpt), 8000)
    if payload.function:
        annotations["function"] = payload.function
    return {
        "labels": {k: label_value(v) for k, v in labels.items()},
        "annotations": annotations,
        "startsAt": start.isoformat().replace("+00:00", "Z"),
        "endsAt": end.isoformat().replace("+00:00", "Z"),
        "generatorURL": f"http://kcrashd.invalid/fingerprint/{payload.fingerprint}",
    }


def _rows(payload: AlertPayload) -> list[tuple[str, str]]:
    from kcrashd.sinks.alerting.payload import summary_lines

    return [(k, escape.one_line(v)) for k, v in summary_lines(payload)]


class AlertmanagerSender(Sender):
    type_name = "alertmanager"
    config: AlertmanagerTarget

    def send(self, delivery: Delivery) -> Outcome:
        cfg = self.config
        alert = am_alert(delivery.payload, cfg, delivery.created_at)
        headers = {"Authorization": f"Bearer {self.secret(cfg.bearer_ref)}"} if cfg.bearer_ref else {}
        failures: list[SendFailure] = []
        for base in cfg.urls:
            try:
                self.http.call("POST", base.rstrip("/") + "/api/v2/alerts", json=[alert], headers=headers)
            except SendFailure as failure:
                failures.append(failure)
        if len(failures) == len(cfg.urls):
            raise failures[0]
        now = self.clock().timestamp()
        ends = delivery.created_at + cfg.active_hours * 3600
        repeat = now + cfg.repost_minutes * 60
        return ok(remote_ref=delivery.payload.fingerprint, repeat_at=repeat if repeat < ends else None)
