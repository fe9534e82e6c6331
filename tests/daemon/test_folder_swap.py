"""A dump folder swapped for a symlink while it is read (renameat2 RENAME_EXCHANGE, hundreds of
times): nothing outside the dump path is ever opened, the secret it holds reaches no journal
entry, state row or log line, and each folder is journaled exactly once."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sinks.journal import MESSAGE_ID, SystemdJournal
from kcrashd.sources.units import DumpState, classify_name
from kcrashd.store.database import Store
from tests.daemon.dumps import flattened, kdump_file, log_bytes
from tests.daemon.swap import FOLDER, LINK, SECRET, OutsideReads, can_exchange, exchange, make_outside, race
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


class SwapBeforeTriage(Pipeline):
    """Test double: the folder's name is exchanged with the symlink after the folder was looked
    at and before its files are read (log, vmcore header, makedumpfile, a flattened stream)."""

    def __init__(self, *args: Any, pair: tuple[Path, Path], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pair = pair

    def _triage(self, state: DumpState, *args: Any, **kwargs: Any) -> Any:
        exchange(*self.pair)
        return super()._triage(state, *args, **kwargs)


def secret_outside(base: Path) -> Path:
    """Every name a dump folder's reader may open, each holding the secret."""
    outside = make_outside(base)
    (outside / "vmcore.flat").write_bytes(flattened(kdump_file(nodename=SECRET)))
    return outside


@pytest.mark.journal
@pytest.mark.parametrize(
    ("name", "files", "host"),
    [
        (FOLDER, {"vmcore-dmesg.txt": log_bytes(), "vmcore": kdump_file(nodename="web1")}, "web1"),
        ("2024-01-05-10:32", {"vmcore": kdump_file(nodename="raw1")}, "raw1"),  # makedumpfile --dump-dmesg
        ("2024-01-05-10:33", {"vmcore.flat": flattened(kdump_file(nodename="flat1"))}, "flat1"),  # rearranged first
    ],
    ids=["log-and-vmcore", "vmcore-only", "flattened-only"],
)
def test_folder_swapped_after_opening_is_read_through_its_descriptor(
    journald: Journald, tmp_path: Path, name: str, files: dict[str, bytes], host: str
) -> None:
    reason = can_exchange()
    if reason is not None:
        pytest.skip(reason)
    dumps = tmp_path / "crash"
    dumps.mkdir()
    folder = dumps / name
    folder.mkdir()
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)
    outside = secret_outside(tmp_path)
    (dumps / LINK).symlink_to(outside)
    reads = OutsideReads(outside)
    config = Config(sources=SourcesConfig(dump_paths=[dumps], pstore=False), state=StateConfig(state_dir=tmp_path / "state"))
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    pipeline = SwapBeforeTriage(config, store, SystemdJournal(), lock, pair=(folder, dumps / LINK))
    try:
        unit = classify_name(name, dumps)
        assert unit is not None
        outcome = pipeline.handle(unit)
    finally:
        store.close()
        lock.close()
    assert os.path.islink(folder)  # the name was swapped while the folder was read
    assert reads.count() == 0
    reads.close()
    assert outcome.action == "journaled"
    entry = journald.wait_for(1, KCRASHD_CRASH_ID=outcome.crash_id or "")[0]
    assert SECRET not in json.dumps(entry)
    assert entry["KCRASHD_HOST"] == host and entry["KCRASHD_VMCORE_HOST"] == host
