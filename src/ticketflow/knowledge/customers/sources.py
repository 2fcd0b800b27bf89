"""Customer accounts from outside the workspace: a SQL database or an HTTP JSON endpoint.

Both map the other system's names onto ours with ``columns`` (our field → their column or key), read
the fields listed in ``facts`` as extra facts, and raise ``CustomerUnavailable`` when the system cannot be
reached, so :class:`~ticketflow.knowledge.customers.cache.TieredCustomers` can fall back to what it cached.

::

    SqlCustomers("postgresql+psycopg://crm/crm", table="accounts", columns={"id": "account_no"})
    HttpCustomers("https://crm.example/api/customers/{id}", auth_header=("Authorization", "Bearer ..."))
"""

from __future__ import annotations

import json
import string
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ticketflow.domain.customer import Customer, CustomerUnavailable, Order
from ticketflow.domain.message import CustomerRef
from ticketflow.knowledge.customers.files import customer_from_row, order_from_row

CUSTOMER_FIELDS = ("id", "name", "email", "plan", "status")
ORDER_FIELDS = (
    "order_id",
    "customer_id",
    "status",
    "placed_at",
    "total",
    "currency",
    "total_eur",
    "total_usd",
    "total_gbp",
    "items",
    "carrier",
    "tracking",
)
"""Read when present (``order_columns`` maps them onto the other system's names); ``total`` with
``currency`` is the general form, ``total_<code>`` columns are recognised for the common currencies."""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _renamed(record: Mapping[str, Any], columns: Mapping[str, str], fields: Sequence[str]) -> dict[str, str]:
    """``record`` in our names: each of ``fields`` read from its mapped column (default: the same name)."""
    return {f: _text(record.get(columns.get(f, f))) for f in fields if columns.get(f, f) in record}


class SqlCustomers:
    """Accounts (and their recent orders) from any database SQLAlchemy can reach.

    The tables are inspected on first use and only the mapped columns that exist are read, so a database
    without, say, a ``plan`` column or an orders table still serves the rest.
    """

    name = "sql"

    def __init__(
        self,
        url: str,
        *,
        table: str = "customers",
        columns: Mapping[str, str] | None = None,
        facts: Sequence[str] = (),
        orders_table: str | None = "orders",
        order_columns: Mapping[str, str] | None = None,
        orders: int = 5,
    ) -> None:
        self._engine = sa.create_engine(url, pool_pre_ping=True)
        self._columns = dict(columns or {})
        self._facts = tuple(facts)
        self._order_columns = dict(order_columns or {})
        self._names = (table, orders_table)
        self._tables: tuple[sa.TableClause, sa.TableClause | None] | None = None
        self._orders = orders

    def close(self) -> None:
        self._engine.dispose()

    def _reflect(self) -> tuple[sa.TableClause, sa.TableClause | None]:
        if self._tables is None:
            inspector = sa.inspect(self._engine)
            table, orders_table = self._names

            def clause(name: str, wanted: list[str]) -> sa.TableClause:
                present = {c["name"] for c in inspector.get_columns(name)}
                return sa.table(name, *(sa.column(c) for c in dict.fromkeys(wanted) if c in present))

            customers = clause(table, [self._columns.get(f, f) for f in CUSTOMER_FIELDS] + list(self._facts))
            orders = None
            if orders_table and inspector.has_table(orders_table):
                orders = clause(orders_table, [self._order_columns.get(f, f) for f in ORDER_FIELDS])
            self._tables = (customers, orders)
        return self._tables

    def lookup(self, ref: CustomerRef) -> Customer | None:
        try:
            customers, _ = self._reflect()
            col = customers.c
            with self._engine.connect() as conn:
                row = None
                if ref.id:
                    by_id = col[self._columns.get("id", "id")] == ref.id
                    row = conn.execute(sa.select(customers).where(by_id)).mappings().first()
                if row is None and ref.email:
                    by_email = sa.func.lower(col[self._columns.get("email", "email")]) == ref.email.lower()
                    row = conn.execute(sa.select(customers).where(by_email)).mappings().first()
                if row is None:
                    return None
                ours = _renamed(dict(row), self._columns, CUSTOMER_FIELDS)
                ours |= {f: _text(row.get(f)) for f in self._facts}
                return customer_from_row(ours, self._orders_of(conn, ours["id"]))
        except (sa.exc.SQLAlchemyError, KeyError) as exc:  # KeyError: no id or email column
            raise CustomerUnavailable(f"sql customer source failed: {type(exc).__name__}") from exc

    def _orders_of(self, conn: sa.Connection, customer_id: str) -> list[Order]:
        _, orders_table = self._reflect()
        oc = self._order_columns
        owner = oc.get("customer_id", "customer_id")
        if orders_table is None or owner not in orders_table.c:
            return []
        c = orders_table.c
        placed = oc.get("placed_at", "placed_at")
        query = sa.select(orders_table).where(c[owner] == customer_id).limit(self._orders)
        if placed in c:
            query = query.order_by(c[placed].desc())
        return [order_from_row(_renamed(dict(r), oc, ORDER_FIELDS)) for r in conn.execute(query).mappings()]


class HttpCustomers:
    """Accounts from a JSON endpoint: ``GET url_template.format(id=..., email=...)``.

    The response is one account object (our field names, or mapped with ``columns``) with an optional
    ``orders`` list; 404 means no such customer. Any other failure, a timeout included, raises
    ``CustomerUnavailable``.
    """

    name = "http"

    def __init__(
        self,
        url_template: str,
        *,
        auth_header: tuple[str, str] | None = None,
        timeout_s: float = 2.0,
        columns: Mapping[str, str] | None = None,
        facts: Sequence[str] = (),
        order_columns: Mapping[str, str] | None = None,
    ) -> None:
        self._template = url_template
        self._needs = {f for _, f, _, _ in string.Formatter().parse(url_template) if f}
        self._headers = {"Accept": "application/json"}
        if auth_header is not None:
            self._headers[auth_header[0]] = auth_header[1]
        self._timeout = timeout_s
        self._columns = dict(columns or {})
        self._facts = tuple(facts)
        self._order_columns = dict(order_columns or {})

    def lookup(self, ref: CustomerRef) -> Customer | None:
        values = {"id": ref.id or "", "email": ref.email or ""}
        if any(not values.get(field) for field in self._needs):
            return None  # this reference lacks what the endpoint is keyed by
        url = self._template.format(**{k: urllib.parse.quote(v, safe="") for k, v in values.items()})
        request = urllib.request.Request(url, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                return None
            raise CustomerUnavailable(f"http customer source answered {exc.code}") from exc
        except (OSError, ValueError) as exc:  # URLError, timeouts and bad JSON
            raise CustomerUnavailable(f"http customer source failed: {type(exc).__name__}") from exc
        if not isinstance(body, dict) or not _text(body.get(self._columns.get("id", "id"))):
            raise CustomerUnavailable("http customer source returned no account object with an id")
        ours = _renamed(body, self._columns, CUSTOMER_FIELDS)
        ours |= {f: _text(body.get(f)) for f in self._facts}
        raw_orders = body.get("orders") or []
        orders = [
            order_from_row(_renamed(o, self._order_columns, ORDER_FIELDS))
            for o in raw_orders
            if isinstance(o, dict)
        ]
        return customer_from_row(ours, orders)
