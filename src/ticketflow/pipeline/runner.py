"""The pipeline: the six stages strung together once, for in-process runs and durable workflows alike.

``Pipeline.process(ticket, step)`` calls every stage through ``step(name, fn, *args)``. In-process the step
just calls ``fn``. The durable runtime calls ``Pipeline.process_stored``, whose steps are checkpoints: they
group the stages so that each paid model call and the delivery end a step of their own, and after a crash
a completed step (a paid model call, a recorded delivery) is replayed from its checkpoint, never re-run.
Routing's ``on_routed`` hooks run once the ticket's context is built (they see routing's decision). A hook
that raises is logged and skipped: metrics and plugins never decide what happens to a ticket.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ticketflow.domain.checks import CheckResult
from ticketflow.domain.context import ContextPack
from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.draft import Draft, Usage
from ticketflow.domain.message import Ticket
from ticketflow.domain.result import TicketResult
from ticketflow.pipeline.canned import CannedValidation
from ticketflow.pipeline.context import ContextBuilder
from ticketflow.pipeline.delivery import Deliverer
from ticketflow.pipeline.generation import Generator, Prepared
from ticketflow.pipeline.intake import Intake
from ticketflow.pipeline.routing import Router
from ticketflow.pipeline.tracing import TicketTrace
from ticketflow.pipeline.validation import Validator
from ticketflow.ports.provider import GenerationRequest

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

log = logging.getLogger(__name__)
T = TypeVar("T")
ERROR = "error"
"""The handoff reason of a ticket whose stages failed for good (``Pipeline.failed``)."""
Step = Callable[..., Any]
"""``step(name, fn, *args)`` runs ``fn(*args)`` as the stage called ``name`` and returns its result."""
Defer = Callable[[GenerationRequest], Draft]
"""Drafts a prepared request some other way than an inline provider call: the durable runtime passes one
that submits it to an off-peak batch and waits for the result."""


def direct(name: str, fn: Callable[..., T], *args: Any) -> T:
    """The in-process step: call the stage at once (no checkpoint)."""
    return fn(*args)


def _timed(fn: Callable[..., T]) -> Callable[..., tuple[T, float]]:
    """Time inside the step, so a replayed step reports the time it took when it really ran."""

    def run(*args: Any) -> tuple[T, float]:
        started = time.perf_counter()
        result = fn(*args)
        return result, round((time.perf_counter() - started) * 1000, 3)

    run.__name__ = getattr(fn, "__name__", "stage")
    return run


def _traced(trace: TicketTrace | None, name: str, fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` in a span of its own when the ticket is traced, else ``fn`` itself."""
    return fn if trace is None else trace.stage(name, fn)


def _known(trace: TicketTrace | None, span: Span | None, ticket: Ticket) -> None:
    """The ticket is loaded (or its triage replayed): its id on the ticket span and the spans after."""
    if trace is not None and span is not None:
        trace.known(span, ticket)


def _grouped(
    fn: Callable[..., T], trace: TicketTrace | None = None
) -> Callable[..., tuple[T, tuple[tuple[str, float], ...]]]:
    """``fn(stage, *args)`` with a ``stage`` that calls and times each stage in place: several stages in
    one step, each one's time measured inside the step and returned with the result (so it is replayed)."""

    def run(*args: Any) -> tuple[T, tuple[tuple[str, float], ...]]:
        spent: list[tuple[str, float]] = []

        def stage(name: str, inner: Callable[..., Any], *inner_args: Any) -> Any:
            result, elapsed = _timed(_traced(trace, name, inner))(*inner_args)
            spent.append((name, elapsed))
            return result

        return fn(stage, *args), tuple(spent)

    return run


@dataclass
class Hooks:
    """Named points where plugins and metrics attach; each receives the result so far."""

    on_routed: list[Callable[[Ticket, Any], None]] = field(default_factory=list)
    on_delivered: list[Callable[[TicketResult], None]] = field(default_factory=list)


@dataclass
class Pipeline:
    """The six stages strung together once, for in-process runs and durable workflows alike."""

    intake: Intake
    router: Router
    context: ContextBuilder
    generator: Generator
    validator: Validator
    delivery: Deliverer
    regenerate: bool = True
    hooks: Hooks = field(default_factory=Hooks)
    tracer: Tracer | None = None
    """OpenTelemetry spans per ticket, stage and model call (``pipeline.tracing``); None: no tracing."""

    def __post_init__(self) -> None:
        self._canned = CannedValidation(self.validator)

    def process(self, ticket: Ticket, step: Step = direct, defer: Defer | None = None) -> TicketResult:
        """Run every stage over ``ticket``, each through a ``step`` of its own."""
        return self._run(lambda: ticket, step, defer, record=None)

    def process_stored(
        self,
        load: Callable[[], Ticket],
        record: Callable[[TicketResult], object],
        step: Step,
        defer: Defer | None = None,
    ) -> TicketResult:
        """Load a stored ticket, run the stages and record the result, in as few ``step`` calls as keep
        every guarantee, for a runtime whose steps are checkpoints (each costs database writes).

        A step may re-run after a crash if its checkpoint was not written, so a step ends with at most one
        effect that must not repeat, and only idempotent work may follow it inside the step:

        - ``triage``: ``load``, intake, routing, a canned answer's checks (no model call) or context
          (deterministic reads; re-running is harmless);
        - ``generation``: one per attempt (the paid model call, alone);
        - ``validation``: one per round (the model judge may be paid);
        - ``delivery``: delivery, then ``record`` (both keyed by the ticket, so a repeat does nothing).

        The result and ``timings_ms`` (per stage, measured inside the steps) are those of :meth:`process`.
        """
        return self._run(load, step, defer, record=record)

    def delivered(self, result: TicketResult) -> None:
        """Tell the ``on_delivered`` hooks (metrics, plugins) about a finished ticket."""
        _notify(self.hooks.on_delivered, result)

    def failed(self, ticket: Ticket, error: str) -> TicketResult:
        """The result for a ticket whose stages failed for good (``error`` says how, with no text of the
        ticket): a person takes it, reason ``error``, with the message as the handoff's excerpt."""
        trigger = Trigger(ERROR, ERROR, f"processing failed ({error}); nothing was sent")
        decision = Decision(Route.ESCALATE, None, 0.0, reasons=(ERROR,), triggers=(trigger,))
        return TicketResult(ticket, decision, self.delivery.run(ticket, decision, None, None, ()))

    def _run(
        self,
        load: Callable[[], Ticket],
        step: Step,
        defer: Defer | None,
        record: Callable[[TicketResult], object] | None,
    ) -> TicketResult:
        if self.tracer is None:
            return self._stages(load, step, defer, record, None, None)
        trace = TicketTrace(self.tracer)
        with trace.ticket() as span:
            result = self._stages(load, step, defer, record, trace, span)
            trace.finished(span, result)
            return result

    def _stages(
        self,
        load: Callable[[], Ticket],
        step: Step,
        defer: Defer | None,
        record: Callable[[TicketResult], object] | None,
        trace: TicketTrace | None,
        span: Span | None,
    ) -> TicketResult:
        grouped = record is not None
        timings: dict[str, float] = {}

        def add(spent: tuple[tuple[str, float], ...]) -> None:
            for name, elapsed in spent:
                timings[name] = round(timings.get(name, 0.0) + elapsed, 3)

        def stage(name: str, fn: Callable[..., T], *args: Any) -> T:
            result, elapsed = step(name, _timed(_traced(trace, name, fn)), *args)
            add(((name, elapsed),))
            return result  # type: ignore[no-any-return]

        if grouped:
            (ticket, routed, decision, context, checks), spent = step(
                "triage", _grouped(self._triage, trace), load
            )
            add(spent)
        else:
            ticket, routed, decision, context, checks = self._triage(stage, load)
        _known(trace, span, ticket)
        _notify(self.hooks.on_routed, ticket, routed)
        draft = None
        judged: tuple[Usage, ...] = ()
        if decision.route is Route.AUTO and context is not None:
            draft = self._generate(stage, defer, ticket, decision, context, (), 1)
            checks = stage("validation", self.validator.run, ticket, decision, context, draft)
            judged = _calls_of(checks)
            feedback = self.validator.feedback(checks)  # empty: passed, or goes straight to review
            if self.regenerate and draft.action == "reply" and feedback:
                retry = self._generate(stage, defer, ticket, decision, context, feedback, 2)
                draft = dataclasses.replace(
                    retry, usage=draft.usage + retry.usage, projections=draft.projections + retry.projections
                )
                checks = stage("validation", self.validator.run, ticket, decision, context, draft)
                judged += _calls_of(checks)

        def deliver() -> TicketResult:
            delivered, elapsed = _timed(_traced(trace, "delivery", self.delivery.run))(
                ticket, decision, context, draft, checks
            )
            spent = {**timings, "delivery": round(timings.get("delivery", 0.0) + elapsed, 3)}
            result = TicketResult(
                ticket=ticket,
                decision=decision,
                delivery=delivered,
                context=context,
                draft=draft,
                checks=checks,
                timings_ms=tuple(spent.items()),
                validation_calls=judged,
            )
            if record is not None:
                record(result)
            return result

        if grouped:
            result: TicketResult = step("delivery", deliver)
        else:
            delivered = stage("delivery", self.delivery.run, ticket, decision, context, draft, checks)
            result = TicketResult(
                ticket=ticket,
                decision=decision,
                delivery=delivered,
                context=context,
                draft=draft,
                checks=checks,
                timings_ms=tuple(timings.items()),
                validation_calls=judged,
            )
        self.delivered(result)
        return result

    def _triage(
        self, stage: Step, load: Callable[[], Ticket]
    ) -> tuple[Ticket, Decision, Decision, ContextPack | None, tuple[CheckResult, ...]]:
        """Intake, routing, then a canned answer's checks (``rule``) or context (``auto``): (ticket,
        routing's decision, the decision after context, which may have escalated it, context, the canned
        answer's check results)."""
        ticket = stage("intake", self.intake.run, load())
        decision = routed = stage("routing", self.router.run, ticket)
        context = None
        checks: tuple[CheckResult, ...] = ()
        if decision.route is Route.RULE and self._canned.names:  # approved text, checked (pipeline.canned)
            checks = stage("validation", self._canned.run, ticket, decision)
        if decision.route is Route.AUTO:
            context = stage("context", self.context.run, ticket, decision)
            if context.handoff:  # the reply needs a fact that could not be fetched live
                reasons = (context.handoff, *decision.reasons)
                decision = dataclasses.replace(decision, route=Route.ESCALATE, reasons=reasons)
        return ticket, routed, decision, context, checks

    def _generate(
        self,
        stage: Step,
        defer: Defer | None,
        ticket: Ticket,
        decision: Decision,
        context: ContextPack,
        feedback: tuple[str, ...],
        attempt: int,
    ) -> Draft:
        if defer is None:
            draft: Draft = stage(
                "generation", self.generator.run, ticket, decision, context, feedback, attempt
            )
            return draft
        prepared: Prepared = stage(
            "generation", self.generator.prepare, ticket, decision, context, feedback, attempt
        )
        waited = defer(prepared.request)  # outside any step: the runtime waits durably
        finished: Draft = stage("generation", self.generator.finish, prepared, waited)
        return finished


def _notify(hooks: list[Callable[..., None]], *args: Any) -> None:
    for hook in hooks:
        try:
            hook(*args)
        except Exception:
            log.exception("hook %s failed; the ticket goes on", getattr(hook, "__qualname__", hook))


def _calls_of(checks: tuple[CheckResult, ...]) -> tuple[Usage, ...]:
    """Model calls made by checks (the model judge), ledgered like generation's."""
    return tuple(u for check in checks for u in check.usage)
