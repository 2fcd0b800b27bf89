"""Tests for ticketflow.knowledge.customers.sources: accounts from SQL (mapped columns) and over HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa

from ticketflow.domain.customer import CustomerUnavailable
from ticketflow.domain.message import CustomerRef
from ticketflow.knowledge.customers.sources import HttpCustomers, SqlCustomers


@pytest.fixture
def crm_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE accounts (account_no TEXT, full_name TEXT, mail TEXT, tier TEXT, state TEXT,"
                " balance TEXT)"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TABLE purchases (ref TEXT, account TEXT, status TEXT, placed_at TEXT, total_eur TEXT)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO accounts VALUES ('A7', 'Ada Quill', 'Ada@Example.com', 'plus', 'active',"
                " '12.00')"
            )
        )
        conn.execute(sa.text("INSERT INTO purchases VALUES ('P1', 'A7', 'delivered', '2025-01-05', '20.00')"))
        conn.execute(sa.text("INSERT INTO purchases VALUES ('P2', 'A7', 'shipped', '2025-03-01', '45.90')"))
    engine.dispose()
    return url


def _sql(url: str) -> SqlCustomers:
    return SqlCustomers(
        url,
        table="accounts",
        columns={"id": "account_no", "name": "full_name", "email": "mail", "plan": "tier", "status": "state"},
        facts=["balance"],
        orders_table="purchases",
        order_columns={"order_id": "ref", "customer_id": "account"},
    )


def test_sql_source_maps_columns_and_reads_recent_orders(crm_url: str) -> None:
    source = _sql(crm_url)

    ada = source.lookup(CustomerRef(email="ada@example.COM"))
    source.close()

    assert ada is not None
    assert (ada.id, ada.name, ada.plan, ada.status) == ("A7", "Ada Quill", "plus", "active")
    assert ada.facts == (("balance", "12.00"),)
    assert [(o.id, o.status, o.total) for o in ada.orders] == [
        ("P2", "shipped", "45.90"),
        ("P1", "delivered", "20.00"),
    ]


def test_sql_source_unknown_customer_is_none_and_a_broken_database_is_unavailable(
    crm_url: str, tmp_path: Path
) -> None:
    source = _sql(crm_url)
    assert source.lookup(CustomerRef(id="A999")) is None

    broken = SqlCustomers(f"sqlite:///{tmp_path / 'empty.sqlite'}", table="accounts")
    with pytest.raises(CustomerUnavailable, match="sql customer source failed"):
        broken.lookup(CustomerRef(id="A7"))


class _Crm(BaseHTTPRequestHandler):
    accounts: ClassVar[dict[str, object]] = {
        "A7": {
            "id": "A7",
            "name": "Ada Quill",
            "email": "ada@example.com",
            "status": "active",
            "orders": [
                {"order_id": "P2", "status": "shipped", "placed_at": "2025-03-01", "total_eur": "45.90"}
            ],
        },
    }
    seen_auth: ClassVar[list[str | None]] = []
    release = threading.Event()

    def do_GET(self) -> None:
        type(self).seen_auth.append(self.headers.get("X-Api-Key"))
        key = self.path.rsplit("/", 1)[-1]
        if key == "slow":
            type(self).release.wait(5)
            return
        if key == "boom":
            self.send_response(500)
            self.end_headers()
            return
        body = self.accounts.get(key)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if body:
            self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def crm_http() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Crm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Crm.seen_auth.clear()
    _Crm.release.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _Crm.release.set()
    server.shutdown()
    server.server_close()


def test_http_source_fills_the_template_and_sends_the_auth_header(crm_http: str) -> None:
    source = HttpCustomers(f"{crm_http}/customers/{{id}}", auth_header=("X-Api-Key", "k-123"), timeout_s=2)

    ada = source.lookup(CustomerRef(id="A7"))

    assert ada is not None
    assert ada.name == "Ada Quill"
    assert [o.id for o in ada.orders] == ["P2"]
    assert _Crm.seen_auth == ["k-123"]


def test_http_source_404_is_unknown_and_errors_and_timeouts_are_unavailable(crm_http: str) -> None:
    source = HttpCustomers(f"{crm_http}/customers/{{id}}", timeout_s=0.3)

    assert source.lookup(CustomerRef(id="nobody")) is None
    assert source.lookup(CustomerRef(email="only@email.example")) is None  # the template needs an id
    with pytest.raises(CustomerUnavailable, match="answered 500"):
        source.lookup(CustomerRef(id="boom"))
    with pytest.raises(CustomerUnavailable, match="failed"):
        source.lookup(CustomerRef(id="slow"))
