"""The name cues (:mod:`ticketflow.privacy.names`), the names on the given-name list
(:mod:`ticketflow.privacy.listed`) and the model's names, less what is no name, as Presidio recognizers; their
own module so that importing the cues (which ``privacy.presidio`` does on import) does not import Presidio and
spaCy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from ticketflow.privacy.listed import listed_names
from ticketflow.privacy.names import cued_names, given_names

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts
    from spacy.tokens import Doc


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


class ListedNameRecognizer(EntityRecognizer):
    """PERSON by the given-name list (:func:`listed_names`); needs the model's tagger."""

    def __init__(self, score: float = 0.6) -> None:
        self._score = score
        super().__init__(supported_entities=["PERSON"], name="ListedNameRecognizer")

    def load(self) -> None:
        """Nothing to load: the word list is read on first use."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Each listed given name with its surname in ``text``."""
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        return [RecognizerResult("PERSON", s, e, self._score) for s, e in listed_names(nlp_artifacts.tokens)]


class ModelNameRecognizer(SpacyRecognizer):
    """The model's PERSON entities, less two kinds of word it reads as names in customers' posts: a
    hashtag or handle ("#Winter", "@Delta"), and a single short word in capitals in a text that has lower
    case too (an airport, an airline or a shout: "JFK", "AA", "HELL"). A word on the given-name list is
    kept whatever its shape ("ED").
    """

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"])

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """The model's names in ``text`` less those two kinds."""
        found: list[RecognizerResult] = super().analyze(text, entities, nlp_artifacts)
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return found
        return [r for r in found if not _no_name(text, nlp_artifacts.tokens, r.start, r.end)]


def _no_name(text: str, doc: Doc, start: int, end: int) -> bool:
    if start > 0 and text[start - 1] in "#@":
        return True
    span = doc.char_span(start, end, alignment_mode="expand")
    words = [t.text for t in span if not t.is_punct] if span is not None else []
    if len(words) != 1 or words[0].lower() in given_names():
        return False
    word = words[0]
    return word.isupper() and len(word) <= 4 and any(c.islower() for c in text)
