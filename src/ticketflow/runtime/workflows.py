"""DBOS workflows: one per inbound message, a checkpointed step per effect that must not repeat.

Each step costs the system database a read and a write, so the stages share steps where re-running them
after a crash is harmless (``Pipeline.process_stored``): ``triage`` (mark the ticket processing, load it,
intake, routing, context), ``generation`` (each paid call), ``validation`` (the judge may be paid) and
``delivery`` (delivery and the record of the result, both keyed by the ticket).

The workflow id is the message's idempotency key (``msg:{channel}:{external_id}``), so a duplicate webhook
attaches to the existing workflow instead of starting another. The ``tickets`` queue is partitioned by
conversation, one message at a time per conversation, so a thread's turns are answered in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from dbos import DBOS, DBOSConfiguredInstance

from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import Ticket
from ticketflow.domain.result import TicketResult
from ticketflow.domain.views import TicketStatus
from ticketflow.pipeline.runner import Pipeline
from ticketflow.ports.store import TicketStore
from ticketflow.runtime.batching import INSTANCE, TICKET_WORKFLOW, BatchWorkflows
from ticketflow.runtime.sender import Sender

T = TypeVar("T")
TICKETS_QUEUE = "tickets"


def durable_step(name: str, fn: Callable[..., T], *args: Any) -> T:
    """Run one pipeline stage as a DBOS step: its result is checkpointed and replayed after a crash."""
    return DBOS.run_step({"name": name}, fn, *args)


@DBOS.dbos_class("ticketflow.TicketWorkflows")
class TicketWorkflows(DBOSConfiguredInstance):
    """The ticket workflow over one runtime's pipeline and store.

    A configured DBOS instance: DBOS records its name with every ticket workflow, and whichever process
    recovers or dequeues the workflow (this one restarted, another worker) runs it on the instance that
    process registered under that name. Create it before ``DBOS.launch()``, once per name in a process.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        tickets: TicketStore,
        batches: BatchWorkflows | None = None,
        name: str = INSTANCE,
        sender: Sender | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._tickets = tickets
        self._batches = batches
        self._sender = sender
        super().__init__(name)

    @DBOS.workflow(name=TICKET_WORKFLOW)
    def process_ticket(self, ticket_id: str, batch: bool = False) -> TicketResult:
        """``batch``: the ticket was accepted off-peak on a channel that may wait (``runtime.batching``)."""
        tickets = self._tickets
        waits = batch and DBOS.run_step({"name": "batch?"}, self._may_batch)
        defer = self._batches.wait_for_batch if waits and self._batches is not None else None

        def load() -> Ticket:
            tickets.mark(TicketId(ticket_id), TicketStatus.PROCESSING)
            return tickets.load_ticket(TicketId(ticket_id))

        result = self._pipeline.process_stored(load, tickets.finish, step=durable_step, defer=defer)
        if self._sender is not None:  # the durable sender (runtime.sender): a child workflow per ticket
            self._sender.start(ticket_id, result.ticket.conversation_id)
        return result

    def _may_batch(self) -> bool:
        return self._batches is not None and self._batches.within_budget()
