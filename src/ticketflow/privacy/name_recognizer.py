"""The name cues (:mod:`ticketflow.privacy.names`) as a Presidio recognizer; its own module so that
importing the cues (which ``privacy.presidio`` does on import) does not import Presidio and spaCy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from presidio_analyzer import EntityRecognizer, RecognizerResult

from ticketflow.privacy.names import cued_names

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
