"""The entries of kernel reports and unexplained reboots as a real (private) journald stores them:
field names against docs/journal-fields.md in both directions, the catalog's explanation, and the
lookup that keeps a kill from sending one twice."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kcrashd.sinks.journal import KERNEL_REPORT_MESSAGE_ID, UNEXPLAINED_REBOOT_MESSAGE_ID, SystemdJournal
from tests.fixtures.journald import Journald
from tests.kernel_journal.conftest import BOOT_B, C_START, Rig

pytestmark = pytest.mark.journal
DOC = Path(__file__).resolve().parents[2] / "docs" / "journal-fields.md"


def documented() -> tuple[set[str], set[str]]:
    """(fields of the crash entry tables, fields of the kernel journal table) of the document."""
    crash, journal = set(), set()
    for line in DOC.read_text().splitlines():
        if found := re.match(r"^\| `([A-Z_]+)` \| (yes|no) \|", line):
            crash.add(found.group(1))
        elif found := re.match(r"^\| `([A-Z_]+)` \| (both|reports|reboots) \|", line):
            journal.add(found.group(1))
    return crash, journal


def mine(journald: Journald, rig: Rig, count: int, **match: str) -> list[dict[str, Any]]:
    """This test's entries (the session's journald keeps earlier tests' too), one per crash id."""
    ids = {row[0] for row in rig.store.conn.execute("SELECT crash_id FROM crashes")}
    found: dict[str, dict[str, Any]] = {}
    for entry in journald.wait_for(count, **match):
        if entry["KCRASHD_CRASH_ID"] in ids:
            found[entry["KCRASHD_CRASH_ID"]] = entry
    return list(found.values())


def journaled(rig_factory: Callable[..., Rig]) -> tuple[Rig, SystemdJournal]:
    sink = SystemdJournal()
    rig = rig_factory(journal=sink, history_boots=2)
    src = rig.source()
    src.service(rig.clock.now)
    rig.clock.now = C_START + 15 * 60
    src.service(rig.clock.now)
    return rig, sink


def test_fields_match_the_document(journald: Journald, rig_factory: Callable[..., Rig]) -> None:
    rig, _ = journaled(rig_factory)
    reports = mine(journald, rig, 2, MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID)
    reboots = mine(journald, rig, 1, MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID)
    assert (len(reports), len(reboots)) == (2, 1)
    crash, journal = documented()
    seen: set[str] = set()
    for entry in [*reports, *reboots]:
        sent = {k for k in entry if k.startswith("KCRASHD_") or k in ("MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER")}
        assert sent <= crash | journal, f"sent but not documented: {sorted(sent - crash - journal)}"
        seen |= sent
    assert journal - {"KCRASHD_LINKED_CRASH_ID"} <= seen, f"documented but never sent: {sorted(journal - seen)}"
    assert reboots[0]["KCRASHD_BOOT_ID"] == BOOT_B


def test_catalog_explains_both_entries(journald: Journald, rig_factory: Callable[..., Rig]) -> None:
    rig, _ = journaled(rig_factory)
    [reboot] = mine(journald, rig, 1, MESSAGE_ID=UNEXPLAINED_REBOOT_MESSAGE_ID, KCRASHD_BOOT_ID=BOOT_B)
    text = journald.explain(KCRASHD_CRASH_ID=reboot["KCRASHD_CRASH_ID"])
    assert f"Subject: Unexplained reboot of {rig.pipeline.local_host} (boot {BOOT_B})" in text
    assert "kdump not armed" in text
    [report] = mine(journald, rig, 1, MESSAGE_ID=KERNEL_REPORT_MESSAGE_ID, KCRASHD_KIND="warning")
    text = journald.explain(KCRASHD_CRASH_ID=report["KCRASHD_CRASH_ID"])
    assert "Subject: Kernel report on" in text and "WARNING in lab_trigger_warning" in text
    assert "Survived:     1" in text


def test_sent_finds_entries_read_from_the_journal(journald: Journald, rig_factory: Callable[..., Rig]) -> None:
    """After a kill, pending rows are looked up by crash id: the lookup must see these entries too."""
    rig, sink = journaled(rig_factory)
    ids = [e["KCRASHD_CRASH_ID"] for e in mine(journald, rig, 3, KCRASHD_LAYOUT="kernel-journal")]
    assert len(ids) == 3
    assert sink.sync()
    assert sink.sent([*ids, "0" * 32]) == set(ids)
