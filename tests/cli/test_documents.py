"""Examples in the documents are what kcrashd really produces."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kcrashd.core import analyze
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks.alerting.payload import build_payload
from kcrashd.sinks.alerting.targets.webhook import webhook_body

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "127.0.0.1-2020-04-28-01:31:54"


def example_body() -> dict[str, Any]:
    """The webhook body kcrashd sends for the bundled example crash, found under /var/crash."""
    report = analyze((EXAMPLE / "vmcore-dmesg.txt").read_bytes(), source=f"/var/crash/{EXAMPLE.name}/vmcore-dmesg.txt")
    when = datetime(2020, 4, 28, 1, 31, 54, tzinfo=UTC)
    record = CrashRecord(
        crash_id="5645252285eed2f65ffbc7bf366b3730", report=report, host="vm", dump_dir=f"/var/crash/{EXAMPLE.name}",
        layout="rhel-kdump", crash_time=when, detected_at=when, first_seen=when,
    )  # fmt: skip
    return webhook_body(build_payload(record), "msg_0d45ff60704ed0583a253c255a406bcd")


def test_webhook_schema_example_is_a_real_body() -> None:
    text = (REPO / "docs" / "webhook-schema.md").read_text()
    shown = json.loads(text.split("## Body\n\n```json\n", 1)[1].split("```", 1)[0])
    assert shown == example_body()
    assert re.fullmatch(r"kc7-[0-9a-f]{16}", shown["data"]["fingerprint"])
