"""Fixtures of the kernel journal tests: real journal files imported from the export files of
tests/kernel_journal/data with systemd-journal-remote (Debian package systemd-journal-remote),
a real state database, the real pipeline and alerting outbox. The journal entries kcrashd writes
go to the pipeline's in-memory journal (tests/fixtures/journal_double.py): the fields are the
ones journald would get (tests/daemon has the real-journald tests of the sink)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kcrashd.config.settings import Config, load_config
from kcrashd.daemon.kernel_source import KernelJournalSource
from kcrashd.pipeline import Pipeline, StateLock, load_enqueue
from kcrashd.sinks import CrashJournal
from kcrashd.store.database import Store
from tests.fixtures.journal_double import RecordingJournal
from tests.fixtures.journald import enter_namespace, journald  # noqa: F401  (the session fixture)
from tests.kernel_journal.make_exports import BOOTS, DATA

REMOTE = next(
    (
        p
        for p in (
            Path("/lib/systemd/systemd-journal-remote"),
            Path("/usr/lib/systemd/systemd-journal-remote"),
        )
        if p.exists()
    ),
    None,
)
BOOT_A, BOOT_B, BOOT_C = (BOOTS[name][0] for name in ("boot-a", "boot-b", "boot-c"))
C_START = float(BOOTS["boot-c"][1])


def import_export(stream: bytes | str, journal_dir: Path, name: str) -> None:
    """Write an export stream into `journal_dir/name.journal` with systemd-journal-remote."""
    if REMOTE is None:
        pytest.skip("systemd-journal-remote is not installed (Debian package systemd-journal-remote)")
    data = stream.encode() if isinstance(stream, str) else stream
    out = journal_dir / f"{name}.journal"
    result = subprocess.run(
        [str(REMOTE), f"--output={out}", "--split-mode=none", "-"],
        input=data,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()


def pytest_configure(config: pytest.Config) -> None:
    """The private journald's mount namespace, entered before any thread starts (tests/daemon does too)."""
    enter_namespace()


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    """The three boots of tests/kernel_journal/data, imported into a private journal directory."""
    folder = tmp_path / "journal"
    folder.mkdir()
    for name in ("boot-a", "boot-b", "boot-c"):
        import_export((DATA / f"{name}.export").read_bytes(), folder, name)
    return folder


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    """A kernel journal source on the imported journal, with its pipeline and state."""

    config: Config
    store: Store
    journal: CrashJournal
    pipeline: Pipeline
    clock: Clock
    lock: StateLock
    sources: list[KernelJournalSource]

    def source(self, boot_id: str = BOOT_C) -> KernelJournalSource:
        src = KernelJournalSource(self.config, self.pipeline, boot_id=boot_id, clock=self.clock)
        src.start()
        self.sources.append(src)
        return src

    def entries(self, **match: str) -> list[dict[str, str]]:
        assert isinstance(self.journal, RecordingJournal)
        return [e for e in self.journal.entries if all(e.get(k) == v for k, v in match.items())]

    def decisions(self) -> dict[str, str]:
        rows = self.store.conn.execute("SELECT crash_id, decision FROM crashes").fetchall()
        return {row[0]: row[1] for row in rows}


@pytest.fixture
def rig_factory(tmp_path: Path, journal_dir: Path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(
        state: Path | None = None, journal: CrashJournal | None = None, policy: dict[str, Any] | None = None,
        dumps: Path | None = None, **kernel_journal: Any,
    ) -> Rig:  # fmt: skip
        settings = {"path": str(journal_dir), "settle_seconds": 2.0, **kernel_journal}
        target = {"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook"}
        overrides = {
            "state": {"state_dir": str(state or tmp_path / "state")},
            "sources": {"pstore_path": str(tmp_path / "pstore"), **({"dump_paths": [str(dumps)]} if dumps else {})},
            "kernel_journal": settings,
            "alerts": {"targets": [target], "machine_id_path": "/nonexistent/machine-id", "policy": policy or {}},
        }
        empty = tmp_path / "kcrashd.toml"
        empty.touch()
        config = load_config(empty, overrides)
        store = Store(config.state.state_dir)
        lock = StateLock(config.state.state_dir)
        clock = Clock(C_START + 60)
        journal = journal or RecordingJournal()
        pipeline = Pipeline(config, store, journal, lock, enqueue=load_enqueue(), clock=clock)
        rig = Rig(config, store, journal, pipeline, clock, lock, [])
        made.append(rig)
        return rig

    yield make
    for rig in made:
        for src in rig.sources:
            src.close()
        rig.store.close()
        rig.lock.close()


@pytest.fixture
def rig(rig_factory: Callable[..., Rig]) -> Rig:
    return rig_factory()
