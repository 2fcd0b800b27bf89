"""Stable facts from a cache with a TTL, volatile facts live, and the stale value when live fails.

An account has facts that rarely change (name, email, plan) and facts that do (status, balance, orders).
:class:`TieredCustomers` keeps the stable part for ``ttl_s`` seconds and asks the live source for the
volatile part on every lookup. When that call fails it serves the last value it saw, naming each such field
in ``Customer.stale`` so the context stage can say so, or hand the ticket off where policy needs it live.

::

    source = TieredCustomers(HttpCustomers("https://crm.example/customers/{id}"), ttl_s=600)
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ticketflow.domain.customer import Customer, CustomerUnavailable
from ticketflow.domain.message import CustomerRef
from ticketflow.ports.customers import CustomerSource

DEFAULT_VOLATILE = ("status", "balance_eur", "orders")
"""Fields fetched live on every lookup: the account status, a balance fact, and the order list."""


@dataclass(frozen=True, slots=True)
class _Entry:
    customer: Customer
    at: float


def _key(ref: CustomerRef) -> str:
    return f"id:{ref.id}" if ref.id else f"email:{(ref.email or '').lower()}"


class TieredCustomers:
    """A ``CustomerSource`` over ``stable`` (cached) and ``live`` (always asked; default: ``stable``)."""

    def __init__(
        self,
        stable: CustomerSource,
        live: CustomerSource | None = None,
        *,
        ttl_s: float = 3600.0,
        volatile: Sequence[str] = DEFAULT_VOLATILE,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._stable = stable
        self._live = live
        self._ttl = ttl_s
        self._volatile = tuple(volatile)
        self._clock = clock
        self._max = max_entries
        self._stable_cache: OrderedDict[str, _Entry] = OrderedDict()
        self._live_cache: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.name = f"{getattr(live or stable, 'name', 'source')}+cache"

    def lookup(self, ref: CustomerRef) -> Customer | None:
        key = _key(ref)
        now = self._clock()
        stable, fresh_from_source, stable_stale = self._stable_part(key, ref, now)
        if stable is None:
            return None
        if self._live is None and fresh_from_source:
            live: Customer | None = stable  # one call already brought the volatile facts too
        else:
            try:
                live = (self._live or self._stable).lookup(ref)
            except CustomerUnavailable:
                with self._lock:
                    last = self._live_cache.get(key)
                merged = self._merge(stable, last.customer if last else stable)
                facts = {k for k, _ in merged.facts}
                stale = [f for f in self._volatile if f in {"status", "plan", "orders"} or f in facts]
                return dataclasses.replace(merged, stale=tuple(dict.fromkeys((*stable_stale, *stale))))
        if live is not None:
            self._put(self._live_cache, key, live, now)
            return dataclasses.replace(self._merge(stable, live), stale=stable_stale)
        return dataclasses.replace(stable, stale=stable_stale)

    def _stable_part(
        self, key: str, ref: CustomerRef, now: float
    ) -> tuple[Customer | None, bool, tuple[str, ...]]:
        """(the stable account, whether it was just fetched, the fields served stale)."""
        with self._lock:
            cached = self._stable_cache.get(key)
        if cached is not None and now - cached.at < self._ttl:
            return cached.customer, False, ()
        try:
            found = self._stable.lookup(ref)
        except CustomerUnavailable:
            if cached is None:
                raise
            return cached.customer, False, ("name", "email", "plan")
        if found is not None:
            self._put(self._stable_cache, key, found, now)
        return found, True, ()

    def _merge(self, stable: Customer, live: Customer) -> Customer:
        """``stable`` with the volatile fields taken from ``live``."""
        v = self._volatile
        facts = tuple((k, val) for k, val in stable.facts if k not in v)
        facts += tuple((k, val) for k, val in live.facts if k in v)
        return dataclasses.replace(
            stable,
            status=live.status if "status" in v else stable.status,
            plan=live.plan if "plan" in v else stable.plan,
            facts=facts,
            orders=live.orders if "orders" in v else stable.orders,
        )

    def _put(self, cache: OrderedDict[str, _Entry], key: str, customer: Customer, now: float) -> None:
        with self._lock:
            cache[key] = _Entry(customer, now)
            cache.move_to_end(key)
            while len(cache) > self._max:
                cache.popitem(last=False)
