"""One contract for every destination (kcrashd.sinks.Destination): a name, and `send`, one
attempt returning an Outcome. The journal is checked through a real (private) journald, the
alert targets through the sender the deliverer makes for a configured target."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcrashd.config.alerting import AlertsConfig, targets_adapter
from kcrashd.model.crash import CrashRecord
from kcrashd.sinks import Destination, Outcome
from kcrashd.sinks.alerting.delivery import Deliverer
from kcrashd.sinks.alerting.targets.base import Delivery
from kcrashd.sinks.journal import SystemdJournal, journal_fields
from tests.daemon.test_journal_fields_record import sample_record
from tests.fixtures.journald import Journald


@pytest.mark.journal
def test_the_journal_is_a_destination(journald: Journald) -> None:
    journal: Destination[CrashRecord] = SystemdJournal()
    record = sample_record(crash_id="d" * 32)
    assert journal.name == "journal"
    assert journal.send(record) == Outcome(delivered=True)
    (entry,) = journald.wait_for(1, KCRASHD_CRASH_ID=record.crash_id)
    fields = journal_fields(record)  # the entry is unchanged: the fields of journal_fields
    assert {key: entry.get(key) for key in fields} == fields


def test_an_alert_target_is_a_destination(tmp_path: Path) -> None:
    (target,) = targets_adapter().validate_python([{"type": "webhook", "name": "ops", "url": "http://127.0.0.1:9/"}])
    deliverer = Deliverer(tmp_path / "state.db", AlertsConfig(targets=[target]))
    try:
        sender: Destination[Delivery] = deliverer.sender(target)
        assert sender.name == "ops"
    finally:
        deliverer.close()
