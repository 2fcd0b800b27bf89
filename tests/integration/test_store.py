"""The SQL store on SQLite (and PostgreSQL when configured): the store contract, and the store under the
pipeline (idempotent intake, delivery and ledger, as the engine records them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from store_contract import StoreContract
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.storage.repository import SqlStore
from ticketflow.wiring.engine import Engine


class TestSqlStore(StoreContract):
    @pytest.fixture
    def store(self, database_url: str) -> Iterator[SqlStore]:
        opened = SqlStore.open(database_url)
        yield opened
        opened.close()


def _message(external_id: str, text: str, conversation: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel="chat",
        external_id=external_id,
        customer=CustomerRef(email="ana@example.com"),
        text=text,
        conversation_ref=conversation,
        received_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    )


def test_recording_a_result_twice_writes_the_ledger_once(engine: Engine) -> None:
    assert engine.store is not None
    result = engine.handle(_message("m-3", "How do I change the shipping address on my order NW-100234?"))
    assert result.draft is not None, "this question should be drafted by the model"
    before = engine.store.counts()["ledger"]
    engine.store.finish(result)
    assert engine.store.counts()["ledger"] == before == len(result.model_calls)


def test_the_customer_lookup_is_timed_in_the_store_once_beside_the_model_calls(engine: Engine) -> None:
    store = engine.store
    assert store is not None
    result = engine.handle(_message("m-4", "Where is my order NW-100234?"))
    fetch = result.context.customer_fetch if result.context else None
    assert fetch is not None, "every drafted ticket looks its customer up"
    store.finish(result)
    [row] = store.fetches_for(result.ticket.id)
    assert (row["source"], row["found"], row["latency_ms"]) == (fetch.source, fetch.found, fetch.ms)
    assert row["stale"] == [] and row["error"] is None
    view = store.ticket_view(result.ticket.id)
    assert view is not None and view["fetches"] == [row]
    assert store.counts()["fetches"] == 1


def test_migrations_are_idempotent(engine: Engine, database_url: str) -> None:
    again = SqlStore.open(database_url)
    assert again.counts()["tickets"] == 0
    again.close()


def test_history_holds_earlier_turns_in_order_with_times(engine: Engine) -> None:
    store = engine.store
    assert store is not None
    first = engine.handle(_message("m-4", "How do I track my order?", conversation="thread-9"))
    assert first.delivery.body
    second = store.accept(
        _message("m-5", "Thanks. And how long does delivery take?", conversation="thread-9")
    )
    assert second.conversation_id == first.ticket.conversation_id
    turns = store.history(second.conversation_id, second.ticket_id, limit=8)
    assert [t.role for t in turns] == ["customer", "agent"]
    assert turns[0].text == "How do I track my order?"
    assert turns[1].text == first.delivery.body
    assert all(t.at is not None for t in turns)


def test_every_ticket_has_an_append_only_audit_trail(engine: Engine) -> None:
    assert engine.store is not None
    result = engine.handle(_message("m-6", "What payment methods do you accept?"))
    engine.store.finish(result)  # a replayed record step adds nothing
    trail = engine.store.audit_for(result.ticket.id)
    events = [e["event"] for e in trail]
    assert events[0] == "accepted"
    assert events.count("decided") == 1
    assert ("sent" in events) != ("handed_off" in events)
    decided = next(e for e in trail if e["event"] == "decided")
    assert decided["detail"]["route"] == result.decision.route.value
