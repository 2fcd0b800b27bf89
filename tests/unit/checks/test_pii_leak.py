"""Tests for ticketflow.checks.pii.PiiLeak with the Presidio pattern detector."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ticketflow.checks.pii import PiiLeak
from ticketflow.domain.checks import Verdict
from ticketflow.domain.context import ContextPack, Passage
from ticketflow.domain.customer import Customer
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.draft import Draft
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.pii import PiiSpan
from ticketflow.ports.check import CheckInput
from ticketflow.privacy.presidio import PresidioPatterns

CONTACT = Passage("kb-contact", "Contact us", "Write to help@northwindgoods.com any day.", 2.0)
ADA = Customer("C1", "Ada Quill", "ada.quill@gmail.com")
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def check() -> PiiLeak:
    return PiiLeak(PresidioPatterns())


def _subject(
    reply: str, question: str = "How do I reach you?", customer: Customer | None = ADA
) -> CheckInput:
    ticket = Ticket(
        ticket_id_for("api", "m-1"),
        conversation_id_for("api", "m-1"),
        InboundMessage("api", "m-1", CustomerRef(email="ada.quill@gmail.com"), question),
    )
    context = ContextPack(customer, (), (CONTACT,), (), rendered="", tokens=0)
    decision = Decision(Route.AUTO, intent="contact_customer_service", confidence=0.9)
    return CheckInput(ticket, decision, context, Draft(reply))


def test_card_number_in_a_reply_fails_even_when_the_customer_gave_it(check: PiiLeak) -> None:
    subject = _subject(f"We charged the card {CARD} today.", question=f"Did you charge my card {CARD}?")

    result = check.run(subject)

    assert result.verdict is Verdict.FAIL
    assert result.name == "pii"
    assert result.evidence == (f"CREDIT_CARD: {CARD}",)


def test_company_email_from_the_context_passes(check: PiiLeak) -> None:
    result = check.run(_subject("You can write to help@northwindgoods.com at any time."))

    assert result.verdict is Verdict.PASS


def test_customers_own_email_passes(check: PiiLeak) -> None:
    result = check.run(_subject("We will write to ada.quill@gmail.com shortly."))

    assert result.verdict is Verdict.PASS


def test_someone_elses_email_fails(check: PiiLeak) -> None:
    result = check.run(_subject("Please contact bob.smith@gmail.com about it."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("EMAIL_ADDRESS: bob.smith@gmail.com",)


def test_reply_without_personal_data_passes(check: PiiLeak) -> None:
    result = check.run(_subject("Our team answers within one business day.", customer=None))

    assert result.verdict is Verdict.PASS


def test_an_address_inside_a_known_one_is_still_a_leak(check: PiiLeak) -> None:
    result = check.run(_subject("Write to quill@gmail.com for help."))
    assert result.verdict is Verdict.FAIL
    assert result.evidence == ("EMAIL_ADDRESS: quill@gmail.com",)


@pytest.mark.parametrize(
    ("reply", "evidence"),
    [
        ("We checked the security code 737 you sent.", "CVV: 737"),
        ("Your passport number X4827193 is on file.", "PASSPORT: X4827193"),
    ],
)
def test_a_security_code_or_passport_number_fails_even_when_the_customer_gave_it(
    check: PiiLeak, reply: str, evidence: str
) -> None:
    subject = _subject(reply, question="my CVV is 737 and passport number X4827193")

    result = check.run(subject)

    assert result.verdict is Verdict.FAIL
    assert result.evidence == (evidence,)


class _Flags:
    """A detector that calls one phrase a PERSON, as a name model does with "Select Edit"."""

    def __init__(self, phrase: str) -> None:
        self.phrase = phrase

    def find(self, text: str) -> list[object]:
        from ticketflow.domain.pii import PiiSpan

        at = text.find(self.phrase)
        return [] if at < 0 else [PiiSpan("PERSON", at, at + len(self.phrase), 0.85)]


def test_words_the_article_holds_under_markdown_emphasis_are_not_a_leak() -> None:
    article = Passage(
        "kb-profile", "Profile", "1. Open Account.\n2. Select **Edit** next to the detail.", 2.0
    )
    ticket = Ticket(
        ticket_id_for("api", "m-2"),
        conversation_id_for("api", "m-2"),
        InboundMessage("api", "m-2", CustomerRef(email="ada.quill@gmail.com"), "How do I change my name?"),
    )
    context = ContextPack(ADA, (), (article,), (), rendered="", tokens=0)
    draft = Draft("Open Account, then Select Edit next to the detail.")
    subject = CheckInput(ticket, Decision(Route.AUTO, intent="edit", confidence=0.9), context, draft)

    assert PiiLeak(_Flags("Select Edit")).run(subject).verdict is Verdict.PASS  # type: ignore[arg-type]
    assert PiiLeak(_Flags("Open Account, then")).run(subject).verdict is Verdict.FAIL  # type: ignore[arg-type]


def test_the_companys_own_words_are_not_a_leak() -> None:
    # the voice guide's sign-off or contact line is the company's, not anyone's personal data
    reply = "Write to us at hello@velo-bikes.example any time. The Velo Bikes team"
    without = PiiLeak(PresidioPatterns()).run(_subject(reply))
    own = PiiLeak(PresidioPatterns(), own_text="Velo Bikes\nSign off with hello@velo-bikes.example")

    assert without.verdict is Verdict.FAIL
    assert own.run(_subject(reply)).verdict is Verdict.PASS
    assert own.run(_subject("Write to ada.lovelace@gmail.com.")).verdict is Verdict.FAIL


class _Names:
    """A detector that reads every capitalised word after a greeting as a person, as the name cues do."""

    def find(self, text: str, known: tuple[str, ...] = ()) -> list[Any]:
        return [PiiSpan("PERSON", m.start(1), m.end(1)) for m in re.finditer(r"(?:Hello|Hi) (\w+)", text)]


def test_greeting_the_customer_by_the_name_in_their_own_address_is_no_leak() -> None:
    check = PiiLeak(_Names())
    # ADA writes from ada.quill@gmail.com: "Quill" is theirs, another person's name is not
    assert check.run(_subject("Hi Quill, here you go.", customer=None)).verdict is Verdict.PASS
    assert check.run(_subject("Hello Ada, done.", customer=None)).verdict is Verdict.PASS
    assert check.run(_subject("Hello Bernadette, done.", customer=None)).verdict is Verdict.FAIL
