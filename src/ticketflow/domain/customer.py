"""The customer's account as the context stage sees it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Order:
    """One order of the customer's, as the store reports it."""

    id: str
    status: str
    placed_at: str
    total: str
    items: str = ""
    carrier: str = ""
    tracking: str = ""
    currency: str = ""
    """ISO 4217 code of ``total`` when the source says (a ``currency`` column, or ``total_usd``'s suffix)."""
    facts: tuple[tuple[str, str], ...] = field(default=())
    """The source's other non-empty columns, in its order (size, delivery date, return window...)."""


@dataclass(frozen=True, slots=True)
class Customer:
    """An account: the stable facts and the customer's most recent orders."""

    id: str
    name: str
    email: str
    plan: str = ""
    status: str = ""
    facts: tuple[tuple[str, str], ...] = field(default=())
    orders: tuple[Order, ...] = field(default=())
    stale: tuple[str, ...] = field(default=())
    """Fields served from an expired cache because the live fetch failed ("orders" for the order list)."""

    @property
    def first_name(self) -> str:
        """The first word of ``name``, for a greeting; empty when no name is on file."""
        return self.name.split()[0] if self.name.strip() else ""


class CustomerUnavailable(Exception):
    """The customer source could not be reached and nothing usable is cached."""


@dataclass(frozen=True, slots=True)
class CustomerFetch:
    """How the account was obtained for one ticket, for the ledger: which source, how long, how fresh."""

    source: str
    ms: float
    found: bool
    stale: tuple[str, ...] = field(default=())
    error: str | None = None
