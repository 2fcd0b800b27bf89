"""A stored ticket to run again (``ticketflow replay``): the ticket as it was accepted, and what it got."""

from __future__ import annotations

from dataclasses import dataclass

from ticketflow.domain.message import Ticket


@dataclass(frozen=True, slots=True)
class StoredTicket:
    """A finished ticket read back from the store: the message as stored, and the route and outcome that
    production recorded for it (the replay's reference, beside its two arms)."""

    ticket: Ticket
    route: str | None
    outcome: str | None
    reason: str | None = None
