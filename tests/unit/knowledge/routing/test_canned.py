"""Tests for knowledge.routing.canned: nearest-neighbour canned answers with a calibrated threshold."""

from __future__ import annotations

import numpy as np
import pytest

from ticketflow.knowledge.routing.canned import CannedMatcher, calibrate

PHRASINGS = [
    ("how do I reset my password", "recover_password"),
    ("forgot my password, locked out", "recover_password"),
    ("password reset link please", "recover_password"),
    ("I cannot remember my password", "recover_password"),
    ("which payment methods do you accept", "check_payment_methods"),
    ("can I pay with paypal", "check_payment_methods"),
    ("do you take credit cards", "check_payment_methods"),
    ("what ways can I pay at checkout", "check_payment_methods"),
]
OTHERS = [
    "where is my parcel",
    "my order arrived broken",
    "I want to change my delivery address",
    "cancel my order please",
    "the invoice shows the wrong name",
    "how do I track my shipment",
]


def test_a_close_paraphrase_is_matched_with_its_nearest_example_and_similarity() -> None:
    matcher = CannedMatcher.build(PHRASINGS, OTHERS)
    assert matcher is not None

    match = matcher.match("I forgot my password, how do I reset it?")

    assert match is not None
    assert match.intent == "recover_password"
    assert match.example in {text for text, _ in PHRASINGS}
    assert match.similarity >= matcher.threshold


def test_an_unrelated_message_is_not_matched() -> None:
    matcher = CannedMatcher.build(PHRASINGS, OTHERS)
    assert matcher is not None

    assert matcher.match("my order arrived broken, what now?") is None
    assert matcher.match("") is None


def test_no_examples_means_no_matcher() -> None:
    assert CannedMatcher.build([], OTHERS) is None


def test_threshold_is_the_lowest_cut_that_keeps_matches_precise() -> None:
    similarity = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    right = np.array([True, True, True, False, True, False])

    # at or above 0.65 every match is right; adding 0.6 (wrong) drops precision to 0.75
    assert calibrate(similarity, right, target_precision=0.95) == pytest.approx(0.65)
    # tolerating one error in five moves the cut below 0.5
    assert calibrate(similarity, right, target_precision=0.8) == pytest.approx(0.45)


def test_no_precise_cut_means_nothing_is_ever_matched() -> None:
    assert calibrate(np.array([0.9, 0.8]), np.array([False, False])) > 1.0
