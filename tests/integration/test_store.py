"""The SQL store on SQLite (and PostgreSQL when configured): the store contract, and the store under the
pipeline (idempotent intake, delivery and ledger, as the engine records them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from store_contract import StoreContract
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.storage.db import MIGRATIONS, create_engine, migrate
from ticketflow.storage.repository import SqlStore
from ticketflow.storage.tables import conversations, messages, metadata, tickets
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


def test_tickets_stored_before_revision_0005_keep_their_ids_and_still_dedupe(database_url: str) -> None:
    engine = create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    old_ticket, old_conversation = ticket_id_for("chat", "m-old"), conversation_id_for("chat", "thread-old")
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:  # as the store wrote them, with ids derived from the channel's
        conn.execute(
            conversations.insert().values(
                id=old_conversation, channel="chat", external_ref="thread-old", created_at=at
            )
        )
        conn.execute(
            tickets.insert().values(
                id=old_ticket,
                workflow_id="msg:chat:m-old",
                conversation_id=old_conversation,
                channel="chat",
                external_id="m-old",
                text="Where is my lamp?",
                received_at=at,
                status="queued",
                updated_at=at,
            )
        )
        conn.execute(
            messages.insert().values(
                conversation_id=old_conversation,
                ticket_id=old_ticket,
                role="customer",
                text="Where is my lamp?",
                at=at,
            )
        )
    migrate(engine)
    store = SqlStore(engine)

    again = store.accept(_message("m-old", "Where is my lamp?", conversation="thread-old"))
    follow_up = store.accept(_message("m-new", "Any news?", conversation="thread-old"))

    assert (again.ticket_id, again.created) == (old_ticket, False)
    assert follow_up.created and follow_up.conversation_id == old_conversation
    assert [t.text for t in store.history(old_conversation, follow_up.ticket_id, 8)] == ["Where is my lamp?"]
    store.close()


def test_the_migrated_schema_is_the_one_the_code_declares(database_url: str) -> None:
    store = SqlStore.open(database_url)
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
        sqlite = conn.dialect.name == "sqlite"
    store.close()

    def sqlite_ignores(diff: Any) -> bool:
        """Revision 0005 widens external_ref on PostgreSQL only: SQLite never enforces a declared length."""
        return (
            sqlite and isinstance(diff, list) and diff[0][0] == "modify_type" and diff[0][3] == "external_ref"
        )

    assert [d for d in differences if not sqlite_ignores(d)] == []


def test_a_database_error_quotes_no_customer_text(database_url: str) -> None:
    engine = create_engine(database_url)
    migrate(engine)
    secret = "my card is 4111 1111 1111 1111 and I live at 1 Elm Street"
    row = {"id": "t-1", "text": secret}
    with pytest.raises(sa.exc.DBAPIError) as raised, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO no_such_table (id, text) VALUES (:id, :text)"), row)
    assert "4111" not in str(raised.value) and "Elm" not in str(raised.value)
    engine.dispose()
