"""Every target type of the configuration has a sender, found by importing only its own module."""

from __future__ import annotations

import subprocess
import sys
import typing

from kcrashd.config.alerting import TargetConfig
from kcrashd.sinks.alerting.targets import MODULES


def configured_types() -> set[str]:
    union = typing.get_args(TargetConfig)[0]
    return {typing.get_args(model.model_fields["type"].annotation)[0] for model in typing.get_args(union)}


def test_one_module_per_target_type() -> None:
    assert set(MODULES) == configured_types()


def test_a_sender_loads_its_own_module_only() -> None:
    code = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from kcrashd.config.alerting import targets_adapter\n"
        "from kcrashd.sinks.alerting.http import Http, make_session\n"
        "from kcrashd.sinks.alerting.targets.base import sender_for\n"
        "for kind, extra in (('webhook', {'url': 'http://127.0.0.1:9/'}),\n"
        "                    ('redmine', {'url': 'http://127.0.0.1:9', 'project': 'p', 'fingerprint_field_id': 1,\n"
        "                                 'api_key_ref': 'env:K'})):\n"
        "    (target,) = targets_adapter().validate_python([{'type': kind, 'name': kind, **extra}])\n"
        "    sender = sender_for(target, Http(target, make_session(), lambda: datetime.now(UTC)), lambda: datetime.now(UTC))\n"
        "    print(type(sender).__name__)\n"
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('kcrashd.sinks.alerting.targets.')))\n"
        "print('smtplib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    lines = out.stdout.splitlines()
    assert lines[:2] == ["WebhookSender", "RedmineSender"], out.stderr
    assert lines[2] == str(["base", "redmine", "ticket", "webhook"]), out.stderr
    assert lines[3] == "False"
