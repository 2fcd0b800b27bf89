"""Tests for ticketflow.privacy.masking: reversible placeholders before an external model call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ticketflow.domain.pii import PiiSpan
from ticketflow.privacy.masking import PlaceholderMasker, published_values
from ticketflow.privacy.presidio import PresidioPatterns


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> PresidioPatterns:
    return PresidioPatterns(nlp_dir=tmp_path_factory.mktemp("nlp") / "blank")


def test_personal_values_become_numbered_placeholders_and_come_back(detector: PresidioPatterns) -> None:
    text = "name: Maya Lindqvist\nI'm Maya, mail maya@example.com or maya@example.com, card 4111111111111111"
    masker = PlaceholderMasker(detector)

    masked = masker.mask(text, known=("Maya Lindqvist", "Maya"))

    assert "Maya" not in masked.text and "maya@" not in masked.text and "4111" not in masked.text
    assert masked.text.count("<EMAIL_ADDRESS_1>") == 2  # one value, one placeholder
    assert set(masked.types) == {"PERSON", "EMAIL_ADDRESS", "CREDIT_CARD"}
    assert masker.unmask(masked.text, masked) == text


def test_unmask_personalises_a_reply_and_never_confuses_placeholder_numbers(
    detector: PresidioPatterns,
) -> None:
    masker = PlaceholderMasker(detector)
    names = tuple(f"Name{chr(65 + i)}x" for i in range(12))
    masked = masker.mask(" ".join(names), known=names)

    assert masker.unmask("Hi <PERSON_12> and <PERSON_1>", masked) == "Hi NameLx and NameAx"


def test_the_companys_published_contacts_stay_readable(detector: PresidioPatterns) -> None:
    allowed = published_values(detector, ["Email help@northwind.example or call +1 555 0100."])
    masker = PlaceholderMasker(detector, allowed)

    masked = masker.mask("Mail help@northwind.example, not my own ada@example.com")

    assert "help@northwind.example" in masked.text
    assert "ada@example.com" not in masked.text


class NamesAsPeople:
    """A detector that reads each of a few words as a person's name, as the name model does."""

    entities = ("PERSON",)

    def __init__(self, *names: str) -> None:
        self.names = names

    def find(self, text: str, known: tuple[str, ...] = ()) -> list[PiiSpan]:
        found = [
            PiiSpan("PERSON", m.start(), m.end(), 0.85)
            for name in self.names
            for m in re.finditer(re.escape(name), text)
        ]
        return sorted(found, key=lambda s: s.start)


def test_the_companys_own_plan_and_partner_names_stay_readable_but_not_given_names() -> None:
    detector = NamesAsPeople("Starter", "Connect Stripe", "Sophie", "Jennifer Ortiz")
    kb = "# Connect Stripe or PayPal\n**Starter**: 12 USD per month. Ask Sophie in billing for an invoice."
    masker = PlaceholderMasker(detector, published_values(detector, [kb]))

    masked = masker.mask("Is Starter enough to Connect Stripe? I'm Jennifer Ortiz; Sophie helped me.")

    assert "Is Starter enough to Connect Stripe?" in masked.text
    assert "Jennifer Ortiz" not in masked.text
    assert "Sophie" not in masked.text, "a given name published in the KB is still a customer's name"


def test_text_without_personal_data_is_unchanged(detector: PresidioPatterns, tmp_path: Path) -> None:
    masked = PlaceholderMasker(detector).mask("How long does express delivery take?")

    assert masked.text == "How long does express delivery take?"
    assert masked.placeholders == ()
