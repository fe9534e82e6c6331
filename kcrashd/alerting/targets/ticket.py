"""Find-or-create by fingerprint, shared by the ticket trackers (docs alerting.md 3.8).

NEW: search by the fingerprint marker; found -> comment "seen again"; absent -> create, search
again, keep the oldest (every host applies the same rule, so they converge) and point a
younger duplicate at it. RECURRENCE: comment on the known (cached or found) ticket. A create
whose answer was lost (timeout, crash mid-send) is found by the search of the next attempt.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

from kcrashd.alerting import escape
from kcrashd.alerting.http import ok
from kcrashd.alerting.payload import AlertPayload, EventKind
from kcrashd.alerting.render import recurrence_line
from kcrashd.alerting.targets.base import Delivery, Sender
from kcrashd.sinks import Outcome


@dataclass(frozen=True, order=True)
class Ticket:
    order: int  # numeric id: lower = older
    ref: str
    url: str | None = None


def marker(fingerprint: str) -> str:
    """The fingerprint as a label/field value every tracker accepts (no spaces, <= 50)."""
    return escape.label(fingerprint)


def delivery_tag(delivery: Delivery) -> str:
    return f"kcrashd-delivery:{delivery.idem_key[:16]}"


class TicketSender(Sender):
    """A tracker: search by marker, create, comment."""

    @abstractmethod
    def find(self, mark: str) -> list[Ticket]:
        """Tickets carrying the marker (open or closed)."""

    @abstractmethod
    def create(self, payload: AlertPayload, mark: str, tag: str) -> Ticket: ...

    @abstractmethod
    def comment(self, ticket: Ticket, text: str, tag: str) -> None: ...

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
        cached = delivery.remote.get(mark)
        ticket: Ticket | None = None
        if cached and delivery.event is EventKind.RECURRENCE:
            ref, url = cached
            ticket = Ticket(int(ref) if ref.isdigit() else 0, ref, url)
        else:
            found = sorted(self.find(mark))
            ticket = found[0] if found else None
        if ticket is None:
            created = self.create(delivery.payload, mark, tag)
            found = sorted(self.find_again(mark, created)) or [created]
            ticket = found[0]
            if ticket.ref != created.ref:
                self.comment(
                    created,
                    f"Duplicate of {ticket.url or ticket.ref} (kcrashd keeps the oldest ticket).",
                    tag,
                )
        elif not self.has_comment(ticket, tag):
            self.comment(ticket, self.comment_text(delivery.payload), tag)
        delivery.remote.put(mark, ticket.ref, ticket.url)
        return ok(remote_ref=ticket.ref, remote_url=ticket.url)
