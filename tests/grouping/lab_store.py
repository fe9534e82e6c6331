"""Real lab crash logs (tests/corpus/lab) written as kdump folders and recorded through the real
pipeline into a real state database: the store the grouping tests read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from kcrashd.config.settings import Config, GroupingConfig, SourcesConfig, StateConfig
from kcrashd.model.crash import CrashRecord
from kcrashd.pipeline import Analyzer, Pipeline, StateLock, load_enqueue
from kcrashd.sinks import SENT, CrashJournal, Outcome
from kcrashd.sources.units import scan_all
from kcrashd.store.database import Store
from tests.daemon.dumps import write_rhel

if TYPE_CHECKING:
    from kcrashd.core.operator_rules import OperatorRules

LAB = Path(__file__).resolve().parents[1] / "corpus" / "lab"


class QuietJournal:
    """A journal double for tests that read only the state database (the journal-field tests use
    the real, private journald): it keeps the crash ids sent."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def send(self, record: CrashRecord, /) -> Outcome:
        self.ids.append(record.crash_id)
        return SENT

    def send_update(self, record: CrashRecord) -> None:
        """Vmcore updates are not what these tests look at."""

    def sync(self) -> bool:
        return True

    def sent(self, crash_ids: list[str]) -> set[str]:
        return set(crash_ids) & set(self.ids)

    def latest(self) -> None:
        return None


@dataclass
class LabStore:
    """A state directory with recorded lab crashes; `ids` maps each lab case to its crash id."""

    config: Config
    dumps: Path
    ids: dict[str, str]
    folders: dict[str, str]


def folder_name(n: int, recent: bool = False) -> str:
    """A kdump folder's name; `recent`: stamped a few minutes ago (young enough to page)."""
    if recent:
        return f"10.0.0.{n + 1}-{datetime.now() - timedelta(minutes=30 - n):%Y-%m-%d-%H:%M:%S}"
    return f"10.0.0.{n + 1}-2024-05-{n % 28 + 1:02d}-10:{n % 60:02d}:00"


def lab_config(tmp_path: Path, threshold: float | None = None) -> Config:
    """Sources and state under `tmp_path`; `threshold` None: the default `similar_threshold`."""
    dumps = tmp_path / "crash"
    dumps.mkdir(exist_ok=True)
    return Config(
        sources=SourcesConfig(dump_paths=[dumps], pstore=False),
        state=StateConfig(state_dir=tmp_path / "state"),
        grouping=GroupingConfig() if threshold is None else GroupingConfig(similar_threshold=threshold),
    )


def record_lab(
    config: Config, cases: list[str], journal: CrashJournal | None = None, start: int = 0, recent: bool = False,
    *, rules: OperatorRules | None = None, analyze: Analyzer | None = None,
) -> LabStore:  # fmt: skip
    """Write each lab case's vmcore-dmesg.txt as a RHEL kdump folder, one at a time in order, and
    process it with the real pipeline (so each crash sees the ones before it in the store); with
    alert targets configured, through the real paging policy and outbox too. `rules`: the
    operator's grouping rules of the pipeline's own analysis; `analyze`: another analysis than the
    core's (worker processes; the rules of another kcrashd, tests/grouping/rule_change.py)."""
    dumps = config.sources.dump_paths[0]
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    enqueue = load_enqueue() if config.alerts.targets else None
    pipeline = Pipeline(config, store, journal or QuietJournal(), lock, enqueue=enqueue, rules=rules, analyze=analyze)
    ids: dict[str, str] = {}
    folders: dict[str, str] = {}
    try:
        for n, case in enumerate(cases, start):
            folder = write_rhel(dumps, folder_name(n, recent), (LAB / case / "vmcore-dmesg.txt").read_bytes())
            unit = next(u for u in scan_all(config.sources) if u.path == folder)
            outcome = pipeline.handle(unit)
            assert outcome.crash_id, outcome
            ids[case] = outcome.crash_id
            folders[case] = folder.name
    finally:
        store.close()
        lock.close()
    return LabStore(config, dumps, ids, folders)


def process_all(config: Config) -> list[str]:
    """Run the real pipeline once over every dump folder (those recorded already are known)."""
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    try:
        pipeline = Pipeline(config, store, QuietJournal(), lock)
        return [pipeline.handle(unit).crash_id or "" for unit in scan_all(config.sources)]
    finally:
        store.close()
        lock.close()


def stored(config: Config, crash_id: str) -> CrashRecord:
    """A crash's record as the state database holds it."""
    store = Store(config.state.state_dir)
    try:
        row = store.get(crash_id)
    finally:
        store.close()
    assert row is not None, crash_id
    return row.record
