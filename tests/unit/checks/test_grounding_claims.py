"""Tests for the claim half of ticketflow.checks.grounding: sentences the context does not support fail."""

from __future__ import annotations

import pytest
from subjects import subject

from ticketflow.checks.grounding import (
    MIN_SUPPORT,
    GroundedFigures,
    amounts,
    claim_words,
    negated,
    spelled_out,
    support_score,
    unsupported_claims,
)
from ticketflow.domain.checks import Verdict


def test_a_sentence_restating_the_policy_passes() -> None:
    reply = "Hi Ada,\n\nWe refund returned items to the original payment method within 5 business days."

    assert GroundedFigures().run(subject(reply)).verdict is Verdict.PASS


@pytest.mark.parametrize(
    "reply",
    [
        "That isn't in our documentation, so we can't say.",
        "Thanks for getting in touch! We're sorry for the wait.",
    ],
)
def test_saying_it_is_not_documented_and_courtesy_pass(reply: str) -> None:
    assert GroundedFigures().run(subject(reply)).verdict is Verdict.PASS


def test_an_invented_feature_fails_naming_its_new_words() -> None:
    result = GroundedFigures().run(subject("Every return includes a reusable bamboo packing crate."))

    assert result.verdict is Verdict.FAIL
    assert "bambo" in result.evidence[0]


def test_a_real_number_with_the_wrong_unit_fails() -> None:
    result = GroundedFigures().run(subject("Refunds arrive within 5 hours."))

    assert result.verdict is Verdict.FAIL
    assert "5 hour" in result.evidence
    assert amounts("3-5 business days, 4,95 EUR") == {("5", "business day"), ("4.95", "eur")}


def test_an_invented_email_address_fails() -> None:
    result = GroundedFigures().run(subject("Write to refunds@northwind-help.com for a faster refund."))

    assert result.verdict is Verdict.FAIL
    assert "refunds@northwind-help.com" in result.evidence


# Sentence-level claims, numbers and negation.


def test_a_close_paraphrase_of_the_policy_passes() -> None:
    reply = "Damaged items are refunded in full, including the original shipping cost."

    assert GroundedFigures().run(subject(reply)).verdict is Verdict.PASS


def test_one_invented_sentence_fails_a_reply_whose_other_sentences_are_supported() -> None:
    reply = (
        "We refund returned items to the original payment method within 5 business days. "
        "Loyal customers also receive a complimentary gift hamper."
    )

    result = GroundedFigures().run(subject(reply))

    assert result.verdict is Verdict.FAIL
    assert len(result.evidence) == 1
    assert "hamper" in result.evidence[0]


def test_an_invented_number_fails_even_in_a_supported_sentence() -> None:
    result = GroundedFigures().run(subject("Standard shipping is free on orders over 90 EUR."))

    assert result.verdict is Verdict.FAIL
    assert "90" in result.evidence


def test_a_claim_that_negates_the_policy_sentence_fails_as_a_contradiction() -> None:
    result = GroundedFigures().run(subject("Items that arrive damaged are not refunded in full."))

    assert result.verdict is Verdict.FAIL
    assert result.evidence[0].startswith("contradicts the context")


def test_a_negation_the_context_holds_passes() -> None:
    source = "Gift cards are not refundable. Returned items are refunded within 5 business days."

    assert unsupported_claims("Gift cards are not refundable, sadly.", source) == []
    assert unsupported_claims("Gift cards are refundable.", source)[0].startswith("contradicts")


def test_a_negated_sentence_wrapped_across_lines_in_the_context_is_one_sentence() -> None:
    # policies are quoted as written: a line break inside a sentence does not cut off its negation
    source = "Ridden bikes cannot be\nreturned, but can be exchanged for another size.\n\nShipping is free."

    assert (
        unsupported_claims("Ridden bikes cannot be returned, but can be exchanged for another size.", source)
        == []
    )
    assert unsupported_claims("Ridden bikes can be returned.", source)[0].startswith("contradicts")


def test_a_reply_of_short_sentences_is_judged_as_a_whole() -> None:
    source = "Standard shipping is free on orders over 60 EUR."

    assert unsupported_claims("Lovely weather. Great films.", source)
    assert unsupported_claims("Shipping is free. Orders too.", source) == []


def test_claim_words_keep_short_words_and_numbers_and_drop_function_words() -> None:
    assert claim_words("The TV is not in the UK box 86") == ["tv", "uk", "box", "86"]
    assert negated("We can't refund that") and negated("never") and not negated("Nothingham note")


def test_the_support_score_is_that_of_the_weakest_claim() -> None:
    source = "Gift cards are not refundable. Returned items are refunded within 5 business days."

    assert support_score("Thanks for getting in touch!", source) == 1.0  # claims nothing
    assert support_score("Returned items are refunded within 5 business days.", source) == 1.0
    assert support_score("Returned items are refunded within 9 business days.", source) == 0.0  # figure
    assert support_score("Gift cards are refundable.", source) == 0.0  # contradiction
    half = support_score("Returned items are refunded. Gift cards travel by llama caravan.", source)
    assert 0.0 < half < MIN_SUPPORT


def test_a_figure_the_context_spells_out_passes_and_another_fails() -> None:
    source = "Our shop has won two design awards. Returns are accepted within five business days."

    assert support_score("The shop has won 2 design awards.", source) == 1.0
    assert support_score("Returns are accepted within 5 business days.", source) == 1.0
    assert support_score("The shop has won 3 design awards.", source) == 0.0
    assert support_score("Returns are accepted within 5 hours.", source) == 0.0
    assert spelled_out("one of two") == "1 of 2"
