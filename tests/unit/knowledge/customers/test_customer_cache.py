"""Tests for knowledge.customers.cache.TieredCustomers: TTL for stable facts, live volatile ones."""

from __future__ import annotations

import dataclasses

import pytest

from ticketflow.domain.customer import Customer, CustomerUnavailable, Order
from ticketflow.domain.message import CustomerRef
from ticketflow.knowledge.customers.cache import TieredCustomers
from ticketflow.testing import ManualClock, StaticCustomers

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


def test_volatile_facts_are_fetched_live_and_stable_ones_cached_for_the_ttl() -> None:
    stable, live, clock = StaticCustomers([ADA]), StaticCustomers([ADA]), ManualClock()
    source = TieredCustomers(stable, live, ttl_s=60, clock=clock)

    source.lookup(REF)
    live.customers = [dataclasses.replace(ADA, name="Renamed", status="suspended", orders=())]
    stable.customers = [dataclasses.replace(ADA, name="Renamed")]
    second = source.lookup(REF)
    clock.now += 61
    third = source.lookup(REF)

    assert second is not None
    assert third is not None
    assert (second.name, second.status, second.orders) == ("Ada Quill", "suspended", ())
    assert third.name == "Renamed"
    assert (len(stable.lookups), len(live.lookups)) == (2, 3)
    assert second.stale == ()


def test_failed_live_fetch_serves_the_last_value_marked_stale() -> None:
    crm = StaticCustomers([ADA])
    source = TieredCustomers(crm, ttl_s=60, clock=ManualClock())
    source.lookup(REF)
    crm.customers = [dataclasses.replace(ADA, status="closed")]
    crm.down = "crm is down"

    found = source.lookup(REF)

    assert found is not None
    assert found.status == "active"  # the last value seen, not a guess
    assert found.orders == ADA.orders
    assert set(found.stale) == {"status", "balance_eur", "orders"}


def test_expired_stable_facts_are_served_stale_when_the_source_is_down_and_nothing_cached_raises() -> None:
    crm, clock = StaticCustomers([ADA]), ManualClock()
    source = TieredCustomers(crm, ttl_s=60, clock=clock)
    source.lookup(REF)
    crm.down = "crm is down"
    clock.now += 600

    found = source.lookup(REF)

    assert found is not None
    assert {"name", "status", "orders"} <= set(found.stale)
    with pytest.raises(CustomerUnavailable):
        source.lookup(CustomerRef(id="C2"))


def test_unknown_customer_is_none_and_not_cached() -> None:
    crm = StaticCustomers([ADA])
    source = TieredCustomers(crm, ttl_s=60, clock=ManualClock())

    assert source.lookup(CustomerRef(id="C9")) is None
    assert source.lookup(CustomerRef(id="C9")) is None
    assert len(crm.lookups) == 2
