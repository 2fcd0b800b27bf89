"""Prometheus metrics for the processes that run tickets (exposed by the API at ``/metrics``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram

from ticketflow.domain.customer import CustomerFetch
from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import TicketId
from ticketflow.domain.result import TicketResult


class Unledgered(Protocol):
    """The attempt journal's ``unledgered``: the ticket's journaled attempts the result does not carry."""

    def __call__(
        self, ticket_id: TicketId, known: Sequence[str], *, ledgered_too: bool = False
    ) -> Sequence[Usage]: ...


def fetch_result(fetch: CustomerFetch) -> str:
    """``error``, ``stale``, ``found`` or ``unknown`` (no such customer): the fetch histogram's label."""
    if fetch.error:
        return "error"
    if fetch.stale:
        return "stale"
    return "found" if fetch.found else "unknown"


class TicketMetrics:
    """Counters and histograms fed by the pipeline's ``on_delivered`` hook.

    With ``unledgered`` (the attempt journal's), the model counters also count the ticket's journaled
    attempts that its result does not carry (lost with a killed process, paid all the same): the rows that
    recording the result adds to the ledger, in doubt ones at their estimate.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, *, unledgered: Unledgered | None = None
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self._unledgered = unledgered
        r = self.registry
        self.tickets = Counter("ticketflow_tickets", "Tickets finished", ["route", "outcome"], registry=r)
        self.escalations = Counter(
            "ticketflow_escalations", "Tickets handed to humans", ["reason"], registry=r
        )
        self.check_failures = Counter(
            "ticketflow_check_failures", "Drafts failing a check", ["check"], registry=r
        )
        self.model_calls = Counter(
            "ticketflow_model_calls", "Model calls, projected included", ["model"], registry=r
        )
        self.cost = Counter(
            "ticketflow_model_cost_usd", "Model cost (projected offline)", ["model"], registry=r
        )
        self.tokens = Counter(
            "ticketflow_model_tokens", "Model tokens by kind", ["model", "kind"], registry=r
        )
        self.in_doubt = Counter(
            "ticketflow_model_calls_in_doubt",
            "Model attempts never seen answered (their process died), counted at their estimated cost",
            ["model"],
            registry=r,
        )
        self.stage_seconds = Histogram(
            "ticketflow_stage_seconds",
            "Time spent in each pipeline stage",
            ["stage"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )

        self.fetch_seconds = Histogram(
            "ticketflow_customer_fetch_seconds",
            "Time spent fetching the customer's facts, by source and result",
            ["source", "result"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )

    def observe(self, result: TicketResult) -> None:
        outcome = result.delivery.outcome.value
        self.tickets.labels(result.decision.route.value, outcome).inc()
        if outcome not in ("sent", "declined"):  # a decline is answered, by its configured reply
            self.escalations.labels(result.delivery.reason or "unknown").inc()
        for check in result.checks:
            if check.failed:
                self.check_failures.labels(check.name).inc()
        for usage in self.model_calls_of(result):
            self.model_calls.labels(usage.model).inc()
            if usage.in_doubt:
                self.in_doubt.labels(usage.model).inc()
            self.cost.labels(usage.model).inc(usage.cost_usd)
            self.tokens.labels(usage.model, "input").inc(usage.input_tokens)
            self.tokens.labels(usage.model, "output").inc(usage.output_tokens)
            self.tokens.labels(usage.model, "cache_read").inc(usage.cache_read_input_tokens)
            self.tokens.labels(usage.model, "cache_write").inc(usage.cache_creation_input_tokens)
        for stage, ms in result.timings_ms:
            self.stage_seconds.labels(stage).observe(ms / 1000)
        fetch = result.context.customer_fetch if result.context is not None else None
        if fetch is not None:
            self.fetch_seconds.labels(fetch.source, fetch_result(fetch)).observe(fetch.ms / 1000)

    def model_calls_of(self, result: TicketResult) -> tuple[Usage, ...]:
        """The result's model calls, then the journaled attempts it lost (as the ledger will have them)."""
        calls = result.model_calls
        if self._unledgered is None:
            return calls
        known = [u.attempt_id for u in calls if u.attempt_id]
        # the hook may run after the result is recorded (and the lost attempts ledgered with it)
        return (*calls, *self._unledgered(result.ticket.id, known, ledgered_too=True))
