"""Destinations of a processed crash. The journal is the index (one entry per crash); alert
targets live in kcrashd.sinks.alerting and are fed through its outbox.

Every destination is a `Destination`: a name, and `send`, one attempt to deliver one thing, whose
result is an `Outcome`. The journal is sent a `CrashRecord` by the pipeline, in the crash's
processing; an alert target is sent a `Delivery` (an outbox row) by the deliverer, later, with
retries. The journal adds what only the index needs (`CrashJournal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar

from kcrashd.model.crash import CrashRecord

Item = TypeVar("Item", contravariant=True)


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt to send to a destination."""

    delivered: bool
    retry: bool = False
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from the target
    remote_ref: str | None = None
    remote_url: str | None = None
    repeat_at: float | None = None  # epoch seconds: send again then (Alertmanager re-post)
    regression_of: str | None = None  # a ticket target found the bug's ticket closed: that ticket


SENT = Outcome(True)


class Destination(Protocol[Item]):
    """Somewhere a crash goes. `send` makes one attempt and either returns its `Outcome` or
    raises; the caller decides what a failure (a raise, or an `Outcome` not delivered) means (the
    pipeline keeps the crash `pending` and sends it again, the deliverer schedules the row's next
    attempt)."""

    @property
    def name(self) -> str:
        """The destination's name in logs and alarms: "journal", or the target's configured name."""

    def send(self, item: Item, /) -> Outcome:
        """One attempt to deliver `item`."""


class JournalMark(NamedTuple):
    """The newest crash entry in the journal: its crash id and dump folder."""

    crash_id: str
    dump_dir: str


class CrashJournal(Destination[CrashRecord], Protocol):
    """Where the one entry per crash goes (`send`, which raises when the entry could not be
    written), and how to find out whether it already went."""

    def send_update(self, record: CrashRecord) -> None:
        """Write the entry saying the crash's vmcore state changed after its entry."""

    def sync(self) -> bool:
        """Wait until everything sent so far can be read back; False if that cannot be known."""

    def sent(self, crash_ids: list[str]) -> set[str]:
        """Which of these crash ids already have an entry."""

    def latest(self) -> JournalMark | None:
        """The newest crash entry, if any: the state database must know it (docs/state.md)."""
