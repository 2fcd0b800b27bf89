"""Where customer accounts come from."""

from __future__ import annotations

from typing import Protocol

from ticketflow.domain.customer import Customer
from ticketflow.domain.message import CustomerRef


class CustomerSource(Protocol):
    def lookup(self, ref: CustomerRef) -> Customer | None:
        """The account for ``ref``, or None when nobody matches."""
        ...
