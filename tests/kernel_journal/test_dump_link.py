"""A kdump dump that arrives after the journal report it holds (the report of a previous boot was
read first): the dump's own entry carries KCRASHD_LINKED_CRASH_ID naming the report, as a report's
entry names a dump known first (docs/reboots.md). The real pipeline handles a real dump folder;
the entries go to a real private journald."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcrashd.pipeline import Handled
from kcrashd.sinks.journal import KERNEL_REPORT_MESSAGE_ID, SystemdJournal
from kcrashd.sources.units import scan_all
from kcrashd.store.boot_ledger import links_of
from tests.daemon.dumps import write_rhel
from tests.fixtures.journald import Journald
from tests.kernel_journal.conftest import BOOT_A, Rig
from tests.kernel_journal.make_exports import BOOTS, LAB

pytestmark = pytest.mark.journal
OOPS_LOG = LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt"


def dump_after_reports(rig_factory: Callable[..., Rig], tmp_path: Path, name: str) -> tuple[Rig, Handled]:
    """Boot A's reports read from the journal first; then a dump folder of the lab's oops, handled
    by the pipeline."""
    dumps = tmp_path / "crash"
    dumps.mkdir()
    rig = rig_factory(journal=SystemdJournal(), history_boots=2, dumps=dumps)
    rig.clock.now = BOOTS["boot-a"][1] + 3600
    rig.source().service(rig.clock.now)
    folder = write_rhel(dumps, name, OOPS_LOG.read_bytes())
    [unit] = [u for u in scan_all(rig.config.sources) if u.path == folder]
    handled = rig.pipeline.handle(unit)
    assert handled.action == "journaled" and handled.crash_id is not None
    return rig, handled


def test_dump_after_its_report_is_linked_in_its_own_entry(
    journald: Journald, rig_factory: Callable[..., Rig], tmp_path: Path
) -> None:
    # the dump of the same bug, written during boot A (2026-12-01 10:00 UTC)
    rig, handled = dump_after_reports(rig_factory, tmp_path, "127.0.0.1-2026-12-01-10:02:00")
    [report_id] = [
        row[0] for row in rig.store.conn.execute("SELECT crash_id FROM crashes WHERE kind = 'null-deref' AND layout = 'kernel-journal'")
    ]
    [oops] = journald.wait_for(1, KCRASHD_CRASH_ID=report_id)
    assert (oops["MESSAGE_ID"], oops["KCRASHD_BOOT_ID"]) == (KERNEL_REPORT_MESSAGE_ID, BOOT_A)
    assert handled.crash_id is not None
    [entry] = journald.wait_for(1, KCRASHD_CRASH_ID=handled.crash_id)
    assert entry["KCRASHD_LAYOUT"] == "rhel-kdump"
    assert entry["KCRASHD_FINGERPRINT"] == oops["KCRASHD_FINGERPRINT"]
    assert entry["KCRASHD_LINKED_CRASH_ID"] == report_id
    assert links_of(rig.store.conn, handled.crash_id) == [report_id]


def test_dump_of_another_boot_is_not_linked(
    journald: Journald, rig_factory: Callable[..., Rig], tmp_path: Path
) -> None:
    """The same bug dumped long after boot A ended (boot B's time and later): no link."""
    rig, handled = dump_after_reports(rig_factory, tmp_path, "127.0.0.1-2026-12-01-11:30:00")
    assert handled.crash_id is not None
    [entry] = journald.wait_for(1, KCRASHD_CRASH_ID=handled.crash_id)
    assert "KCRASHD_LINKED_CRASH_ID" not in entry
    assert links_of(rig.store.conn, handled.crash_id) == []


def test_version_1_boots_table_gets_the_span_columns(tmp_path: Path) -> None:
    """A state database an earlier kcrashd wrote (kernel_journal version 1): the columns are added."""
    from kcrashd.store.boot_ledger import BootLedger
    from kcrashd.store.database import Store

    store = Store(tmp_path)
    try:
        store.conn.execute(
            "CREATE TABLE kernel_journal_boots(boot_id TEXT PRIMARY KEY, cursor TEXT, reports INTEGER NOT NULL "
            "DEFAULT 0, verdict TEXT, crash_id TEXT, updated_at REAL NOT NULL)"
        )
        store.conn.execute("INSERT INTO kernel_journal_boots(boot_id, updated_at) VALUES ('b1', 0)")
        ledger = BootLedger(store.conn)
        ledger.span("b1", 10.0, None)
        row = store.conn.execute("SELECT started, ended FROM kernel_journal_boots WHERE boot_id = 'b1'").fetchone()
        assert tuple(row) == (10.0, None)
        version = store.conn.execute("SELECT version FROM schema_versions WHERE component = 'kernel_journal'").fetchone()
        assert version[0] == 2
    finally:
        store.close()
