"""Tests for ticketflow.checks.grounding.GroundedFigures: every figure in a reply must be in the context."""

from __future__ import annotations

import dataclasses

from ticketflow.checks.grounding import GroundedFigures, figures
from ticketflow.domain.checks import Verdict
from ticketflow.domain.context import ContextPack, Passage
from ticketflow.domain.customer import Customer, Order
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.draft import Action, Draft
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn
from ticketflow.ports.check import CheckInput

SHIPPING = Passage(
    "kb-ship", "Shipping", "Standard delivery costs 4.95 EUR and takes 3-5 business days.", 2.0
)


def _subject(
    reply: str,
    question: str = "How much is shipping?",
    passages: tuple[Passage, ...] = (SHIPPING,),
    customer: Customer | None = None,
    action: Action = "reply",
) -> CheckInput:
    ticket = Ticket(
        ticket_id_for("api", "m-1"),
        conversation_id_for("api", "m-1"),
        InboundMessage("api", "m-1", CustomerRef(email="ada@example.com"), question),
    )
    context = ContextPack(customer, (), passages, (), rendered="", tokens=0)
    decision = Decision(Route.AUTO, intent="delivery_options", confidence=0.9)
    return CheckInput(ticket, decision, context, Draft(reply, action=action))


def test_figures_from_the_context_pass() -> None:
    result = GroundedFigures().run(_subject("Standard delivery is 4.95 EUR and takes 3-5 business days."))

    assert result.verdict is Verdict.PASS
    assert result.name == "grounding"


def test_invented_figure_fails_and_names_it() -> None:
    result = GroundedFigures().run(_subject("Standard delivery is 4.95 EUR and takes 37 days."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("37",)


def test_decimal_comma_equals_decimal_point() -> None:
    result = GroundedFigures().run(_subject("Standard delivery costs 4,95 EUR."))

    assert result.verdict is Verdict.PASS


def test_different_price_with_the_same_digits_fails() -> None:
    result = GroundedFigures().run(_subject("Standard delivery costs 49.5 EUR."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("49.5",)


def test_order_id_from_the_account_passes_and_an_unknown_one_fails() -> None:
    ada = Customer(
        "C1", "Ada Quill", "ada@example.com", orders=(Order("NW-100234", "shipped", "2025-03-01", "45.90"),)
    )

    known = GroundedFigures().run(_subject("Order NW-100234 has shipped.", customer=ada))
    unknown = GroundedFigures().run(_subject("Order NW-100999 has shipped.", customer=ada))

    assert known.verdict is Verdict.PASS
    assert unknown.verdict is Verdict.FAIL
    assert unknown.evidence == ("nw-100999",)


def test_figures_the_customer_gave_may_be_repeated() -> None:
    result = GroundedFigures().run(
        _subject("Your order 55501 is on its way.", question="Where is order 55501?")
    )

    assert result.verdict is Verdict.PASS


def test_invented_link_fails() -> None:
    result = GroundedFigures().run(_subject("See https://example.com/shipping for details."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("https://example.com/shipping",)


def test_escalation_and_empty_reply_have_nothing_to_ground() -> None:
    assert GroundedFigures().run(_subject("Takes 37 days", action="escalate")).verdict is Verdict.PASS
    assert GroundedFigures().run(_subject("")).verdict is Verdict.PASS


def test_figures_are_normalised_without_trailing_punctuation() -> None:
    assert figures("It costs 4,95. Order NW-100234, see www.example.com.") == {
        "4.95",
        "nw-100234",
        "www.example.com",
    }


def test_figures_from_earlier_turns_of_the_conversation_pass() -> None:
    subject = _subject("Order NW-100234 has tracking 55501.", question="Any news?")
    history = (Turn("agent", "Your order NW-100234 shipped with tracking 55501."),)
    subject = CheckInput(dataclasses.replace(subject.ticket, history=history), *_rest(subject))
    assert GroundedFigures().run(subject).verdict is Verdict.PASS


def test_a_thousands_separator_is_not_a_decimal_comma() -> None:
    passage = Passage("kb-limits", "Limits", "Orders above 1000 EUR need a bank transfer.", 2.0)
    assert GroundedFigures().run(
        _subject("Orders above 1,000 EUR need a transfer.", passages=(passage,))
    ).verdict is (Verdict.PASS)


def _rest(subject: CheckInput) -> tuple[Decision, ContextPack, Draft]:
    return subject.decision, subject.context, subject.draft
