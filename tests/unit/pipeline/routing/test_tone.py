"""Tests for ticketflow.pipeline.routing.tone.score_tone: profanity, anger phrases, shouting, exclamation."""

from __future__ import annotations

import pytest

from ticketflow.domain.rules import ToneLexicon
from ticketflow.pipeline.routing.tone import cue_text, score_tone
from ticketflow.testing import FixedPolarity

LEXICON = ToneLexicon(profanity=frozenset({"damn", "crap"}), anger=("ridiculous", "fed up"))


def test_calm_message_scores_zero_without_evidence() -> None:
    reading = score_tone("Could you tell me when my order ships? Thanks.", LEXICON)

    assert reading.score == 0.0
    assert reading.evidence == ()


def test_one_profanity_scores_point_six() -> None:
    reading = score_tone("This damn lamp is broken", LEXICON)

    assert reading.score == 0.6
    assert reading.evidence == ("damn",)


def test_plural_profanity_counts() -> None:
    assert score_tone("you sell craps", LEXICON).score == 0.6


def test_signals_combine_as_independent_evidence() -> None:
    # 1 - (1 - 0.6) * (1 - 0.6) = 0.84
    assert score_tone("damn this crap", LEXICON).score == pytest.approx(0.84)


def test_multi_word_anger_phrase_is_found_across_punctuation_and_case() -> None:
    reading = score_tone("I am FED-UP... no, Fed up!", LEXICON)

    assert "fed up" in reading.evidence
    assert reading.score >= 0.3


def test_anger_phrase_is_not_found_inside_another_word() -> None:
    assert score_tone("That is unridiculous", LEXICON).score == 0.0


def test_shouting_needs_two_capitalised_words_and_ignores_common_acronyms() -> None:
    assert score_tone("WHY HAS NOBODY ANSWERED me", LEXICON).evidence == ("WHY HAS NOBODY",)
    assert score_tone("WHY HAS NOBODY ANSWERED me", LEXICON).score == 0.15
    assert score_tone("WHERE IS my parcel", LEXICON).score == 0.0  # "IS" is too short to count
    assert score_tone("Shipping to the USA in EUR", LEXICON).score == 0.0
    assert score_tone("Order NOW please", LEXICON).score == 0.0


def test_double_exclamation_adds_a_little() -> None:
    # ridiculous 0.3 and "!!" 0.1: 1 - 0.7 * 0.9 = 0.37
    reading = score_tone("This is ridiculous!!", LEXICON)

    assert reading.score == pytest.approx(0.37)
    assert reading.evidence == ("ridiculous", "!!")


def test_a_complaint_without_negative_words_reads_negative() -> None:
    reading = score_tone("Still waiting for my parcel since Monday", LEXICON, FixedPolarity(0.0))

    assert reading.complaints == ("still waiting",)
    assert reading.negative
    assert reading.sentiment == "negative"
    assert reading.score == 0.0  # unhappy, not angry: no escalation


def test_negative_polarity_from_the_library_reads_negative() -> None:
    assert score_tone("The lamp is dull", LEXICON, FixedPolarity(-0.4)).sentiment == "negative"


def test_a_clearly_positive_message_with_a_complaint_word_is_not_negative() -> None:
    reading = score_tone("No problem at all, thanks a lot!", LEXICON, FixedPolarity(0.8))

    assert reading.complaints == ("problem",)
    assert reading.sentiment == "positive"


def test_shouting_alone_is_not_negative_but_an_angry_word_is() -> None:
    assert score_tone("WHERE WAS THE BUS", LEXICON, FixedPolarity(0.0)).sentiment == "neutral"
    assert score_tone("this is ridiculous", LEXICON, FixedPolarity(0.0)).sentiment == "negative"


def test_without_a_library_thanks_still_read_positive() -> None:
    reading = score_tone("Thank you for the quick help", LEXICON)

    assert reading.polarity == 0.0
    assert reading.sentiment == "positive"


def test_cue_text_appends_the_reading_as_tokens() -> None:
    reading = score_tone("damn, still waiting, thanks", LEXICON, FixedPolarity(-1.0))

    assert cue_text("hello", reading) == "hello tfpolarity0 tfpolarity0 tfcomplaint tfanger tfthanks"
    assert cue_text("hi", score_tone("hi", LEXICON)) == "hi tfpolarity4 tfpolarity4"
