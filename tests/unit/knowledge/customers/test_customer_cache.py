"""Tests for knowledge.customers.cache.TieredCustomers: TTL for stable facts, live volatile ones."""

from __future__ import annotations

import dataclasses

import pytest

from ticketflow.domain.customer import Customer, CustomerUnavailable, Order
from ticketflow.domain.message import CustomerRef
from ticketflow.knowledge.customers.cache import TieredCustomers

ADA = Customer(
    "C1",
    "Ada Quill",
    "ada@example.com",
    plan="plus",
    status="active",
    facts=(("country", "IE"), ("balance_eur", "10.00")),
    orders=(Order("O-1", "packed", "2025-03-01", "45.90"),),
)
REF = CustomerRef(id="C1")


class Crm:
    """A source whose answer and availability the test controls, counting calls."""

    def __init__(self, customer: Customer) -> None:
        self.customer = customer
        self.down = False
        self.calls = 0

    def lookup(self, ref: CustomerRef) -> Customer | None:
        self.calls += 1
        if self.down:
            raise CustomerUnavailable("crm is down")
        return self.customer if ref.id == self.customer.id else None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_volatile_facts_are_fetched_live_and_stable_ones_cached_for_the_ttl() -> None:
    stable, live, clock = Crm(ADA), Crm(ADA), Clock()
    source = TieredCustomers(stable, live, ttl_s=60, clock=clock)

    source.lookup(REF)
    live.customer = dataclasses.replace(ADA, name="Renamed", status="suspended", orders=())
    stable.customer = dataclasses.replace(ADA, name="Renamed")
    second = source.lookup(REF)
    clock.now += 61
    third = source.lookup(REF)

    assert second is not None
    assert third is not None
    assert (second.name, second.status, second.orders) == ("Ada Quill", "suspended", ())
    assert third.name == "Renamed"
    assert (stable.calls, live.calls) == (2, 3)
    assert second.stale == ()


def test_failed_live_fetch_serves_the_last_value_marked_stale() -> None:
    crm = Crm(ADA)
    source = TieredCustomers(crm, ttl_s=60, clock=Clock())
    source.lookup(REF)
    crm.customer = dataclasses.replace(ADA, status="closed")
    crm.down = True

    found = source.lookup(REF)

    assert found is not None
    assert found.status == "active"  # the last value seen, not a guess
    assert found.orders == ADA.orders
    assert set(found.stale) == {"status", "balance_eur", "orders"}


def test_expired_stable_facts_are_served_stale_when_the_source_is_down_and_nothing_cached_raises() -> None:
    crm, clock = Crm(ADA), Clock()
    source = TieredCustomers(crm, ttl_s=60, clock=clock)
    source.lookup(REF)
    crm.down = True
    clock.now += 600

    found = source.lookup(REF)

    assert found is not None
    assert {"name", "status", "orders"} <= set(found.stale)
    with pytest.raises(CustomerUnavailable):
        source.lookup(CustomerRef(id="C2"))


def test_unknown_customer_is_none_and_not_cached() -> None:
    crm = Crm(ADA)
    source = TieredCustomers(crm, ttl_s=60, clock=Clock())

    assert source.lookup(CustomerRef(id="C9")) is None
    assert source.lookup(CustomerRef(id="C9")) is None
    assert crm.calls == 2
