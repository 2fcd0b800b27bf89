"""OpenTelemetry spans for one ticket: the ticket, each stage, each model call, with the ledger's figures.

Spans are made only when the pipeline has a tracer (``wiring.telemetry`` gives it one when an OTLP endpoint
is configured); without one nothing here runs, so tracing that is off costs nothing.

- ``ticket``: the whole run, with ``ticketflow.ticket_id``, channel, route, intent, outcome and the ticket's
  model-call totals (calls, tokens, cost);
- ``stage <name>``: each stage, as it runs inside its (durable) step, so a step replayed from its checkpoint
  after a crash makes no span: it did not run again;
- ``model <purpose>``: each model call a stage made (generation, the judge), from the ``Usage`` the ledger
  records: model, tokens, cost, latency, attempt, request id. The call is timed by its measured latency,
  placed from the stage's start (calls of one stage run one after the other).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from opentelemetry.trace import Span, Tracer

from ticketflow.domain.checks import CheckResult
from ticketflow.domain.draft import Draft, Usage
from ticketflow.domain.message import Ticket
from ticketflow.domain.result import TicketResult

T = TypeVar("T")
TICKET_ID = "ticketflow.ticket_id"


def usage_attributes(usage: Usage) -> dict[str, Any]:
    """A model call's ledger figures as span attributes (GenAI conventions where they exist)."""
    attributes: dict[str, Any] = {
        "gen_ai.request.model": usage.model,
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "ticketflow.cache_read_input_tokens": usage.cache_read_input_tokens,
        "ticketflow.cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "ticketflow.cost_usd": usage.cost_usd,
        "ticketflow.latency_ms": usage.latency_ms,
        "ticketflow.projected": usage.projected,
        "ticketflow.purpose": usage.purpose,
        "ticketflow.attempt": usage.attempt,
        "ticketflow.in_doubt": usage.in_doubt,
    }
    if usage.request_id:
        attributes["gen_ai.response.id"] = usage.request_id
    if usage.stop_reason:
        attributes["gen_ai.response.finish_reasons"] = (usage.stop_reason,)
    return attributes


def _calls(result: object) -> tuple[Usage, ...]:
    """The model calls a stage's result carries: a draft's, or the checks' (the model judge)."""
    if isinstance(result, Draft):
        return result.usage
    if isinstance(result, tuple) and result and isinstance(result[0], CheckResult):
        return tuple(u for check in result for u in check.usage)
    return ()


class TicketTrace:
    """The spans of one ticket's run: opened by :meth:`ticket`, stages wrapped by :meth:`stage`."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        self.ticket_id: str | None = None

    def ticket(self) -> Any:
        """The ticket's span, current until the run ends (a context manager)."""
        return self.tracer.start_as_current_span("ticket")

    def known(self, span: Span, ticket: Ticket) -> None:
        """The ticket is loaded: its id on this and every later span."""
        self.ticket_id = ticket.id
        span.set_attribute(TICKET_ID, ticket.id)
        span.set_attribute("ticketflow.channel", ticket.message.channel)

    def stage(self, name: str, fn: Callable[..., T]) -> Callable[..., T]:
        """``fn`` run inside a ``stage <name>`` span, with a ``model`` span per model call it made."""

        def run(*args: Any) -> T:
            with self.tracer.start_as_current_span(f"stage {name}") as span:
                started = time.time_ns()
                span.set_attribute("ticketflow.stage", name)
                result = fn(*args)
                if isinstance(result, Ticket):
                    self.ticket_id = result.id
                if self.ticket_id is not None:
                    span.set_attribute(TICKET_ID, self.ticket_id)
                self._model_spans(_calls(result), started)
                return result

        run.__name__ = getattr(fn, "__name__", name)
        return run

    def _model_spans(self, calls: Iterable[Usage], started_ns: int) -> None:
        at = started_ns
        for usage in calls:
            end = at + int(usage.latency_ms * 1_000_000)
            span = self.tracer.start_span(
                f"model {usage.purpose}", start_time=at, attributes=usage_attributes(usage)
            )
            if self.ticket_id is not None:
                span.set_attribute(TICKET_ID, self.ticket_id)
            span.end(end_time=end)
            at = end

    @staticmethod
    def finished(span: Span, result: TicketResult) -> None:
        """The ticket's outcome and its model-call totals on the ticket span."""
        calls = result.model_calls
        span.set_attribute(TICKET_ID, result.ticket.id)
        span.set_attribute("ticketflow.route", result.decision.route.value)
        if result.decision.intent:
            span.set_attribute("ticketflow.intent", result.decision.intent)
        span.set_attribute("ticketflow.outcome", result.delivery.outcome.value)
        if result.delivery.reason:
            span.set_attribute("ticketflow.outcome_reason", result.delivery.reason)
        span.set_attribute("ticketflow.model_calls", len(calls))
        span.set_attribute("ticketflow.cost_usd", sum(u.cost_usd for u in calls))
        span.set_attribute("gen_ai.usage.input_tokens", sum(u.input_tokens for u in calls))
        span.set_attribute("gen_ai.usage.output_tokens", sum(u.output_tokens for u in calls))
