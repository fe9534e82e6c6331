"""The state database: one module opens it, with every component's schema; a database written by
an earlier kcrashd is opened as it is and its history goes on."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kcrashd.config.alerting import AlertsConfig
from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.core import analyze
from kcrashd.core.model import Report
from kcrashd.model.crash import CrashRecord
from kcrashd.pipeline import Pipeline, StateLock, load_enqueue
from kcrashd.sources.units import scan_all
from kcrashd.store.database import Store, StoreError
from kcrashd.store.schema import COMPONENTS
from tests.daemon.dumps import log_bytes, write_rhel
from tests.fixtures.journal_double import RecordingJournal

# The schema as kcrashd 3132d08 wrote it (store.py's SCHEMA, then alerting/outbox.py's, each
# component creating `schema_versions` itself), trimmed to the tables this test fills.
OLD_SCHEMA = """
CREATE TABLE schema_versions(component TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE crashes(
    crash_id TEXT PRIMARY KEY, dump_dir TEXT NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,
    log_path TEXT, log_mtime_ns INTEGER, log_size INTEGER, layout TEXT NOT NULL, source TEXT NOT NULL,
    host TEXT NOT NULL, kernel TEXT, kind TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL,
    function TEXT, fingerprint TEXT NOT NULL, crash_time REAL NOT NULL, detected_at REAL NOT NULL,
    incomplete INTEGER NOT NULL, test INTEGER NOT NULL, too_old_to_page INTEGER NOT NULL, status TEXT NOT NULL,
    journaled_at REAL, vmcore_state TEXT NOT NULL, record_json TEXT NOT NULL, updated_at REAL NOT NULL
);
CREATE INDEX crashes_dir ON crashes(dump_dir, ino);
CREATE TABLE fingerprints(
    fingerprint TEXT PRIMARY KEY, first_seen REAL NOT NULL, last_seen REAL NOT NULL, count INTEGER NOT NULL,
    title TEXT NOT NULL, kind TEXT NOT NULL
);
CREATE TABLE fingerprint_hosts(
    fingerprint TEXT NOT NULL, host TEXT NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY(fingerprint, host)
);
CREATE TABLE history_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE outbox_crashes (
  crash_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, host TEXT NOT NULL, title TEXT NOT NULL,
  crash_time REAL NOT NULL, seen_at REAL NOT NULL, decision TEXT NOT NULL, storm_id INTEGER, ticket TEXT
);
INSERT INTO schema_versions VALUES ('history', 1), ('outbox', 1);
"""


def old_database(state: Path, report: Report, at: float) -> None:
    """A state database as the earlier kcrashd left it: one crash of this bug, paged an hour ago."""
    fingerprint, title = report.fingerprint, report.title
    when = datetime.fromtimestamp(at, UTC)
    old = CrashRecord(crash_id="old", report=report, host="old-host", dump_dir="/var/crash/old", layout="rhel",
                      crash_time=when, detected_at=when, first_seen=when)  # fmt: skip
    state.mkdir()
    conn = sqlite3.connect(state / "state.db")
    conn.executescript(OLD_SCHEMA)
    conn.execute(
        "INSERT INTO crashes VALUES ('old', '/var/crash/old', 1, 2, NULL, NULL, NULL, 'rhel', 'kdump', 'old-host', NULL,"
        " 'bug', 'critical', ?, NULL, ?, ?, ?, 0, 0, 0, 'journaled', ?, 'absent', ?, ?)",
        (title, fingerprint, at, at, at, old.model_dump_json(), at),
    )
    conn.execute("INSERT INTO fingerprints VALUES (?, ?, ?, 3, ?, 'bug')", (fingerprint, at - 86400 * 30, at, title))
    conn.execute("INSERT INTO fingerprint_hosts VALUES (?, 'old-host', ?, ?, 3)", (fingerprint, at - 86400 * 30, at))
    conn.execute(
        "INSERT INTO outbox_crashes VALUES ('old', ?, 'old-host', ?, ?, ?, 'page', NULL, 'new')", (fingerprint, title, at, at)
    )
    conn.commit()
    conn.close()


def test_an_old_database_keeps_its_history(tmp_path: Path) -> None:
    log = log_bytes("seed/rhel8-sysrq")
    report = analyze(log, source="test")
    state, root = tmp_path / "state", tmp_path / "crash"
    old_database(state, report, time.time() - 3600)
    root.mkdir()
    write_rhel(root, f"10.9.2.1-{datetime.now():%Y-%m-%d-%H:%M:%S}", log)
    alerts = AlertsConfig.model_validate({"targets": [{"name": "wh", "type": "webhook", "url": "http://127.0.0.1:9/h"}]})
    config = Config(sources=SourcesConfig(dump_paths=[root], pstore=False), state=StateConfig(state_dir=state), alerts=alerts)
    store, lock, journal = Store(state), StateLock(state), RecordingJournal()
    try:
        pipeline = Pipeline(config, store, journal, lock, enqueue=load_enqueue())
        assert [pipeline.handle(unit).action for unit in scan_all(config.sources)] == ["journaled"]
        versions = dict(store.conn.execute("SELECT component, version FROM schema_versions").fetchall())
        decisions = dict(store.conn.execute("SELECT crash_id, decision FROM crashes").fetchall())
        queued = store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        tables = {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        store.close()
        lock.close()
    (entry,) = journal.entries
    assert (entry["KCRASHD_COUNT"], entry["KCRASHD_HOSTS"], entry["KCRASHD_NEW"]) == ("4", "2", "0")
    assert decisions.pop("old") == "page"  # the earlier decision, moved onto the crash's row
    assert list(decisions.values()) == ["cooldown"] and queued == 0  # paged an hour ago: not again
    assert versions == {c.name: c.version for c in COMPONENTS} == {"history": 3, "outbox": 2, "grouping": 1}
    assert "outbox_crashes" not in tables  # one history: the crashes table


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    Store(state).close()
    conn = sqlite3.connect(state / "state.db")
    conn.execute("UPDATE schema_versions SET version = 99 WHERE component = 'outbox'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="outbox schema 99, newer than this kcrashd"):
        Store(state)


def test_one_module_opens_the_state_database() -> None:
    """Every read-write connection comes from kcrashd.store.database.connect (one set of PRAGMAs)."""
    package = Path(__file__).resolve().parents[2] / "kcrashd"
    openers = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if "sqlite3.connect(" in p.read_text())
    assert openers == ["store/database.py"]


def test_shrinking_the_page_cache_keeps_the_store_usable_and_is_harmless_once_closed(tmp_path: Path) -> None:
    """The daemon hands the page cache back after each burst (idle RSS, bench/daemon.py)."""
    store = Store(tmp_path)
    store.shrink_cache()
    assert store.counts()["crashes"] == 0
    store.close()
    store.shrink_cache()  # a memory hint never raises into the loop


def _open_at_the_barrier(path: str, barrier: object, out: object) -> None:
    import multiprocessing.queues
    import multiprocessing.synchronize

    assert isinstance(barrier, multiprocessing.synchronize.Barrier) and isinstance(out, multiprocessing.queues.Queue)
    barrier.wait()
    try:
        Store(Path(path)).close()
        out.put("")
    except StoreError as exc:
        out.put(str(exc))


def test_processes_opening_a_new_database_at_once_all_open_it(tmp_path: Path) -> None:
    """The daemon and `kcrashd scan` started together on a first boot: each process's switch of the new file to
    WAL waits for the others' instead of failing with `database is locked` (before the fix about one round in
    four of six openers failed here)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    failures = []
    for n in range(25):
        state = tmp_path / f"round{n}"
        barrier, out = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_open_at_the_barrier, args=(str(state), barrier, out)) for _ in range(6)]
        for proc in procs:
            proc.start()
        failures += [err for err in (out.get(timeout=60) for _ in procs) if err]
        for proc in procs:
            proc.join(timeout=60)
    assert not failures, failures[:3]
