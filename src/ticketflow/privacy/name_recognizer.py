"""The name cues (:mod:`ticketflow.privacy.names`) and uncased names (:mod:`ticketflow.privacy.uncased`) as
Presidio recognizers; their own module so that importing the cues (which ``privacy.presidio`` does on import)
does not import Presidio and spaCy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from presidio_analyzer import EntityRecognizer, RecognizerResult

from ticketflow.privacy.names import cued_names
from ticketflow.privacy.uncased import uncased_names

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts


class CuedNameRecognizer(EntityRecognizer):
    """PERSON after a cue (:func:`cued_names`)."""

    def __init__(self, score: float = 0.65) -> None:
        self._score = score
        super().__init__(supported_entities=["PERSON"], name="CuedNameRecognizer")

    def load(self) -> None:
        """Nothing to load: regular expressions."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Each cued name in ``text``."""
        return [RecognizerResult("PERSON", s, e, self._score) for s, e in cued_names(text)]


class UncasedNameRecognizer(EntityRecognizer):
    """PERSON in a text written without capitals (:func:`uncased_names`); needs the model's tagger."""

    def __init__(self, score: float = 0.6) -> None:
        self._score = score
        super().__init__(supported_entities=["PERSON"], name="UncasedNameRecognizer")

    def load(self) -> None:
        """Nothing to load: the word list is read on first use."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Each given name (with its surname) in ``text`` when ``text`` has no capital letter."""
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        return [RecognizerResult("PERSON", s, e, self._score) for s, e in uncased_names(nlp_artifacts.tokens)]
