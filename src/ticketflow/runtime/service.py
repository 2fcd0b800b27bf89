"""``Runtime``: start DBOS for an engine, accept messages durably, and wait for results."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from datetime import UTC, datetime

from dbos import DBOS, DBOSConfig, DBOSConfiguredInstance, SetEnqueueOptions, SetWorkflowID, WorkflowHandle

from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import InboundMessage
from ticketflow.domain.result import TicketResult
from ticketflow.domain.views import TicketStatus
from ticketflow.ports.store import TicketStore, Unfinished
from ticketflow.runtime import batching
from ticketflow.runtime.alerts import AlertChecks, AlertCollector
from ticketflow.runtime.batching import BatchWorkflows
from ticketflow.runtime.delivery_metrics import DeliveryCollector
from ticketflow.runtime.mail_intake import MailIntake
from ticketflow.runtime.metrics import TicketMetrics
from ticketflow.runtime.polling_desks import DeskPolling
from ticketflow.runtime.polling_email import MailPolling
from ticketflow.runtime.resolution_metrics import ResolutionCollector
from ticketflow.runtime.retention import Retention
from ticketflow.runtime.reviews import ReviewDesk
from ticketflow.runtime.sender import Sender
from ticketflow.runtime.workflows import TICKETS_QUEUE, TicketWorkflows
from ticketflow.wiring import alerts as alert_wiring
from ticketflow.wiring.desks import pollers
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.feedback import window

log = logging.getLogger(__name__)


def _follow_stderr() -> None:
    """DBOS binds its console log handler to the stderr of the moment it was imported; point it at today's
    (a CLI test runner, or a daemon that redirected its streams, has replaced it since)."""
    for handler in logging.getLogger("dbos").handlers:
        if handler.name == "__dbos_console_log_handler__" and isinstance(handler, logging.StreamHandler):
            handler.stream = sys.stderr  # not setStream(): it flushes the old, possibly closed, stream


EXECUTOR_THREADS = "dbos-executor-"
"""The name prefix of DBOS's workflow threads (its ``ThreadPoolExecutor``'s ``thread_name_prefix``)."""


def cut_off_threads() -> list[threading.Thread]:
    """The threads that would keep this process alive after its runtime stopped: workflows that
    ``DBOS.destroy`` cut off (a ticket waiting for its batch sits in ``DBOS.recv`` for up to
    ``[anthropic.batch] max_wait_s``, a delivery in its back-off sleep) and anything else not a daemon.

    A workflow thread counts even when it is a daemon: a worker thread inherits that flag from the thread
    that first submitted to the pool (DBOS's queue thread is a daemon), yet ``concurrent.futures`` joins
    every pool thread at exit all the same. A scheduled batch run waiting for a collector that no queue
    will start any more kept a test session from ending that way."""
    main = threading.main_thread()
    return [
        t
        for t in threading.enumerate()
        if t is not main and t.is_alive() and (not t.daemon or t.name.startswith(EXECUTOR_THREADS))
    ]


def exit_stopped(code: int = 0) -> None:
    """End a process whose runtime has stopped without waiting for the workflow threads it cut off.

    The interpreter would join each (for up to a day, for a ticket waiting on its batch); their workflows
    are durable and resume from their last recorded step at the next start, as after a crash, so there is
    nothing to wait for. Logs what was cut off, flushes, and exits with ``code`` without running atexit
    hooks (close the engine first: it flushes trace spans and closes clients)."""
    cut = cut_off_threads()
    if cut:
        log.info(
            "stopped with %d workflow thread(s) cut off (%s); they resume at the next start",
            len(cut),
            ", ".join(sorted(t.name for t in cut)),
        )
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def _unregister(instance: DBOSConfiguredInstance) -> None:
    """Take a stopped runtime's instance out of DBOS's process-wide registry, so that the next runtime in
    this process (tests; a restart in place) can register its own under the same name. DBOS offers no
    public call for this (an instance normally lives as long as its process), hence the private access."""
    from dbos._dbos import _get_or_create_dbos_registry
    from dbos._registrations import _class_fqn

    key = f"{_class_fqn(type(instance))}/{instance.config_name}"
    registry = _get_or_create_dbos_registry()
    if registry.instance_info_map.get(key) is instance:
        del registry.instance_info_map[key]


class Runtime:
    """One per process (DBOS is a process-wide singleton). Scale out by running more processes.

    Acceptance is durable before the 202: the message is stored as a queued ticket, then enqueued. If the
    process dies between the two, :meth:`start` re-enqueues every unfinished ticket; the workflow id makes
    that a no-op for tickets whose workflow already exists.
    """

    def __init__(self, engine: Engine, *, mail_intake: bool = False) -> None:
        """``mail_intake``: also listen for mail (``[channels.email]``): ``serve`` and ``worker`` do."""
        if engine.store is None:
            raise ValueError("the runtime needs an engine with a store")
        self.engine = engine
        self.store = engine.store
        self.tickets: TicketStore = engine.store.tickets
        self.metrics = TicketMetrics(unledgered=engine.store.attempts.unledgered)
        engine.pipeline.hooks.on_delivered.append(self.metrics.observe)
        self.metrics.registry.register(DeliveryCollector(engine.store.deliveries))
        resolution = ResolutionCollector(engine.store.feedback, window(engine.settings.feedback))
        self.metrics.registry.register(resolution)
        self._mail = MailIntake(self) if mail_intake and engine.settings.channels.email else None
        self._sender: Sender | None = None
        self._polling: MailPolling | None = None
        self._workflows: TicketWorkflows | None = None
        self._batches: BatchWorkflows | None = None
        self._pollers = pollers(engine.settings.channels, engine.channels)
        self._desk_polling: DeskPolling | None = None
        self._retention: Retention | None = None
        self.alert_rules = alert_wiring.rules(engine.settings.alerts)
        self._notifiers = alert_wiring.notifiers(engine.settings) if engine.settings.alerts.enabled else ()
        self.metrics.registry.register(AlertCollector(self.alert_rules, engine.store.alerts))
        self.alerts: AlertChecks | None = None
        self._started = False
        self.reviews = ReviewDesk(
            engine.store.review_desk,
            self.tickets,
            engine.pipeline,
            engine.settings.reviews,
            engine.workspace.rules.business_hours,
            dispatch=self._send_reviewed,
        )
        """The review queue agents work (``runtime.reviews``); its replies go out through this sender."""

    def start(self) -> None:
        s = self.engine.settings
        config: DBOSConfig = {
            "name": "ticketflow",
            "system_database_url": s.resolved_system_database_url,
            "log_level": "WARNING",
        }
        if s.runtime.executor_id:
            config["executor_id"] = s.runtime.executor_id
        if not s.resolved_system_database_url.startswith("sqlite"):
            # DBOS pings every connection it checks out: a round trip before each of a step's two
            # transactions. It retries any statement that fails on a lost connection (until the database
            # answers again), so the ping buys nothing but latency.
            config["db_engine_kwargs"] = {"pool_pre_ping": False}
        if self.engine.batch is not None or self._pollers or (s.alerts.enabled and s.alerts.every_s < 60):
            # the batch and polling schedules are applied after launch: let the scheduler see them without
            # a 30 s delay
            config["scheduler_polling_interval_sec"] = 1.0
        _follow_stderr()
        DBOS(config=config)
        self._bind()
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
        if self._batches is not None:
            self._batches.schedule(polling_interval_sec=s.runtime.polling_interval_sec)
        Sender.register_queue(s.runtime.polling_interval_sec, s.runtime.worker_concurrency)
        if self._polling is not None:
            self._polling.schedule()
        if self._desk_polling is not None:
            self._desk_polling.schedule()
        if self._retention is not None:
            self._retention.schedule()
        if self.alerts is not None:
            self.alerts.schedule()
        else:
            AlertChecks.unschedule()
        self._started = True
        reviewed = self.reviews.resume()
        if reviewed:
            log.info("re-enqueued %d reviewed repl(ies)", reviewed)
        if self._mail is not None:
            self._mail.start()
        resumed = self.resubmit_unfinished()
        if resumed:
            log.info("re-enqueued %d unfinished ticket(s)", resumed)

    @property
    def mail_intake(self) -> MailIntake | None:
        """The SMTP intake this runtime runs (``mail_intake=True`` and ``[channels.email]``), else None."""
        return self._mail

    def _bind(self) -> None:
        """Register this runtime's workflow instances with DBOS (after its constructor, before launch, so
        that the workflows recovered at launch find them)."""
        engine, store = self.engine, self.store
        if engine.batch is not None:
            self._batches = BatchWorkflows(
                engine.batch,
                engine.settings.anthropic.batch,
                store.batch_claims,
                store.ledger.spent_today,
                engine.settings.anthropic.daily_budget_usd,
            )
        self._sender = Sender(
            engine.channels,
            self.tickets,
            store.deliveries,
            store.mail,
            engine.settings.delivery,
            engine.workspace.rules.business_hours,
            feedback_links=engine.feedback_links,
        )
        self._workflows = TicketWorkflows(engine.pipeline, self.tickets, self._batches, sender=self._sender)
        email = engine.settings.channels.email
        if email is not None and email.imap is not None:
            self._polling = MailPolling(self)
        self._desk_polling = DeskPolling(self._pollers, store.cursors, self.submit)
        if engine.settings.retention.sweep_schedule:
            self._retention = Retention(engine.settings)
        alerts = engine.settings.alerts
        if alerts.enabled:
            self.alerts = AlertChecks(
                self.alert_rules,
                store.figures,
                store.alerts,
                self._notifiers,
                daily_budget=engine.settings.anthropic.daily_budget_usd,
                every_s=alerts.every_s,
                max_attempts=alerts.max_attempts,
                backoff_s=alerts.backoff_s,
            )

    def stop(self) -> None:
        if self._started:
            if self._mail is not None:
                self._mail.stop()
            if self._sender is not None:
                self._sender.drain(timeout=5.0)
            if self._workflows is not None:
                self._workflows.stopping()
            DBOS.destroy(workflow_completion_timeout_sec=0)
            instances = (
                self._workflows,
                self._batches,
                self._sender,
                self._polling,
                self._desk_polling,
                self.alerts,
            )
            for instance in instances:
                if instance is not None:
                    _unregister(instance)
            if self._retention is not None:
                _unregister(self._retention)
            self._workflows = self._batches = self._sender = self._polling = self._desk_polling = None
            self._retention = None
            self.alerts = None
            self._started = False

    def __enter__(self) -> Runtime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _enqueue(self, ticket: Unfinished) -> None:
        if self._workflows is None:
            raise RuntimeError("the runtime is not started: call Runtime.start() first")
        channel = ticket.workflow_id.split(":", 2)[1]  # msg:{channel}:{external_id}
        batch = self.engine.batch is not None and batching.may_wait(
            self.engine.settings.anthropic.batch,
            channel,
            datetime.now(UTC),
            self.engine.workspace.rules.business_hours,
        )
        # a ticket waiting for its batch must not hold one of the tickets queue's few worker slots
        queue = batching.OFFPEAK_QUEUE if batch else TICKETS_QUEUE
        with SetWorkflowID(ticket.workflow_id), SetEnqueueOptions(queue_partition_key=ticket.conversation_id):
            DBOS.enqueue_workflow(queue, self._workflows.process_ticket, ticket.ticket_id, batch)

    def _send_reviewed(self, ticket_id: str, conversation_id: str, body: str) -> None:
        if self._sender is None:
            raise RuntimeError("the runtime is not started: call Runtime.start() first")
        self._sender.start_reviewed(ticket_id, conversation_id, body)

    def enqueue(self, ticket: Unfinished) -> None:
        """Enqueue the workflow of a ticket already accepted (idempotent by workflow id)."""
        self._enqueue(ticket)

    def submit(self, message: InboundMessage, *, submitted_by: str | None = None) -> tuple[TicketId, bool]:
        """Store and enqueue ``message``; a duplicate returns the existing ticket id and False.

        ``submitted_by`` is the API key that posted it, whose webhook (if any) receives the replies.
        """
        accepted = self.tickets.accept(message, submitted_by=submitted_by)
        if not accepted.created and self.finished(accepted.ticket_id):
            # its workflow may be pruned already ([retention] checkpoints): enqueueing would run it again
            return accepted.ticket_id, False
        self._enqueue(Unfinished(accepted.ticket_id, accepted.workflow_id, accepted.conversation_id))
        return accepted.ticket_id, accepted.created

    def finished(self, ticket_id: TicketId) -> bool:
        """Whether the ticket is done (its workflow may be pruned already: never enqueue it again)."""
        view = self.tickets.view(ticket_id)
        return view is not None and view.status is TicketStatus.DONE

    def resubmit_unfinished(self) -> int:
        """Enqueue every unfinished ticket again (idempotent by workflow id), and hand to a person each one
        whose workflow ended in ``ERROR`` (an earlier version's, or a handoff that failed too): enqueueing
        its id again would only return that error, and the ticket would wait for nobody."""
        if self._workflows is None:
            raise RuntimeError("the runtime is not started: call Runtime.start() first")
        pending = self.tickets.unfinished()
        failed = self._failed_workflows([t.workflow_id for t in pending])
        for ticket in pending:
            if ticket.workflow_id not in failed:
                self._enqueue(ticket)
                continue
            try:  # another worker starting at the same moment may hand it off first
                handed = self._workflows.hand_off_failed(ticket)
            except Exception:
                log.exception("ticket %s: its failed workflow could not be handed off", ticket.ticket_id)
                continue
            if not handed:
                log.warning(
                    "ticket %s: its workflow failed after a delivery; left for an operator", ticket.ticket_id
                )
        return len(pending)

    @staticmethod
    def _failed_workflows(ids: list[str], chunk: int = 500) -> set[str]:
        """Which of ``ids`` are ticket workflows that ended in ``ERROR`` (asked in chunks: a backlog can hold
        thousands, beyond what one statement may bind)."""
        failed: set[str] = set()
        for start in range(0, len(ids), chunk):
            found = DBOS.list_workflows(
                workflow_ids=ids[start : start + chunk],
                status="ERROR",
                name=batching.TICKET_WORKFLOW,
                load_input=False,
                load_output=False,
            )
            failed.update(w.workflow_id for w in found)
        return failed

    def result(self, ticket_id: TicketId, timeout: float = 60.0) -> TicketResult:
        """Wait for a ticket's workflow and return its result."""
        view = self.tickets.view(ticket_id)
        if view is None:
            raise KeyError(ticket_id)
        workflow_id = view.workflow_id
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
