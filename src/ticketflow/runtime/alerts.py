"""Alert rules evaluated by a scheduled durable workflow, and their events sent once to every notifier.

Every ``[alerts] every_s`` a DBOS schedule (``ticketflow.alerts``) enqueues one *pass* on the ``alerts``
queue, which runs one pass at a time across every worker (a pass queued or running absorbs later runs). A
pass is two checkpointed steps and a child workflow per event:

1. ``evaluate``: measure each rule on the store's figures (``ports.alerts.OpsFigures``) and move its state
   (``domain.alerts.advance``), each move written by compare-and-set with its event;
2. ``pending``: the events not yet notified (this pass's, and any a crash left behind);
3. for each, the notification workflow ``alert:{rule}:{seq}:{kind}``: the workflow id is the event, so
   starting it again (a replayed pass, the next pass) attaches to the one that exists. In it, one step per
   notifier, retried with exponential backoff on transient failures (``ChannelUnavailable``), then a step
   that marks the event notified with each notifier's outcome. A completed step is never run again, so a
   notifier that answered is not called twice for one event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS, DBOSConfiguredInstance, EnqueueOptions, SetWorkflowID, StepOptions
from dbos._error import DBOSMaxStepRetriesExceeded
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ticketflow.domain.alerts import (
    AlertEvent,
    AlertRule,
    AlertState,
    BacklogFigures,
    Metric,
    ModelFigures,
    TicketFigures,
    advance,
    measure,
)
from ticketflow.errors import ChannelError, ChannelUnavailable
from ticketflow.ports.alerts import AlertStore, Notifier, OpsFigures
from ticketflow.runtime.batching import INSTANCE
from ticketflow.runtime.polling_desks import every

log = logging.getLogger(__name__)

ALERTS_CLASS = "ticketflow.AlertChecks"
PASS_WORKFLOW = "ticketflow.alerts_pass"
NOTIFY_WORKFLOW = "ticketflow.alert_notify"
SCHEDULE_NAME = "ticketflow.alerts"
QUEUE = "alerts"
_WINDOWED = frozenset({Metric.COST_PER_TICKET, Metric.ESCALATION_RATE, Metric.CHECK_FAILURE_RATE})
_MODEL = frozenset({Metric.MODEL_ERROR_RATE, Metric.MODEL_LATENCY_P95_MS})
_NO_BACKLOG = BacklogFigures()


def _now() -> datetime:
    return datetime.now(UTC)


@DBOS.dbos_class(ALERTS_CLASS)
class AlertChecks(DBOSConfiguredInstance):
    """The alert passes of one runtime: its rules, figures, states and notifiers.

    A configured DBOS instance (create it before ``DBOS.launch()``, once per name in a process), so that a
    pass or notification recovered at launch, or dequeued by another worker, finds it.
    """

    def __init__(
        self,
        rules: Sequence[AlertRule],
        figures: OpsFigures,
        store: AlertStore,
        notifiers: Sequence[Notifier],
        *,
        daily_budget: float | None = None,
        every_s: int = 60,
        max_attempts: int = 6,
        backoff_s: float = 2.0,
        clock: Callable[[], datetime] = _now,
        name: str = INSTANCE,
    ) -> None:
        """``clock`` gives "now" to the evaluation (tests move it past windows and cool-downs)."""
        self.rules = tuple(rules)
        self._figures = figures
        self._store = store
        self._notifiers = {n.name: n for n in notifiers}
        self._budget = daily_budget
        self._every = every_s
        self._max_attempts = max_attempts
        self._backoff = backoff_s
        self.clock = clock
        super().__init__(name)

    def evaluate(self) -> list[AlertEvent]:
        """Measure every rule now and move its state; the events this evaluation made."""
        now = self.clock()
        states = self._store.states()
        tickets: dict[float, TicketFigures] = {}
        models: dict[float, ModelFigures] = {}
        needs = {rule.metric for rule in self.rules}
        backlog = self._figures.backlog(now) if needs & {Metric.BACKLOG_AGE_S, Metric.BACKLOG_DEPTH} else None
        spent = self._figures.spent_today() if Metric.BUDGET_SPENT in needs and self._budget else 0.0
        events: list[AlertEvent] = []
        for rule in self.rules:
            since = now - timedelta(seconds=rule.window_s)
            if rule.metric in _WINDOWED and rule.window_s not in tickets:
                tickets[rule.window_s] = self._figures.tickets(since)
            if rule.metric in _MODEL and rule.window_s not in models:
                models[rule.window_s] = self._figures.models(since)
            reading = measure(
                rule,
                tickets.get(rule.window_s, TicketFigures()),
                models.get(rule.window_s, ModelFigures()),
                backlog or _NO_BACKLOG,
                spent,
                self._budget,
            )
            previous = states.get(rule.name, AlertState(rule.name))
            state, event = advance(rule, previous, reading, now)
            if self._store.advance(previous, state, event) and event is not None:
                log.warning("alert %s", event.summary)
                events.append(event)
        return events

    @DBOS.workflow(name=PASS_WORKFLOW)
    def run_pass(self) -> int:
        """One evaluation, then a notification workflow per event not yet notified; how many were started."""
        DBOS.run_step({"name": "evaluate"}, self.evaluate)
        pending: list[AlertEvent] = DBOS.run_step({"name": "pending"}, self._store.pending)
        for event in pending:
            with SetWorkflowID(event.key):
                DBOS.start_workflow(self.notify, event)
        return len(pending)

    @DBOS.workflow(name=NOTIFY_WORKFLOW)
    def notify(self, event: AlertEvent) -> str:
        """Send ``event`` through every notifier (each its own retried step); what each said."""
        outcomes = [f"{name}: {self._notify_one(name, event)}" for name in sorted(self._notifiers)]
        outcome = "; ".join(outcomes) or "no notifiers configured"
        DBOS.run_step({"name": "notified"}, self._store.notified, event, outcome)
        return outcome

    def _notify_one(self, name: str, event: AlertEvent) -> str:
        options: StepOptions = {
            "name": f"notify {name}",
            "retries_allowed": True,
            "max_attempts": self._max_attempts,
            "interval_seconds": self._backoff,
            "backoff_rate": 2.0,
            "should_retry": lambda exc: isinstance(exc, ChannelUnavailable),
        }
        try:
            DBOS.run_step(options, self._send, name, event)
        except DBOSMaxStepRetriesExceeded:
            log.error("alert %s: %s failed %d times; giving up", event.key, name, self._max_attempts)
            return f"failed after {self._max_attempts} attempts"
        except ChannelError as exc:
            log.error("alert %s: %s refused it: %s", event.key, name, exc)
            return f"refused: {exc}"
        return "sent"

    def _send(self, name: str, event: AlertEvent) -> None:
        notifier = self._notifiers.get(name)
        if notifier is None:  # the notifier was removed from this process's configuration
            log.warning("alert %s: no %s notifier in this process", event.key, name)
            return
        notifier.send(event)

    def schedule(self) -> None:
        """Declare the queue (one pass at a time) and the schedule (create or replace)."""
        DBOS.register_queue(
            QUEUE, global_concurrency=1, polling_interval_sec=1.0, on_conflict="always_update"
        )
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": SCHEDULE_NAME,
                    "workflow_fn": alerts_tick,
                    "schedule": every(self._every),
                    "context": self.config_name,
                }
            ]
        )

    @staticmethod
    def unschedule() -> None:
        """Stop evaluating (``[alerts] enabled = false``): drop the schedule a previous run applied."""
        DBOS.delete_schedule(SCHEDULE_NAME)


@DBOS.workflow(name="ticketflow.alerts_tick")
def alerts_tick(scheduled_at: datetime, context: Any) -> None:
    """The scheduled run: enqueue one pass on the instance the schedule names, unless one is queued or
    running already (this run then attaches to it)."""
    options: EnqueueOptions = {
        "workflow_name": PASS_WORKFLOW,
        "queue_name": QUEUE,
        "class_name": ALERTS_CLASS,
        "instance_name": context if isinstance(context, str) else INSTANCE,
        "deduplication_id": "alerts",
        "duplication_policy": "return-existing",
    }
    DBOS.enqueue_workflow_with_options(options)


def snapshot(rules: Sequence[AlertRule], states: dict[str, AlertState]) -> list[dict[str, Any]]:
    """Every rule with its state, as ``GET /v1/alerts`` and ``ticketflow alerts list`` show it."""

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    rows = []
    for rule in rules:
        state = states.get(rule.name, AlertState(rule.name))
        rows.append(
            {
                "rule": rule.name,
                "status": state.status,
                "severity": rule.severity,
                "metric": rule.metric.value,
                "check": rule.check,
                "threshold": rule.threshold,
                "window_s": rule.window_s,
                "cooldown_s": rule.cooldown_s,
                "description": rule.describe(),
                "value": state.value,
                "firings": state.seq,
                "since": when(state.since),
                "last_fired_at": when(state.last_fired_at),
                "resolved_at": when(state.resolved_at),
                "evaluated_at": when(state.evaluated_at),
            }
        )
    return rows


class AlertCollector(Collector):
    """``ticketflow_alert_firing{rule,severity,metric}`` (1 firing, 0 not), ``ticketflow_alert_value{rule}``
    (the last measured value) and ``ticketflow_alert_firings{rule}``, read from the store at each scrape, so
    every worker reports the same."""

    def __init__(self, rules: Sequence[AlertRule], store: AlertStore) -> None:
        self._rules = tuple(rules)
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        states = self._store.states()
        firing = GaugeMetricFamily(
            "ticketflow_alert_firing",
            "1 while the alert rule fires, else 0",
            labels=["rule", "severity", "metric"],
        )
        value = GaugeMetricFamily(
            "ticketflow_alert_value", "The alert rule's last measured value", labels=["rule"]
        )
        firings = GaugeMetricFamily(
            "ticketflow_alert_firings", "Times the alert rule has fired", labels=["rule"]
        )
        for rule in self._rules:
            state = states.get(rule.name, AlertState(rule.name))
            firing.add_metric([rule.name, rule.severity, rule.metric.value], 1.0 if state.firing else 0.0)
            firings.add_metric([rule.name], float(state.seq))
            if state.value is not None:
                value.add_metric([rule.name], state.value)
        yield firing
        yield value
        yield firings
