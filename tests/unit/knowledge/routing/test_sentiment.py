"""Tests for ticketflow.knowledge.routing.sentiment.VaderLexicon: the maintained lexicon library, offline."""

from __future__ import annotations

from ticketflow.knowledge.routing.sentiment import VaderLexicon


def test_polarity_runs_from_negative_complaints_to_positive_thanks() -> None:
    lexicon = VaderLexicon()

    angry = lexicon.polarity("This is terrible service, I am so disappointed and angry.")
    calm = lexicon.polarity("My order number is 1234.")
    happy = lexicon.polarity("Thank you so much, the lamp is wonderful!")

    assert -1.0 <= angry < -0.5
    assert abs(calm) < 0.2
    assert 0.5 < happy <= 1.0


def test_negation_flips_polarity() -> None:
    lexicon = VaderLexicon()

    assert lexicon.polarity("the lamp is not good") < 0 < lexicon.polarity("the lamp is good")
