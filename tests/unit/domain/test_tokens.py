"""Tests for ticketflow.domain.tokens: the offline token estimate used for budgets and projections."""

from __future__ import annotations

from ticketflow.domain.tokens import estimate_tokens


def test_empty_text_is_zero_tokens() -> None:
    assert estimate_tokens("") == 0


def test_prose_is_about_four_characters_per_token() -> None:
    assert estimate_tokens("abcd" * 10) == 10
    assert estimate_tokens("hello") == 2


def test_punctuation_heavy_text_uses_the_word_estimate() -> None:
    # 16 characters -> 4 by length, but 16 pieces (8 digits, 8 commas) -> 12 by words
    text = "1,2,3,4,5,6,7,8,"

    assert estimate_tokens(text) == 12


def test_longer_text_never_estimates_fewer_tokens() -> None:
    short = "Where is my order?"

    assert estimate_tokens(short + " It was due on Monday.") > estimate_tokens(short)
