"""Intake under concurrency, against the real store (SQLite, and PostgreSQL when configured).

Messages released together by a barrier, as webhooks and API clients send them: different messages that open
the same new conversation must all be stored on it, identical ones must make one ticket, and neither may fail
on a unique key or on SQLite's write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import pytest
import sqlalchemy as sa

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.views import TicketStatus
from ticketflow.ports.store import Accepted
from ticketflow.storage.repository import SqlStore
from ticketflow.storage.tables import conversations, tickets

PARALLEL = 16
ROUNDS = 3
T = TypeVar("T")


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = SqlStore.open(database_url)
    yield opened
    opened.close()


def _message(external_id: str, thread: str | None, text: str = "Where is my order?") -> InboundMessage:
    return InboundMessage(
        "chat",
        external_id,
        CustomerRef(email="ana@example.com"),
        text,
        conversation_ref=thread,
        received_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    )


def _all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call on its own thread, released together; the results in order (errors re-raised)."""
    gate = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], T]) -> T:
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _accept(store: SqlStore, message: InboundMessage) -> Callable[[], Accepted]:
    return lambda: store.tickets.accept(message)


def test_different_messages_opening_one_new_conversation_are_all_stored_on_it(store: SqlStore) -> None:
    for r in range(ROUNDS):
        thread = f"race-{r}"
        results = _all_at_once(
            [_accept(store, _message(f"race-{r}-{n}", thread, f"message {n}")) for n in range(PARALLEL)]
        )

        assert all(a.created for a in results)
        assert len({a.ticket_id for a in results}) == PARALLEL
        assert len({a.conversation_id for a in results}) == 1, "one thread, one conversation"
        [conversation] = {a.conversation_id for a in results}
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(conversations.c.id).where(conversations.c.external_ref == thread)
            ).all()
            stored = conn.execute(
                sa.select(sa.func.count()).where(tickets.c.conversation_id == conversation)
            ).scalar_one()
        assert [row[0] for row in rows] == [conversation] and stored == PARALLEL


def test_identical_messages_at_once_make_one_ticket_and_the_rest_are_duplicates(store: SqlStore) -> None:
    for r in range(ROUNDS):
        message = _message(f"same-{r}", thread=None)  # also opens a new conversation of its own

        results = _all_at_once([_accept(store, message) for _ in range(PARALLEL)])

        assert len({(a.ticket_id, a.conversation_id, a.workflow_id) for a in results}) == 1
        assert sum(a.created for a in results) == 1, "exactly one answer says it created the ticket"
        ticket_id = results[0].ticket_id
        assert [e.event for e in store.audit.trail(ticket_id)] == ["accepted"]
        turns = store.conversations.history(results[0].conversation_id, ticket_id, 50)
        assert turns == [], "the message is stored once: no copy of it is its own history"
    assert len(store.tickets.unfinished()) == ROUNDS


def test_a_burst_of_writes_of_every_kind_waits_for_the_write_lock_instead_of_failing(
    store: SqlStore,
) -> None:
    accepted = [store.tickets.accept(_message(f"burst-{n}", thread=f"burst-{n}")) for n in range(PARALLEL)]

    def work(n: int) -> Callable[[], None]:
        def run() -> None:
            store.tickets.mark(accepted[n].ticket_id, TicketStatus.PROCESSING)
            store.tickets.accept(_message(f"burst-{n}-follow-up", thread=f"burst-{n}"))
            store.outbox.send(accepted[n].ticket_id, accepted[n].conversation_id, "chat", "On its way.")

        return run

    _all_at_once([work(n) for n in range(PARALLEL)])

    assert len(store.tickets.unfinished()) == 2 * PARALLEL
    assert store.counts()["outbox"] == PARALLEL
