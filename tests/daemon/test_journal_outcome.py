"""The pipeline acts on the `Outcome` the journal returns (kcrashd.sinks.Destination): an entry the
journal says it did not take leaves the crash `pending`, deferred, and sent again later, the same
as when `send` raises. The journal here is a double that refuses while told to (a real journald
does not refuse an entry it can read off its socket)."""

from __future__ import annotations

from pathlib import Path

from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.model.crash import CrashRecord
from kcrashd.pipeline import Action, Pipeline, StateLock
from kcrashd.sinks import Outcome
from kcrashd.sources.units import scan_all
from kcrashd.store.database import CrashStatus, Store
from tests.daemon.dumps import log_bytes, write_rhel
from tests.fixtures.journal_double import RecordingJournal


class RefusingJournal(RecordingJournal):
    """Answers `Outcome(delivered=False)` (and writes nothing) while `refuse` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = True
        self.refused = 0

    def send(self, record: CrashRecord, /) -> Outcome:
        if self.refuse:
            self.refused += 1
            return Outcome(delivered=False, retry=True, error="journal full")
        return super().send(record)


def test_a_refused_entry_leaves_the_crash_pending_and_is_sent_again(tmp_path: Path) -> None:
    dumps, state = tmp_path / "crash", tmp_path / "state"
    dumps.mkdir()
    write_rhel(dumps, "127.0.0.1-2024-05-01-10:00:00", log_bytes())
    config = Config(sources=SourcesConfig(dump_paths=[dumps], pstore=False), state=StateConfig(state_dir=state))
    journal, store, lock = RefusingJournal(), Store(state), StateLock(state)
    try:
        pipeline = Pipeline(config, store, journal, lock)
        (unit,) = scan_all(config.sources)
        handled = pipeline.handle(unit)
        assert handled.action is Action.DEFERRED and "journal full" in handled.detail
        assert handled.retry_at is not None
        (row,) = store.pending()
        assert row.status is CrashStatus.PENDING and journal.entries == []
        assert pipeline.recover() == 1  # still refused at a restart: it stays pending
        assert len(store.pending()) == 1 and journal.refused == 2

        journal.refuse = False
        assert pipeline.handle(unit).action is Action.KNOWN  # the pending crash's entry goes now
        assert store.pending() == []
        assert [entry["KCRASHD_CRASH_ID"] for entry in journal.entries] == [row.crash_id]
    finally:
        store.close()
        lock.close()
