"""``ticketflow ask``: one message through the whole pipeline in-process, explained.

Nothing is stored or sent: the message becomes a ticket of its own, runs through routing, context,
generation and validation, and the result is laid out for a person (what was decided and why, the context
the model saw, the draft, every check, what it cost or would cost on Claude).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from ticketflow.domain.draft import Usage
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.result import TicketResult
from ticketflow.domain.serialize import jsonable
from ticketflow.wiring.engine import Engine

CHANNEL = "ask"


def customer_of(value: str | None) -> CustomerRef:
    """``--customer``: an address (it has an ``@``) or a customer id; a stand-in address when absent."""
    if value is None or not value.strip():
        return CustomerRef(email="someone@ask.invalid")
    value = value.strip()
    return CustomerRef(email=value) if "@" in value else CustomerRef(id=value)


def ask(
    engine: Engine, text: str, *, customer: str | None = None, subject: str | None = None
) -> TicketResult:
    """Run ``text`` through ``engine``'s pipeline as a new ticket (not stored, nothing delivered)."""
    external = uuid4().hex
    message = InboundMessage(
        channel=CHANNEL,
        external_id=external,
        customer=customer_of(customer),
        text=text,
        subject=subject,
        conversation_ref=external,
        received_at=datetime.now(UTC),
    )
    ticket = Ticket(ticket_id_for(CHANNEL, external), conversation_id_for(CHANNEL, external), message)
    return engine.process(ticket)


@dataclass(frozen=True, slots=True)
class Cost:
    """What the ticket's model calls cost (``charged``) and, offline, what Claude would charge."""

    charged_usd: float
    projected: dict[str, float]
    """Model id → dollars for the same prompt (the offline drafter's projections), empty on Claude."""


def cost_of(result: TicketResult) -> Cost:
    """Dollars charged by real calls, and the offline drafter's per-model projections."""
    charged = sum(u.cost_usd for u in result.model_calls if not u.projected)
    projected: dict[str, float] = {}
    projections: tuple[Usage, ...] = result.draft.projections if result.draft is not None else ()
    for usage in projections:
        projected[usage.model] = projected.get(usage.model, 0.0) + usage.cost_usd
    return Cost(round(charged, 6), {m: round(c, 6) for m, c in projected.items()})


def prompt_of(engine: Engine, result: TicketResult) -> str | None:
    """The first attempt's prompt as the model is given it, personal data masked; None when the ticket
    was not drafted. Built again from the result, the way the generation stage builds it."""
    if result.context is None or result.draft is None:
        return None
    prepared = engine.pipeline.generator.prepare(result.ticket, result.decision, result.context)
    return prepared.request.prompt


def explain(result: TicketResult, prompt: str | None = None) -> dict[str, Any]:
    """The result as one JSON object: decision, context (with ``prompt``, what the model is told),
    draft, checks, delivery, cost, timings."""
    context = result.context
    return {
        "decision": jsonable(result.decision),
        "context": None
        if context is None
        else {
            "tokens": context.tokens,
            "customer": jsonable(context.customer),
            "policies": [p.title for p in context.policies] if context.policies else [],
            "passages": [
                {"source": p.source_id, "title": p.title, "score": round(p.score, 4)}
                for p in context.passages
            ],
            "dropped": list(context.dropped),
            "prompt": prompt,
        },
        "draft": None if result.draft is None else jsonable(result.draft),
        "checks": [jsonable(c) for c in result.checks],
        "delivery": jsonable(result.delivery),
        "cost": jsonable(cost_of(result)),
        "timings_ms": {name: round(ms, 2) for name, ms in result.timings_ms},
    }
