"""Destinations of a processed crash. The journal is the index (one entry per crash); alert
targets live in kcrashd.alerting and are fed through its outbox."""

from __future__ import annotations

from typing import NamedTuple, Protocol

from kcrashd.crash import CrashRecord


class JournalMark(NamedTuple):
    """The newest crash entry in the journal: its crash id and dump folder."""

    crash_id: str
    dump_dir: str


class CrashJournal(Protocol):
    """Where the one entry per crash goes, and how to find out whether it already went."""

    def send(self, record: CrashRecord) -> None:
        """Write the crash's entry."""

    def send_update(self, record: CrashRecord) -> None:
        """Write the entry saying the crash's vmcore state changed after its entry."""

    def sync(self) -> bool:
        """Wait until everything sent so far can be read back; False if that cannot be known."""

    def sent(self, crash_ids: list[str]) -> set[str]:
        """Which of these crash ids already have an entry."""

    def latest(self) -> JournalMark | None:
        """The newest crash entry, if any: the state database must know it (docs/state.md)."""
