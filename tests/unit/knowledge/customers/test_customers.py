"""Tests for knowledge.customers.files.CsvCustomers: accounts and orders from CSV, looked up by ref."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketflow.domain.message import CustomerRef
from ticketflow.errors import ConfigError
from ticketflow.knowledge.customers.files import CsvCustomers

CUSTOMERS = """\
id,name,email,plan,status,country,balance_eur
C1,Ada Quill,Ada.Quill@Example.com,plus,active,IE,
C2,Bo Reyes,bo@example.org,basic,closed,ES,12.50
"""
ORDERS = """\
order_id,customer_id,status,placed_at,total_eur,items,carrier,tracking
O-1,C1,delivered,2025-01-05,20.00,mug,DHL,TRK1
O-2,C1,shipped,2025-03-01,45.90,lamp,UPS,TRK2
O-3,C2,processing,2025-02-10,9.99,spoon,,
"""


def _files(tmp_path: Path, customers: str = CUSTOMERS, orders: str | None = ORDERS) -> tuple[Path, Path]:
    c = tmp_path / "customers.csv"
    c.write_text(customers, encoding="utf-8")
    o = tmp_path / "orders.csv"
    if orders is not None:
        o.write_text(orders, encoding="utf-8")
    return c, o


def test_lookup_by_email_ignores_case(tmp_path: Path) -> None:
    source = CsvCustomers.from_files(*_files(tmp_path))

    found = source.lookup(CustomerRef(email="ada.quill@EXAMPLE.COM"))

    assert found is not None
    assert found.id == "C1"
    assert found.first_name == "Ada"


def test_lookup_by_id_and_unknown_customer(tmp_path: Path) -> None:
    source = CsvCustomers.from_files(*_files(tmp_path))

    assert len(source) == 2
    found = source.lookup(CustomerRef(id="C2"))
    assert found is not None
    assert found.email == "bo@example.org"
    assert source.lookup(CustomerRef(email="nobody@example.com")) is None
    assert source.lookup(CustomerRef(id="C999")) is None


def test_unknown_id_falls_back_to_email(tmp_path: Path) -> None:
    source = CsvCustomers.from_files(*_files(tmp_path))

    found = source.lookup(CustomerRef(id="zendesk-77", email="bo@example.org"))

    assert found is not None
    assert found.id == "C2"


def test_extra_columns_become_facts_and_orders_are_most_recent_first(tmp_path: Path) -> None:
    source = CsvCustomers.from_files(*_files(tmp_path))

    ada = source.lookup(CustomerRef(id="C1"))
    bo = source.lookup(CustomerRef(id="C2"))

    assert ada is not None
    assert bo is not None
    assert (ada.plan, ada.status) == ("plus", "active")
    assert ada.facts == (("country", "IE"),)  # the empty balance is left out
    assert bo.facts == (("country", "ES"), ("balance_eur", "12.50"))
    assert [o.id for o in ada.orders] == ["O-2", "O-1"]
    assert (ada.orders[0].total, ada.orders[0].tracking, ada.orders[0].carrier) == ("45.90", "TRK2", "UPS")


def test_missing_required_column_names_file_line_and_column(tmp_path: Path) -> None:
    customers, _ = _files(tmp_path, customers="id,name,plan\nC1,Ada,basic\n", orders=None)

    with pytest.raises(ConfigError, match=r"missing column\(s\) \['email'\]") as caught:
        CsvCustomers.from_files(customers)

    assert str(caught.value).startswith(f"{customers}:1: ")


def test_orders_file_missing_a_column_is_rejected(tmp_path: Path) -> None:
    customers, orders = _files(tmp_path, orders="order_id,status\nO-1,shipped\n")

    with pytest.raises(ConfigError, match=r"missing column\(s\) \['customer_id'\]") as caught:
        CsvCustomers.from_files(customers, orders)

    assert str(caught.value).startswith(f"{orders}:1: ")


def test_row_with_more_values_than_columns_names_its_line(tmp_path: Path) -> None:
    customers, _ = _files(
        tmp_path, customers="id,name,email\nC1,Ada,a@x.com\nC2,Bo,b@x.com,extra\n", orders=None
    )

    with pytest.raises(ConfigError, match=r"more values than header columns") as caught:
        CsvCustomers.from_files(customers)

    assert str(caught.value).startswith(f"{customers}:3: ")


def test_empty_id_names_its_line(tmp_path: Path) -> None:
    customers, _ = _files(tmp_path, customers="id,name,email\nC1,Ada,a@x.com\n,Bo,b@x.com\n", orders=None)

    with pytest.raises(ConfigError, match=r"id is empty") as caught:
        CsvCustomers.from_files(customers)

    assert str(caught.value).startswith(f"{customers}:3: ")


def test_absent_customers_file_means_no_accounts(tmp_path: Path) -> None:
    source = CsvCustomers.from_files(tmp_path / "customers.csv")

    assert len(source) == 0
    assert source.lookup(CustomerRef(email="a@x.com")) is None


def test_customers_json_is_used_when_the_workspace_has_one(tmp_path: Path) -> None:
    _files(tmp_path)
    (tmp_path / "customers.json").write_text(
        '[{"id": "J1", "name": "Jo Park", "email": "jo@example.com", "plan": "basic", "balance_eur": 3.5,'
        ' "orders": [{"order_id": "O-9", "status": "shipped", "placed_at": "2025-04-02", "total_eur": 12}]}]',
        encoding="utf-8",
    )

    source = CsvCustomers.from_workspace(tmp_path)

    jo = source.lookup(CustomerRef(email="JO@example.com"))
    assert len(source) == 1
    assert jo is not None
    assert (jo.id, jo.plan, jo.facts) == ("J1", "basic", (("balance_eur", "3.5"),))
    assert [(o.id, o.total) for o in jo.orders] == [("O-9", "12")]


def test_broken_customers_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.json"
    path.write_text('[\n{"id": "J1",\n', encoding="utf-8")

    with pytest.raises(ConfigError, match=r"not valid JSON") as caught:
        CsvCustomers.from_json(path)

    assert str(caught.value).startswith(f"{path}:3: ")


def test_an_order_row_keeps_its_currency_and_every_other_column() -> None:
    from ticketflow.knowledge.customers.files import order_from_row

    usd = order_from_row(
        {"order_id": "A1", "status": "shipped", "total_usd": "53.27", "size": "L", "gift": ""}
    )
    assert (usd.total, usd.currency, usd.facts) == ("53.27", "USD", (("size", "L"),))
    general = order_from_row({"id": "A2", "total": "12.00", "currency": "sek"})
    assert (general.total, general.currency, general.facts) == ("12.00", "SEK", ())
    store = order_from_row({"order_id": "A3", "total_eur": "49.85", "customer_id": "C1"})
    assert (store.total, store.currency) == ("49.85", "EUR")
