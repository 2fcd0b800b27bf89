"""Fakes of the customer ports: accounts from a list (found, down or stale) and earlier tickets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ticketflow.domain.context import PastTicket
from ticketflow.domain.customer import Customer, CustomerUnavailable
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef


@dataclass
class StaticCustomers:
    """A ``CustomerSource`` over a fixed list, matched by id or email (any case); it records every lookup.

    The two ways a real source lets the context stage down are a field away, and may be set mid-test:
    ``down`` (a reason) makes every lookup raise ``CustomerUnavailable``, like a CRM that cannot be
    reached with nothing cached; ``stale`` (field names) marks those facts of every account it returns as
    served from an expired cache, like ``TieredCustomers`` when its live fetch failed.
    """

    customers: list[Customer] = field(default_factory=list)
    down: str | None = None
    stale: tuple[str, ...] = ()
    lookups: list[CustomerRef] = field(default_factory=list)

    def lookup(self, ref: CustomerRef) -> Customer | None:
        self.lookups.append(ref)
        if self.down is not None:
            raise CustomerUnavailable(self.down)
        for customer in self.customers:
            if customer.id == ref.id or (ref.email and customer.email.lower() == ref.email.lower()):
                return dataclasses.replace(customer, stale=self.stale) if self.stale else customer
        return None


@dataclass
class StaticPastTickets:
    """A ``PastTickets`` that returns ``tickets`` (newest first, as given) to anyone, up to the limit."""

    tickets: list[PastTicket] = field(default_factory=list)

    def past_tickets(self, customer: CustomerRef, before: TicketId, limit: int) -> list[PastTicket]:
        return self.tickets[:limit]
