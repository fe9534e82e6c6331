"""Find-or-create by fingerprint, shared by the ticket trackers (docs alerting.md 3.8).

NEW: search by the fingerprint marker; an open ticket found -> comment "seen again"; none ->
create, search again, keep the oldest open one (every host applies the same rule, so they
converge) and point a younger duplicate at it. RECURRENCE: comment on the oldest open ticket
(or the cached one while a search does not show it yet). Every ticket found closed: the bug
regressed; `on_regression` reopens the newest closed ticket with a comment, or files a new
ticket "TITLE (N)" that points at it. A create whose answer was lost (timeout, crash mid-send)
is found by the search of the next attempt.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

from kcrashd.config.alerting import Regression, TicketBase
from kcrashd.sinks import Outcome
from kcrashd.sinks.alerting import escape
from kcrashd.sinks.alerting.http import ok
from kcrashd.sinks.alerting.payload import AlertPayload, EventKind
from kcrashd.sinks.alerting.render import recurrence_line, regression_line
from kcrashd.sinks.alerting.targets.base import Delivery, Sender


@dataclass(frozen=True, order=True)
class Ticket:
    order: int  # numeric id: lower = older
    ref: str
    url: str | None = None
    closed: bool = field(default=False, compare=False)  # the tracker says it is closed (resolved, done)


def marker(fingerprint: str) -> str:
    """The fingerprint as a label/field value every tracker accepts (no spaces, <= 50)."""
    return escape.label(fingerprint)


def delivery_tag(delivery: Delivery) -> str:
    return f"kcrashd-delivery:{delivery.idem_key[:16]}"


class TicketSender(Sender):
    """A tracker: search by marker (with each ticket's closed state), create, comment, reopen."""

    config: TicketBase

    @abstractmethod
    def find(self, mark: str) -> list[Ticket]:
        """Tickets carrying the marker (open or closed), each saying whether it is closed."""

    @abstractmethod
    def create(self, payload: AlertPayload, mark: str, tag: str) -> Ticket: ...

    @abstractmethod
    def comment(self, ticket: Ticket, text: str, tag: str) -> None: ...

    @abstractmethod
    def reopen(self, ticket: Ticket) -> None:
        """Move a closed ticket back to an open state."""

    def find_again(self, mark: str, created: Ticket) -> list[Ticket]:
        """The search right after a create (Jira adds read-after-write hints)."""
        return self.find(mark)

    def has_comment(self, ticket: Ticket, tag: str) -> bool:
        """Whether a comment with this delivery tag exists (re-send after a crash); optional."""
        return False

    def comment_text(self, payload: AlertPayload) -> str:
        return recurrence_line(payload)

    def send(self, delivery: Delivery) -> Outcome:
        mark = marker(delivery.fingerprint)
        tag = delivery_tag(delivery)
        found = sorted(self.find(mark))
        opened = [t for t in found if not t.closed]
        cached = delivery.remote.get(mark)
        ticket = opened[0] if opened else None
        regression_of: str | None = None
        if ticket is None and cached and not found and delivery.event is EventKind.RECURRENCE:
            ref, url = cached  # created moments ago, not yet in the search (eventual consistency)
            ticket = Ticket(int(ref) if ref.isdigit() else 0, ref, url)
        if ticket is None and found:
            closed = found[-1]
            regression_of = closed.url or closed.ref
            ticket = self.regress(delivery, closed, len(found), mark, tag)
        elif ticket is None:
            ticket = self.create_kept(delivery.payload, mark, tag)
        elif not self.has_comment(ticket, tag):
            self.comment(ticket, self.comment_text(delivery.payload), tag)
        delivery.remote.put(mark, ticket.ref, ticket.url)
        return ok(remote_ref=ticket.ref, remote_url=ticket.url, regression_of=regression_of)

    def create_kept(self, payload: AlertPayload, mark: str, tag: str) -> Ticket:
        """Create a ticket, then keep the oldest open one of the marker (a younger duplicate,
        filed by another host at the same time, is pointed at it)."""
        created = self.create(payload, mark, tag)
        found = sorted(t for t in self.find_again(mark, created) if not t.closed) or [created]
        ticket = found[0]
        if ticket.ref != created.ref:
            self.comment(created, f"Duplicate of {ticket.url or ticket.ref} (kcrashd keeps the oldest ticket).", tag)
        return ticket

    def regress(self, delivery: Delivery, closed: Ticket, tickets: int, mark: str, tag: str) -> Ticket:
        """Every ticket of the bug is closed and it crashed again: reopen the newest, or file
        ticket number `tickets + 1` ("TITLE (2)") pointing at it (`on_regression`)."""
        where = closed.url or closed.ref
        payload = delivery.payload.model_copy(update={"regressed": True, "regression_of": where})
        if self.config.on_regression is Regression.REOPEN:
            # the comment first: an attempt cut short after it is retried, finds the ticket still
            # closed and only reopens it (trackers with `has_comment` skip the second comment)
            if not self.has_comment(closed, tag):
                self.comment(closed, regression_line(payload), tag)
            self.reopen(closed)
            return Ticket(closed.order, closed.ref, closed.url)
        return self.create_kept(payload.model_copy(update={"title": f"{payload.title} ({tickets + 1})"}), mark, tag)
