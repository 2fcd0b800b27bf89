"""Build ``CheckInput`` values for check tests: a ticket, a decision, a context and a draft."""

from __future__ import annotations

from ticketflow.domain.context import ContextPack, Passage, PolicyQuote
from ticketflow.domain.customer import Customer
from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.draft import Action, Draft
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.ports.check import CheckInput

REFUNDS = PolicyQuote(
    "refunds",
    "Refund policy",
    "We refund returned items to the original payment method within 5 business days of the return arriving "
    "at our warehouse. Items that arrive damaged are refunded in full, including the original shipping cost, "
    "as long as you tell us within 14 days of delivery. Standard shipping is free on orders over 60 EUR.",
)
RETURNS = Passage(
    "kb-returns", "Start a return", "Start a return under Account > Orders > Return items.", 2.0
)


def subject(
    reply: str,
    question: str = "How long does a refund take?",
    *,
    action: Action = "reply",
    route: Route = Route.AUTO,
    reasons: tuple[str, ...] = (),
    tone: float = 0.0,
    injection: bool = False,
    customer: Customer | None = None,
) -> CheckInput:
    ticket = Ticket(
        ticket_id_for("api", "m-1"),
        conversation_id_for("api", "m-1"),
        InboundMessage("api", "m-1", CustomerRef(email="ada@example.com"), question),
    )
    triggers = tuple(Trigger(r, r, f"{r} evidence") for r in reasons)
    decision = Decision(
        route, "get_refund", 0.9, reasons=reasons, triggers=triggers, tone=tone, injection=injection
    )
    context = ContextPack(customer, (REFUNDS,), (RETURNS,), (), rendered="", tokens=0)
    return CheckInput(ticket, decision, context, Draft(reply, action=action))
