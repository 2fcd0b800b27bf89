"""DBOS workflows: one per inbound message, one checkpointed step per stage.

The workflow id is the message's idempotency key (``msg:{channel}:{external_id}``), so a duplicate webhook
attaches to the existing workflow instead of starting another. The ``tickets`` queue is partitioned by
conversation, one message at a time per conversation, so a thread's turns are answered in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dbos import DBOS

from ticketflow.domain.ids import TicketId
from ticketflow.domain.result import TicketResult
from ticketflow.runtime import batching
from ticketflow.wiring.engine import Engine

T = TypeVar("T")
TICKETS_QUEUE = "tickets"


class _Current:
    engine: Engine | None = None


def bind(engine: Engine | None) -> None:
    """Make ``engine`` the one the workflows in this process use."""
    _Current.engine = engine
    batching.bind(engine)


def _engine() -> Engine:
    if _Current.engine is None or _Current.engine.store is None:
        raise RuntimeError("the runtime is not started: call Runtime.start() first")
    return _Current.engine


def durable_step(name: str, fn: Callable[..., T], *args: Any) -> T:
    """Run one pipeline stage as a DBOS step: its result is checkpointed and replayed after a crash."""
    return DBOS.run_step({"name": name}, fn, *args)


@DBOS.workflow(name="ticketflow.process_ticket")
def process_ticket(ticket_id: str, batch: bool = False) -> TicketResult:
    """``batch``: the ticket was accepted off-peak on a channel that may wait (see ``runtime.batching``)."""
    engine = _engine()
    store = engine.store
    assert store is not None
    DBOS.run_step({"name": "start"}, store.mark, TicketId(ticket_id), "processing")
    ticket = DBOS.run_step({"name": "load"}, store.load_ticket, TicketId(ticket_id))
    waits = batch and DBOS.run_step({"name": "batch?"}, batching.within_budget)
    defer = batching.wait_for_batch if waits else None
    result = engine.pipeline.process(ticket, step=durable_step, defer=defer)
    DBOS.run_step({"name": "record"}, store.finish, result)
    return result
