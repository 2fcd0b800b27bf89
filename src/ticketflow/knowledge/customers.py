"""The default ``CustomerSource``: ``customers.csv`` (and ``orders.csv``) in the workspace."""

from __future__ import annotations

import csv
from pathlib import Path

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


class CsvCustomers:
    """Accounts from CSV files, indexed by id and by lower-cased email."""

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
                orders.setdefault(row["customer_id"], []).append(
                    Order(
                        id=row["order_id"],
                        status=row["status"],
                        placed_at=row.get("placed_at", ""),
                        total=row.get("total_eur", row.get("total", "")),
                        items=row.get("items", ""),
                        carrier=row.get("carrier", ""),
                        tracking=row.get("tracking", ""),
                    )
                )
        customers = []
        for line, row in _rows(customers_csv, _REQUIRED):
            if not row["id"]:
                raise ConfigError.at(customers_csv, line, "id is empty")
            recent = sorted(orders.get(row["id"], []), key=lambda o: o.placed_at, reverse=True)
            customers.append(
                Customer(
                    id=row["id"],
                    name=row["name"],
                    email=row["email"],
                    plan=row.get("plan", ""),
                    status=row.get("status", ""),
                    facts=tuple((k, v) for k, v in row.items() if k not in _CORE and v),
                    orders=tuple(recent),
                )
            )
        return cls(customers)

    def lookup(self, ref: CustomerRef) -> Customer | None:
        if ref.id and ref.id in self._by_id:
            return self._by_id[ref.id]
        if ref.email:
            return self._by_email.get(ref.email.lower())
        return None
