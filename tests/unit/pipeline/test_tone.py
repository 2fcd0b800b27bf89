"""Tests for ticketflow.pipeline.tone.score_tone: profanity, anger phrases, shouting, exclamation."""

from __future__ import annotations

import pytest

from ticketflow.domain.rules import ToneLexicon
from ticketflow.pipeline.tone import score_tone

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
