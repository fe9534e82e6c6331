"""Entries in a real (private) journald: read back with `journalctl -o json` and checked field by
field, compared with docs/journal-fields.md in both directions, explained by the catalog (-x)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kcrashd.config.settings import Config, GroupingConfig, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import MESSAGE_ID, SystemdJournal, journal_fields
from kcrashd.sources.units import scan_all
from kcrashd.store.database import Store
from tests.daemon.dumps import kdump_file, log_bytes, write_file, write_rhel
from tests.fixtures.journald import Journald

pytestmark = pytest.mark.journal
DOC = Path(__file__).resolve().parents[2] / "docs" / "journal-fields.md"
LAB = Path(__file__).resolve().parents[1] / "corpus" / "lab"


def documented() -> dict[str, bool]:
    """Field name -> always present, from the tables of docs/journal-fields.md."""
    fields = {}
    for line in DOC.read_text().splitlines():
        found = re.match(r"^\| `([A-Z_]+)` \| (yes|no) \|", line)
        if found:
            fields[found.group(1)] = found.group(2) == "yes"
    return fields


def process(tmp_path: Path) -> tuple[Config, list[str]]:
    """Two crashes: [0] a raw-target folder with a corrupt vmcore and no log, [1] a RHEL dump; then
    two real lab crashes of two fingerprints whose stacks score about 0.5 (`similar_threshold` 0.3,
    so the second is journaled as possibly the first's bug, with the KCRASHD_SIMILAR_* fields)."""
    dumps = tmp_path / "crash"
    dumps.mkdir()
    config = Config(sources=SourcesConfig(dump_paths=[dumps], pstore=False), state=StateConfig(state_dir=tmp_path / "state"),
                    grouping=GroupingConfig(similar_threshold=0.3))  # fmt: skip
    write_rhel(dumps, "192.168.7.7-2024-05-01-10:00:00", log_bytes(), vmcore=kdump_file(nodename="web7", status=0x2 | 0x8))
    raw = dumps / "2024-01-05-10:32"
    raw.mkdir()
    write_file(raw / "vmcore", b"KDUMP   " + b"\x00" * 100)  # corrupt header, no log
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    pipeline = Pipeline(config, store, SystemdJournal(), lock)
    ids = {unit.path.name: pipeline.handle(unit).crash_id or "" for unit in scan_all(config.sources)}
    for name, case in (("10.0.0.1-2024-05-02-10:00:00", "deb12-6.1_init-exit_run1"), ("10.0.0.2-2024-05-03-10:00:00", "deb13-6.12_init-signal_run1")):
        folder = write_rhel(dumps, name, (LAB / case / "vmcore-dmesg.txt").read_bytes())
        ids[name] = pipeline.handle(next(u for u in scan_all(config.sources) if u.path == folder)).crash_id or ""
    store.close()
    lock.close()
    return config, [ids["2024-01-05-10:32"], ids["192.168.7.7-2024-05-01-10:00:00"], ids["10.0.0.1-2024-05-02-10:00:00"],
                    ids["10.0.0.2-2024-05-03-10:00:00"]]  # fmt: skip


def test_entries_field_by_field(journald: Journald, tmp_path: Path) -> None:
    _, ids = process(tmp_path)
    full = journald.wait_for(1, KCRASHD_CRASH_ID=ids[1])
    assert len(full) == 1
    entry = full[0]
    assert entry["MESSAGE_ID"] == MESSAGE_ID
    assert entry["SYSLOG_IDENTIFIER"] == "kcrashd"
    assert entry["PRIORITY"] == "2"
    assert entry["KCRASHD_HOST"] == "web7"  # the vmcore header beats the folder's IP
    assert entry["KCRASHD_KIND"] == "sysrq"
    assert entry["KCRASHD_TITLE"].startswith("BUG: unable to handle kernel NULL pointer dereference")
    assert entry["KCRASHD_FUNCTION"] == "sysrq_handle_crash"
    assert entry["KCRASHD_KERNEL"] == "4.18.0-147.3.1.el8_1.x86_64"
    assert entry["KCRASHD_ARCH"] == "x86_64"
    assert entry["KCRASHD_TAINT"] == "OE"
    assert entry["KCRASHD_CRASH_TIME"] == "2025-06-23T07:23:06+00:00"
    assert entry["KCRASHD_LAYOUT"] == "rhel-kdump" and entry["KCRASHD_SOURCE"] == "kdump"
    assert entry["KCRASHD_LOG_PATH"].endswith("/192.168.7.7-2024-05-01-10:00:00/vmcore-dmesg.txt")
    assert entry["KCRASHD_VMCORE_STATE"] == "incomplete-flag"
    assert entry["KCRASHD_VMCORE_COMPLETE"] == "0"
    assert entry["KCRASHD_VMCORE_FLAGS"] == "lzo,incomplete-flag"
    assert entry["KCRASHD_VMCORE_HOST"] == "web7"
    assert entry["KCRASHD_INCOMPLETE"] == "1" and entry["KCRASHD_TEST"] == "0"
    assert entry["KCRASHD_NEW"] == "1" and entry["KCRASHD_COUNT"] == "1" and entry["KCRASHD_HOSTS"] == "1"
    assert entry["KCRASHD_TOO_OLD_TO_PAGE"] == "1"
    assert "makedumpfile" in entry["KCRASHD_PROBLEMS"]
    report = json.loads(entry["KCRASHD_REPORT_JSON"])
    assert report["fingerprint"] == entry["KCRASHD_FINGERPRINT"]
    assert len(entry["KCRASHD_REPORT_JSON"]) < 4096
    unknown = journald.wait_for(1, KCRASHD_CRASH_ID=ids[0])[0]
    assert unknown["KCRASHD_KIND"] == "none" and unknown["PRIORITY"] == "3"
    assert unknown["KCRASHD_ERROR"] == "no kernel log available"
    assert unknown["KCRASHD_LOG_ORIGIN"] == "none" and unknown["KCRASHD_FINGERPRINT"] == "none"


def test_fields_match_the_document(journald: Journald, tmp_path: Path) -> None:
    _, ids = process(tmp_path)
    docs = documented()
    seen: set[str] = set()
    for crash_id in ids:
        entry = journald.wait_for(1, KCRASHD_CRASH_ID=crash_id)[0]
        sent = {key for key in entry if key.startswith("KCRASHD_") or key in ("MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER")}
        assert sent <= set(docs), f"sent but not documented: {sorted(sent - set(docs))}"
        always = {name for name, required in docs.items() if required}
        assert always <= sent, f"documented as always present but missing: {sorted(always - sent)}"
        seen |= sent
    assert set(docs) <= seen, f"documented but never sent: {sorted(set(docs) - seen)}"


def test_journal_fields_are_valid_names() -> None:
    """journald silently drops lower-case, leading-underscore or over-long names (systemd-rpm.md §1.2)."""
    for name in documented():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{0,63}", name), name


def test_catalog_explains_the_entry(journald: Journald, tmp_path: Path) -> None:
    _, ids = process(tmp_path)
    journald.wait_for(1, KCRASHD_CRASH_ID=ids[1])
    text = journald.explain(KCRASHD_CRASH_ID=ids[1])
    assert "Subject: Kernel crash on web7: BUG: unable to handle kernel NULL pointer dereference" in text
    assert f"kcrashd info {ids[1]}" in text
    assert "Vmcore:       incomplete-flag" in text
    assert "Defined-By: kcrashd" in text


def test_sync_and_lookup(journald: Journald, tmp_path: Path) -> None:
    _, ids = process(tmp_path)
    journal = SystemdJournal()
    assert journal.sync()
    assert journal.sent([*ids, "0" * 32]) == set(ids)


def test_fields_without_journald_seam() -> None:
    """The sender is a seam: unit tests can run without journald."""
    from tests.daemon.test_journal_fields_record import sample_record

    got: list[tuple[str, dict[str, str]]] = []
    SystemdJournal(sender=lambda message, **fields: got.append((message, fields))).send(sample_record())
    assert got and got[0][1]["MESSAGE_ID"] == MESSAGE_ID
    assert set(got[0][1]) | {"MESSAGE"} == set(journal_fields(sample_record()))
