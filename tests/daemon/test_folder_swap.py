"""A dump folder swapped for a symlink while it is read (renameat2 RENAME_EXCHANGE, hundreds of
times): nothing outside the dump path is ever opened, the secret it holds reaches no journal
entry, state row or log line, and each folder is journaled exactly once."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kcrashd.config import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import MESSAGE_ID, SystemdJournal
from kcrashd.store import Store
from tests.daemon.swap import FOLDER, LINK, SECRET, can_exchange, race
from tests.fixtures.journald import Journald

pytestmark = pytest.mark.journal


def test_swapped_folder_never_reads_outside(journald: Journald, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    reason = can_exchange()
    if reason is not None:
        pytest.skip(reason)
    caplog.set_level(logging.INFO)
    base = tmp_path / "race"
    base.mkdir()
    sources = SourcesConfig(dump_paths=[base], pstore=False)
    config = Config(sources=sources, state=StateConfig(state_dir=tmp_path / "state"))
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    pipeline = Pipeline(config, store, SystemdJournal(), lock)
    try:
        stats = race(pipeline, sources, base, iterations=1000, seconds=30.0)
        rows = store.conn.execute("SELECT dump_dir, host, title, record_json FROM crashes").fetchall()
    finally:
        store.close()
        lock.close()
    print(stats.line())
    assert stats.iterations >= 100, stats.line()
    assert stats.met_swap > 0, stats.line()  # the race really happened
    assert stats.outside_reads == 0, stats.line()
    assert not any(SECRET in " ".join(map(str, row)) for row in rows)
    assert SECRET not in caplog.text
    entries = journald.wait_for(stats.iterations, timeout=30.0, MESSAGE_ID=MESSAGE_ID)
    ours = [e for e in entries if e["KCRASHD_DUMP_DIR"].startswith(str(base) + "/")]
    assert not [e for e in ours if SECRET in json.dumps(e)]
    per_root: dict[str, int] = {}
    for entry in ours:
        root, _, name = entry["KCRASHD_DUMP_DIR"].rpartition("/")
        assert name in (FOLDER, LINK)
        assert entry["KCRASHD_HOST"] == "web1.example.com"
        per_root[root] = per_root.get(root, 0) + 1
    assert per_root == {str(root): 1 for root in stats.roots}  # exactly one entry per folder
