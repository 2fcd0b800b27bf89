"""DBOS workflows: one per inbound message, a checkpointed step per effect that must not repeat.

Each step costs the system database a read and a write, so the stages share steps where re-running them
after a crash is harmless (``Pipeline.process_stored``): ``triage`` (mark the ticket processing, load it,
intake, routing, context), ``generation`` (each paid call), ``validation`` (the judge may be paid) and
``delivery`` (delivery and the record of the result, both keyed by the ticket).

The workflow id is the message's idempotency key (``msg:{channel}:{external_id}``), so a duplicate webhook
attaches to the existing workflow instead of starting another. The ``tickets`` queue is partitioned by
conversation, one message at a time per conversation, so a thread's turns are answered in order.

No accepted ticket is left ``processing`` because a stage failed: ``triage`` and ``delivery``, which may run
again whole, are retried (a database busy past its timeout, a dropped connection), and a ticket whose
stages still fail before anything was delivered goes to a person with reason ``error``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from dbos import DBOS, DBOSConfiguredInstance, StepOptions
from dbos import error as dbos_errors

from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import Ticket
from ticketflow.domain.result import TicketResult
from ticketflow.domain.views import TicketStatus
from ticketflow.pipeline.runner import ERROR, Pipeline
from ticketflow.ports.store import TicketStore, Unfinished
from ticketflow.runtime.batching import INSTANCE, TICKET_WORKFLOW, BatchWorkflows
from ticketflow.runtime.sender import Sender

T = TypeVar("T")
TICKETS_QUEUE = "tickets"
RETRIED_STEPS = frozenset({"triage", "delivery"})
"""Steps that may run again whole (reads, then writes keyed by the ticket), so an error in one is retried:
twice, 1 s and then 2 s later. ``generation`` and ``validation`` may be paid and are never re-run here (the
providers retry their own calls)."""
_RETRIES: StepOptions = {
    "retries_allowed": True,
    "max_attempts": 3,
    "interval_seconds": 1.0,
    "backoff_rate": 2.0,
}

log = logging.getLogger(__name__)


def durable_step(name: str, fn: Callable[..., T], *args: Any) -> T:
    """Run one pipeline stage as a DBOS step: its result is checkpointed and replayed after a crash."""
    options: StepOptions = {"name": name, **(_RETRIES if name in RETRIED_STEPS else {})}
    return DBOS.run_step(options, fn, *args)


def _described(exc: Exception) -> str:
    """What failed, by type and step only: an error's message may quote the ticket or a statement's values."""
    if isinstance(exc, dbos_errors.DBOSMaxStepRetriesExceeded) and exc.errors:
        return f"{type(exc.errors[-1]).__name__} in {exc.step_name}, {len(exc.errors)} attempts"
    return type(exc).__name__


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
        self._stopping = False
        super().__init__(name)

    def stopping(self) -> None:
        """The runtime is stopping: hand nothing off from here. A workflow cut off resumes at the next start
        from its last step; one whose step already failed because of the stop is handed off then."""
        self._stopping = True

    @DBOS.workflow(name=TICKET_WORKFLOW)
    def process_ticket(self, ticket_id: str, batch: bool = False) -> TicketResult:
        """``batch``: the ticket was accepted off-peak on a channel that may wait (``runtime.batching``)."""
        tickets = self._tickets
        waits = batch and DBOS.run_step({"name": "batch?"}, self._may_batch)
        defer = self._batches.wait_for_batch if waits and self._batches is not None else None

        def load() -> Ticket:
            tickets.mark(TicketId(ticket_id), TicketStatus.PROCESSING)
            return tickets.load_ticket(TicketId(ticket_id))

        try:
            result = self._pipeline.process_stored(load, tickets.finish, step=durable_step, defer=defer)
        except Exception as exc:  # cancellation is a BaseException and passes
            if self._stopping:
                raise
            error = _described(exc)
            failed = DBOS.run_step({"name": "failed", **_RETRIES}, self._hand_off, ticket_id, error)
            if failed is None:
                raise
            log.error("ticket %s: processing failed (%s); handed to a person", ticket_id, error, exc_info=exc)
            result = failed
            self._pipeline.delivered(result)
        if self._sender is not None:  # the durable sender (runtime.sender): a child workflow per ticket
            self._sender.start(ticket_id, result.ticket.conversation_id)
        return result

    def hand_off_failed(self, ticket: Unfinished) -> bool:
        """Hand to a person a ticket whose workflow ended in ``ERROR`` (outside any workflow, at start);
        False when something was delivered already."""
        result = self._hand_off(ticket.ticket_id, "its workflow ended in ERROR")
        if result is None:
            return False
        log.error("ticket %s: its workflow had failed; handed to a person", ticket.ticket_id)
        self._pipeline.delivered(result)
        if self._sender is not None:
            self._sender.start(ticket.ticket_id, ticket.conversation_id)
        return True

    def _hand_off(self, ticket_id: str, error: str) -> TicketResult | None:
        """Hand a ticket whose stages failed to a person (reason ``error``) and record it; None when it was
        delivered or handed off already (the failure came after that, and it must not get both).

        An ``error`` handoff already queued but not recorded (an earlier attempt failed between the two
        writes) is written again, which the review queue ignores, and recorded."""
        view = self._tickets.view(TicketId(ticket_id))
        if view is None or view.status is TicketStatus.DONE or view.reply is not None:
            return None
        if view.handoff is not None and view.handoff.reason != ERROR:
            return None
        result = self._pipeline.failed(self._tickets.load_ticket(TicketId(ticket_id)), error)
        self._tickets.finish(result)
        return result

    def _may_batch(self) -> bool:
        return self._batches is not None and self._batches.within_budget()
