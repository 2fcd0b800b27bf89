"""The default ``CustomerSource``: account files in the workspace.

``customers.csv`` (with ``orders.csv``) or ``customers.json``: a list of account objects, each with an
optional ``orders`` list whose entries use the ``orders.csv`` column names.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from ticketflow.domain.customer import Customer, Order
from ticketflow.domain.message import CustomerRef
from ticketflow.errors import ConfigError

_REQUIRED = ("id", "name", "email")
_CORE = {"id", "name", "email", "plan", "status"}


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ConfigError.at(path, 1, f"missing column(s) {missing}; the header needs {list(required)}")
        rows = []
        for row in reader:
            if None in row:
                raise ConfigError.at(path, reader.line_num, "more values than header columns")
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
        return rows


_ORDER_CORE = {"order_id", "id", "customer_id", "status", "placed_at", "total", "currency"}
_ORDER_NAMED = ("items", "carrier", "tracking")
_TOTAL_IN = re.compile(r"total_([a-z]{3})", re.IGNORECASE)


def _total(row: dict[str, str]) -> tuple[str, str, set[str]]:
    """The order's total, its currency, and the columns they were read from.

    ``total`` with an optional ``currency`` column; else a ``total_<code>`` column (``total_eur``,
    ``total_usd``), whose suffix is the currency unless a ``currency`` column says otherwise.
    """
    currency = row.get("currency", "").upper()
    if row.get("total"):
        return row["total"], currency, {"total"}
    for column, value in row.items():
        found = _TOTAL_IN.fullmatch(column)
        if found and value:
            return value, currency or found.group(1).upper(), {column}
    return "", currency, set()


def order_from_row(row: dict[str, str]) -> Order:
    """An order from a row with ``orders.csv`` column names (``order_id``, ``status``, ``total`` and
    ``currency`` or ``total_<code>``, ``items``...); every other non-empty column is kept as a fact."""
    total, currency, used = _total(row)
    skip = _ORDER_CORE | set(_ORDER_NAMED) | used | {c for c in row if _TOTAL_IN.fullmatch(c)}
    return Order(
        id=row.get("order_id", row.get("id", "")),
        status=row.get("status", ""),
        placed_at=row.get("placed_at", ""),
        total=total,
        items=row.get("items", ""),
        carrier=row.get("carrier", ""),
        tracking=row.get("tracking", ""),
        currency=currency,
        facts=tuple((k, v) for k, v in row.items() if k not in skip and v),
    )


def customer_from_row(row: dict[str, str], orders: list[Order]) -> Customer:
    """An account from a flat row: core columns by name, every other non-empty column becomes a fact."""
    return Customer(
        id=row["id"],
        name=row.get("name", ""),
        email=row.get("email", ""),
        plan=row.get("plan", ""),
        status=row.get("status", ""),
        facts=tuple((k, v) for k, v in row.items() if k not in _CORE and k != "orders" and v),
        orders=tuple(sorted(orders, key=lambda o: o.placed_at, reverse=True)),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class CsvCustomers:
    """Accounts from CSV or JSON files, indexed by id and by lower-cased email."""

    name = "files"

    def __init__(self, customers: list[Customer]) -> None:
        self._by_id = {c.id: c for c in customers}
        self._by_email = {c.email.lower(): c for c in customers if c.email}

    def __len__(self) -> int:
        return len(self._by_id)

    @classmethod
    def from_files(cls, customers_csv: Path, orders_csv: Path | None = None) -> CsvCustomers:
        if not customers_csv.exists():
            return cls([])
        orders: dict[str, list[Order]] = {}
        if orders_csv is not None and orders_csv.exists():
            for line, row in _rows(orders_csv, ("order_id", "customer_id", "status")):
                if not row["order_id"]:
                    raise ConfigError.at(orders_csv, line, "order_id is empty")
                orders.setdefault(row["customer_id"], []).append(order_from_row(row))
        customers = []
        for line, row in _rows(customers_csv, _REQUIRED):
            if not row["id"]:
                raise ConfigError.at(customers_csv, line, "id is empty")
            customers.append(customer_from_row(row, orders.get(row["id"], [])))
        return cls(customers)

    @classmethod
    def from_json(cls, path: Path) -> CsvCustomers:
        """``customers.json``: a list of objects with ``id``, ``name``, ``email``... and ``orders``."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError.at(path, exc.lineno, f"not valid JSON ({exc.msg})") from exc
        if not isinstance(data, list):
            raise ConfigError.at(path, 1, "expected a list of customer objects")
        customers = []
        for n, item in enumerate(data):
            if not isinstance(item, dict) or not _text(item.get("id")):
                raise ConfigError(f"{path}: customer #{n + 1} is not an object with a non-empty id")
            raw_orders = item.get("orders") or []
            if not isinstance(raw_orders, list) or not all(isinstance(o, dict) for o in raw_orders):
                raise ConfigError(f"{path}: customer {item['id']!r}: orders must be a list of objects")
            row = {str(k): _text(v) for k, v in item.items() if k != "orders"}
            orders = [order_from_row({str(k): _text(v) for k, v in o.items()}) for o in raw_orders]
            customers.append(customer_from_row(row, orders))
        return cls(customers)

    @classmethod
    def from_workspace(cls, root: Path) -> CsvCustomers:
        """``customers.json`` when the workspace has one, else ``customers.csv`` and ``orders.csv``."""
        if (root / "customers.json").exists():
            return cls.from_json(root / "customers.json")
        return cls.from_files(root / "customers.csv", root / "orders.csv")

    def lookup(self, ref: CustomerRef) -> Customer | None:
        if ref.id and ref.id in self._by_id:
            return self._by_id[ref.id]
        if ref.email:
            return self._by_email.get(ref.email.lower())
        return None
