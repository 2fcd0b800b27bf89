"""Tests for ticketflow.privacy.masking: reversible placeholders before an external model call."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_text_without_personal_data_is_unchanged(detector: PresidioPatterns, tmp_path: Path) -> None:
    masked = PlaceholderMasker(detector).mask("How long does express delivery take?")

    assert masked.text == "How long does express delivery take?"
    assert masked.placeholders == ()
