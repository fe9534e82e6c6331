"""A vmcore that lands (or fails) after its crash was journaled gets an entry of its own with
the crash's id, in a real (private) journald, field by field as docs/journal-fields.md says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import MESSAGE_ID, VMCORE_UPDATE_MESSAGE_ID, SystemdJournal
from kcrashd.sources.units import scan_all
from kcrashd.store.database import Store
from tests.daemon.dumps import kdump_file, log_bytes, write_file, write_rhel
from tests.fixtures.journald import Journald

pytestmark = pytest.mark.journal
DOC = Path(__file__).resolve().parents[2] / "docs" / "journal-fields.md"


def documented_update_fields() -> set[str]:
    """The field names of the "Vmcore updates" table of docs/journal-fields.md."""
    section = DOC.read_text().split("## Vmcore updates", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split(" | ")[0])}


def handle_all(config: Config, journal: SystemdJournal) -> list[str]:
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    pipeline = Pipeline(config, store, journal, lock)
    try:
        return [pipeline.handle(unit).action for unit in scan_all(config.sources)]
    finally:
        store.close()
        lock.close()


def test_vmcore_after_the_log_is_journaled_with_the_crash_id(journald: Journald, tmp_path: Path) -> None:
    dumps = tmp_path / "crash"
    dumps.mkdir()
    config = Config(
        sources=SourcesConfig(dump_paths=[dumps], pstore=False, incomplete_timeout=3600),
        state=StateConfig(state_dir=tmp_path / "state"),
    )
    folder = write_rhel(dumps, "10.1.2.3-2024-05-01-10:00:00", log_bytes())  # a dump server: log first
    journal = SystemdJournal()
    assert handle_all(config, journal) == ["journaled"]
    crash = journald.wait_for(1, MESSAGE_ID=MESSAGE_ID, KCRASHD_DUMP_DIR=str(folder))[0]
    assert crash["KCRASHD_VMCORE_STATE"] == "absent"
    crash_id = crash["KCRASHD_CRASH_ID"]

    write_file(folder / "vmcore", kdump_file(nodename="web9", status=0x8))  # arrives, cut short
    assert handle_all(config, journal) == ["updated"]
    update = journald.wait_for(1, MESSAGE_ID=VMCORE_UPDATE_MESSAGE_ID, KCRASHD_CRASH_ID=crash_id)
    assert len(update) == 1, update
    entry = update[0]
    assert entry["KCRASHD_VMCORE_STATE"] == "incomplete-flag" and entry["PRIORITY"] == "4"
    assert entry["KCRASHD_VMCORE_PATH"] == str(folder / "vmcore") and entry["KCRASHD_VMCORE_HOST"] == "web9"
    assert entry["KCRASHD_FINGERPRINT"] == crash["KCRASHD_FINGERPRINT"]
    assert entry["MESSAGE"] == f"Kernel crash on {crash['KCRASHD_HOST']}: vmcore now incomplete-flag in {folder} (crash {crash_id})"
    assert "vmcore marked incomplete by makedumpfile" in entry["KCRASHD_PROBLEMS"]
    sent = {key for key in entry if key.startswith("KCRASHD_") or key in ("MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER")}
    documented = documented_update_fields()
    assert sent <= documented, f"sent but not documented: {sorted(sent - documented)}"
    assert documented == sent, sorted(documented ^ sent)
    assert "Vmcore:       incomplete-flag" in journald.explain(MESSAGE_ID=VMCORE_UPDATE_MESSAGE_ID, KCRASHD_CRASH_ID=crash_id)

    assert handle_all(config, journal) == ["known"]  # nothing changed: no second update
    assert len(journald.entries(MESSAGE_ID=VMCORE_UPDATE_MESSAGE_ID, KCRASHD_CRASH_ID=crash_id)) == 1
    assert len(journald.entries(MESSAGE_ID=MESSAGE_ID, KCRASHD_CRASH_ID=crash_id)) == 1  # one crash entry still
