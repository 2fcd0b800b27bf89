"""Where customer accounts and a customer's earlier tickets come from."""

from __future__ import annotations

from typing import Protocol

from ticketflow.domain.context import PastTicket
from ticketflow.domain.customer import Customer
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef


class CustomerSource(Protocol):
    """Where accounts come from (workspace files, a database, an HTTP endpoint), found by the customer's
    reference on the channel.
    """

    def lookup(self, ref: CustomerRef) -> Customer | None:
        """The account for ``ref``, or None when nobody matches.

        Raises ``CustomerUnavailable`` when the source cannot be reached and nothing usable is cached; a
        customer whose volatile facts come from an expired cache lists them in ``Customer.stale``.
        """
        ...


class PastTickets(Protocol):
    """A customer's earlier tickets, for the PREVIOUS TICKETS section of the context."""

    def past_tickets(self, customer: CustomerRef, before: TicketId, limit: int) -> list[PastTicket]:
        """Up to ``limit`` of the customer's tickets received before ``before``, newest first."""
        ...
