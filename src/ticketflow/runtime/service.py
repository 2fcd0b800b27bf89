"""``Runtime``: start DBOS for an engine, accept messages durably, and wait for results."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime

from dbos import DBOS, DBOSConfig, SetEnqueueOptions, SetWorkflowID, WorkflowHandle

from ticketflow.domain.ids import ConversationId, TicketId
from ticketflow.domain.message import InboundMessage
from ticketflow.domain.result import TicketResult
from ticketflow.runtime import batching
from ticketflow.runtime.metrics import TicketMetrics
from ticketflow.runtime.workflows import TICKETS_QUEUE, bind, process_ticket
from ticketflow.wiring.engine import Engine

log = logging.getLogger(__name__)


def _follow_stderr() -> None:
    """DBOS binds its console log handler to the stderr of the moment it was imported; point it at today's
    (a CLI test runner, or a daemon that redirected its streams, has replaced it since)."""
    for handler in logging.getLogger("dbos").handlers:
        if handler.name == "__dbos_console_log_handler__" and isinstance(handler, logging.StreamHandler):
            handler.stream = sys.stderr  # not setStream(): it flushes the old, possibly closed, stream


class Runtime:
    """One per process (DBOS is a process-wide singleton). Scale out by running more processes.

    Acceptance is durable before the 202: the message is stored as a queued ticket, then enqueued. If the
    process dies between the two, :meth:`start` re-enqueues every unfinished ticket; the workflow id makes
    that a no-op for tickets whose workflow already exists.
    """

    def __init__(self, engine: Engine) -> None:
        if engine.store is None:
            raise ValueError("the runtime needs an engine with a store")
        self.engine = engine
        self.store = engine.store
        self.metrics = TicketMetrics()
        engine.pipeline.hooks.on_delivered.append(self.metrics.observe)
        self._started = False

    def start(self) -> None:
        s = self.engine.settings
        config: DBOSConfig = {
            "name": "ticketflow",
            "system_database_url": s.resolved_system_database_url,
            "log_level": "WARNING",
        }
        if s.runtime.executor_id:
            config["executor_id"] = s.runtime.executor_id
        if self.engine.batch is not None:
            # the batch schedule is applied after launch: let the scheduler see it without a 30 s delay
            config["scheduler_polling_interval_sec"] = 1.0
        bind(self.engine)
        _follow_stderr()
        DBOS(config=config)
        DBOS.launch()
        DBOS.register_queue(
            TICKETS_QUEUE,
            worker_concurrency=s.runtime.worker_concurrency,
            partition_concurrency=1,
            polling_interval_sec=s.runtime.polling_interval_sec,
            on_conflict="always_update",
            # about one model call per ticket (measured 1.0), so limiting tickets limits requests
            limiter=(
                {"limit": s.anthropic.requests_per_minute, "period": 60.0}
                if s.anthropic.requests_per_minute
                else None
            ),
        )
        if self.engine.batch is not None:
            batching.schedule(s.anthropic.batch, polling_interval_sec=s.runtime.polling_interval_sec)
        self._started = True
        resumed = self.resubmit_unfinished()
        if resumed:
            log.info("re-enqueued %d unfinished ticket(s)", resumed)

    def stop(self) -> None:
        if self._started:
            DBOS.destroy(workflow_completion_timeout_sec=0)
            bind(None)
            self._started = False

    def __enter__(self) -> Runtime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _enqueue(self, ticket_id: TicketId, workflow_id: str, conversation_id: ConversationId) -> None:
        channel = workflow_id.split(":", 2)[1]  # msg:{channel}:{external_id}
        batch = self.engine.batch is not None and batching.may_wait(
            self.engine.settings.anthropic.batch,
            channel,
            datetime.now(UTC),
            self.engine.workspace.rules.business_hours,
        )
        # a ticket waiting for its batch must not hold one of the tickets queue's few worker slots
        queue = batching.OFFPEAK_QUEUE if batch else TICKETS_QUEUE
        with SetWorkflowID(workflow_id), SetEnqueueOptions(queue_partition_key=conversation_id):
            DBOS.enqueue_workflow(queue, process_ticket, ticket_id, batch)

    def submit(self, message: InboundMessage) -> tuple[TicketId, bool]:
        """Store and enqueue ``message``; a duplicate returns the existing ticket id and False."""
        accepted = self.store.accept(message)
        self._enqueue(accepted.ticket_id, accepted.workflow_id, accepted.conversation_id)
        return accepted.ticket_id, accepted.created

    def resubmit_unfinished(self) -> int:
        pending = self.store.unfinished()
        for ticket_id, workflow_id, conversation_id in pending:
            self._enqueue(ticket_id, workflow_id, conversation_id)
        return len(pending)

    def result(self, ticket_id: TicketId, timeout: float = 60.0) -> TicketResult:
        """Wait for a ticket's workflow and return its result."""
        view = self.store.ticket_view(ticket_id)
        if view is None:
            raise KeyError(ticket_id)
        workflow_id = f"msg:{view['channel']}:{view['external_id']}"
        deadline = time.monotonic() + timeout
        handle: WorkflowHandle[TicketResult] = DBOS.retrieve_workflow(workflow_id)
        while handle.get_status().status not in (
            "SUCCESS",
            "ERROR",
            "CANCELLED",
            "MAX_RECOVERY_ATTEMPTS_EXCEEDED",
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"ticket {ticket_id} did not finish within {timeout} s")
            time.sleep(0.05)
        result: TicketResult = handle.get_result()
        return result
