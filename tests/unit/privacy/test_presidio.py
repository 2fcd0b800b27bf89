"""Tests for ticketflow.privacy.presidio: Presidio on a blank spaCy pipeline kept on disk, offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ticketflow.domain.cards import luhn_ok
from ticketflow.privacy.presidio import PresidioPatterns, blank_pipeline
from ticketflow.privacy.recognizers import iban_ok


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> PresidioPatterns:
    return PresidioPatterns(nlp_dir=tmp_path_factory.mktemp("nlp") / "blank")


def _found(detector: PresidioPatterns, text: str) -> set[tuple[str, str]]:
    return {(s.type, s.text_in(text)) for s in detector.find(text)}


def test_the_blank_pipeline_is_written_once_to_disk(tmp_path: Path) -> None:
    path = blank_pipeline(tmp_path / "blank")
    stamp = (path / "config.cfg").stat().st_mtime_ns

    assert (path / "config.cfg").exists()
    assert blank_pipeline(path) == path
    assert (path / "config.cfg").stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at ada.quill@example.com", ("EMAIL_ADDRESS", "ada.quill@example.com")),
        ("my iban is gb82west12345698765432", ("IBAN_CODE", "gb82west12345698765432")),
        ("charge card 4111 1111 1111 1111 please", ("CREDIT_CARD", "4111 1111 1111 1111")),
        ("card 4111 1111 1111 1111 09/27 please", ("CREDIT_CARD", "4111 1111 1111 1111")),
        ("my ssn is 536-22-8761", ("US_SSN", "536-22-8761")),
        ("Phone: (37) 788-063", ("PHONE_NUMBER", "(37) 788-063")),
        ("call +44 20 7946 0970 after six", ("PHONE_NUMBER", "+44 20 7946 0970")),
        ("Hello, my name is Ada Quill.", ("PERSON", "Ada Quill")),
        ("send it to 12 Harbour Road, Apt 4", ("STREET_ADDRESS", "12 Harbour Road, Apt 4")),
    ],
)
def test_each_kind_is_found(detector: PresidioPatterns, text: str, expected: tuple[str, str]) -> None:
    assert expected in _found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "reach me at 020 7946 0958 tonight",
        "i am on 06 12 34 56 78 all day",
        "try 030 1234567 after six",
        "it's 555-123-4567",
        "text 0612345678 pls",
        "ring 087 123 4567",
        "my cell 347 123 4567",
        "reach me on 0151 23456789",
    ],
)
def test_national_phone_formats_are_found_without_a_region_list(
    detector: PresidioPatterns, text: str
) -> None:
    """The numbers Presidio's region-based phone recognizer was there for (GB, FR, DE, IE, US formats)."""
    number = re.search(r"[\d(][\d ()-]+\d", text)
    assert number is not None
    assert ("PHONE_NUMBER", number.group()) in _found(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Standard delivery takes 3-5 business days and costs 4.95 EUR.",
        "Order NW-100234 was placed on 2026-10-01 at 12:02.",
        "Return costs 3.99 USD in the US.",
        "Tracking 1Z681R3GEH0RXY2EAK shows it left Venlo.",
    ],
)
def test_store_facts_are_not_personal_data(detector: PresidioPatterns, text: str) -> None:
    assert detector.find(text) == []


def test_known_values_are_found_whole_and_in_any_case(detector: PresidioPatterns) -> None:
    spans = detector.find("MAYA wrote; mayan art is not her", known=("Maya",))

    assert [(s.type, s.start, s.end) for s in spans] == [("KNOWN", 0, 4)]


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82WEST12345698765433")
