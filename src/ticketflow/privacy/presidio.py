"""A ``PiiDetector``: Presidio's recognizers on a spaCy pipeline, plus values known from the record.

Presidio's default analyzer loads a trained spaCy model (a download) and fails offline. Its ``NlpEngine``
is backed instead by the optional named-entity model installed as a package (``privacy/ner.py``, checked
against the original's metadata; PERSON only) or, without it, by a *blank* English pipeline
(``spacy.blank("en")``, tokenizer only) saved to disk. The pattern recognizers (email, credit card with
Luhn, IBAN, US SSN, IP address; phones by our own shapes, never over a date or time), the cued values
(CVV, passport, date of birth: ``cued.py``), address blocks (``addresses.py``) and the context words that
lift scores work either way; the customer's values on file (``known``) are matched by ``known.py``.

Importing spaCy and Presidio and assembling the analyzer take about a second, so they happen on the first
:meth:`PresidioPatterns.find`, not when the engine is built: ``serve`` answers sooner, and the spans found
are the same.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ticketflow.domain.pii import PiiSpan
from ticketflow.privacy.known import known_spans
from ticketflow.privacy.names import expand
from ticketflow.privacy.ner import NER_LABELS, NerChoice, ner_model

# tldextract (used by the email recognizer) would fetch the public suffix list over the network; its bundled
# snapshot is enough and keeps the run offline.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer

ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "PERSON",
    "STREET_ADDRESS",
    "CVV",
    "PASSPORT",
    "DATE_OF_BIRTH",
)
_MIN_SCORE = {"US_SSN": 0.3}
# When two recognizers claim the same characters, the more specific type wins (an SSN is also phone-shaped).
_PRIORITY = {
    "EMAIL_ADDRESS": 6,
    "IBAN_CODE": 5,
    "CREDIT_CARD": 4,
    "US_SSN": 3,
    "DATE_OF_BIRTH": 3,
    "PASSPORT": 3,
    "CVV": 3,
    "IP_ADDRESS": 2,
}


def blank_pipeline(path: Path) -> Path:
    """A blank English spaCy pipeline saved at ``path`` (written once; nothing is downloaded)."""
    if not (path / "config.cfg").exists():
        import spacy

        path.mkdir(parents=True, exist_ok=True)
        spacy.blank("en").to_disk(path)
    return path


def _recognizers(ner: bool) -> list[EntityRecognizer]:
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        UsSsnRecognizer,
    )

    from ticketflow.privacy.addresses import AddressBlockRecognizer
    from ticketflow.privacy.cued import cued_recognizers
    from ticketflow.privacy.name_recognizer import (
        CuedNameRecognizer,
        ListedNameRecognizer,
        ModelNameRecognizer,
    )
    from ticketflow.privacy.recognizers import (
        CaseInsensitiveIbanRecognizer,
        LoosePhoneRecognizer,
        LuhnCardRecognizer,
        address_recognizer,
        person_recognizer,
    )

    # No Presidio PhoneRecognizer: it runs ``phonenumbers`` over the text once per region (eight of them
    # cost 14 of the 17 ms a prompt's masking took) and found no number the loose recognizer misses, on
    # the PII dev set (identical spans in all 1,107 texts) nor on national formats written without a
    # context word (tests/unit/privacy/test_presidio.py).
    found: list[EntityRecognizer] = [
        EmailRecognizer(),
        LoosePhoneRecognizer(),
        CreditCardRecognizer(),
        LuhnCardRecognizer(),
        IbanRecognizer(),
        CaseInsensitiveIbanRecognizer(),
        UsSsnRecognizer(),
        IpRecognizer(),
        person_recognizer(),
        CuedNameRecognizer(),
        address_recognizer(),
        AddressBlockRecognizer(),
        *cued_recognizers(),
    ]
    if ner:
        found += [ModelNameRecognizer(), ListedNameRecognizer()]
    return found


class PresidioPatterns:
    """Finds personal data offline. ``nlp_dir`` is where the blank spaCy pipeline lives (made if absent).

    The analyzer is assembled on the first :meth:`find` (once, whichever thread asks first).
    """

    entities: tuple[str, ...] = ENTITIES

    def __init__(self, min_score: float = 0.5, nlp_dir: Path | None = None, ner: NerChoice = "auto") -> None:
        """``ner``: "on" needs the named-entity model (:data:`~ticketflow.privacy.ner.NER_PACKAGE`), "auto"
        uses it when installed, "off" never does (cue rules and known values only).
        """
        self._nlp_dir = nlp_dir
        self._ner = ner
        self._min_score = min_score
        self._analyzer: AnalyzerEngine | None = None
        self._lock = threading.Lock()

    def _ready(self) -> AnalyzerEngine:
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    self._analyzer = _analyzer(self._nlp_dir, ner_model(self._ner))
        return self._analyzer

    def find(self, text: str, known: tuple[str, ...] = ()) -> list[PiiSpan]:
        spans: list[PiiSpan] = []
        if text.strip():
            for r in self._ready().analyze(text, language="en", entities=list(ENTITIES)):
                if r.score < _MIN_SCORE.get(r.entity_type, self._min_score):
                    continue
                if r.entity_type == "PERSON" and not _NAME_LIKE.fullmatch(text[r.start : r.end]):
                    continue  # the model's "name" holds digits, "/" or "@": a URL or a handle, not a name
                spans.append(PiiSpan(r.entity_type, r.start, r.end, float(r.score)))
            spans = expand(text, spans)
        known_found = _merge(known_spans(text, known))
        named = [s for s in spans if s.type in _NAMED]
        shaped = [s for s in spans if s.type not in _NAMED]
        return _merge(_outside(named, known_found, text) + shaped)


_UNREAD_PIPES = frozenset({"parser", "senter"})


@functools.lru_cache(maxsize=4)
def _analyzer(nlp_dir: Path | None, model: str | None) -> AnalyzerEngine:
    """Presidio's analyzer on the spaCy pipeline ``model`` (a package name) or, without one, the blank
    pipeline at ``nlp_dir``, with our recognizers and context words.

    One per process and configuration: it holds no per-workspace state (known values are passed to each
    call), and every engine built after the first (a worker's, each test's) would otherwise load the
    spaCy pipeline again.
    """
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    folder = nlp_dir or Path(tempfile.gettempdir()) / f"ticketflow-spacy-blank-en-{spacy.about.__version__}"
    name = model or str(blank_pipeline(folder))
    # Only the model's names are used; its other labels (dates, numbers, places) are dropped unlogged.
    config = NerModelConfiguration(labels_to_ignore=[label for label in NER_LABELS if label != "PERSON"])
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": name}], ner_model_configuration=config)
    engine.load()
    loaded: dict[str, Any] = engine.nlp or {}
    for nlp in loaded.values():
        # Only names and lemmas (for context words) are read: the dependency parser, a third of the
        # pipeline's time on a ticket, feeds neither (the entities are the same with it off).
        for pipe in _UNREAD_PIPES.intersection(nlp.pipe_names):
            nlp.disable_pipe(pipe)
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in _recognizers(ner=model is not None):
        registry.add_recognizer(recognizer)
    # Context after a number counts too: address blocks write "416 60 039 office", "… -Fax".
    enhancer = LemmaContextAwareEnhancer(context_prefix_count=5, context_suffix_count=2)
    return AnalyzerEngine(
        registry=registry, nlp_engine=engine, supported_languages=["en"], context_aware_enhancer=enhancer
    )


_NAME_LIKE = re.compile(r"[^\W\d_]+(?:[\s'’.,()-]+[^\W\d_]+)*[\s.,)]*")
# Found by words, not by shape: a known value inside one keeps its own placeholder (see _outside).
_NAMED = frozenset({"PERSON", "STREET_ADDRESS"})


def _outside(found: list[PiiSpan], known: list[PiiSpan], text: str) -> list[PiiSpan]:
    """``known`` spans, and the parts of each ``found`` span that no known span covers.

    A value on file keeps its own placeholder even inside a longer span the model found ("Maya" in
    "Maya Smith-Jones"); the rest of that span ("Smith-Jones") is still masked, under the found type.
    """
    out = list(known)
    for span in found:
        cursor = span.start
        for k in known:
            if k.end <= cursor or k.start >= span.end:
                continue
            out.extend(_piece(span, cursor, k.start, text))
            cursor = max(cursor, k.end)
        out.extend(_piece(span, cursor, span.end, text))
    return out


def _piece(span: PiiSpan, start: int, end: int, text: str) -> list[PiiSpan]:
    """``span`` cut to ``start:end`` less surrounding spaces and punctuation; nothing under 2 characters."""
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip(" ,.;:-\n\t"))
    trimmed = piece.strip(" ,.;:-\n\t")
    if len(trimmed) < 2:
        return []
    if start == span.start and end == span.end:
        return [span]
    return [PiiSpan(span.type, start + lead, start + lead + len(trimmed), span.score)]


def _merge(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Overlapping spans collapse to the longest one; on equal length the more specific type wins."""
    spans.sort(key=lambda s: (s.start, -(s.end - s.start), -_PRIORITY.get(s.type, 0), -s.score))
    kept: list[PiiSpan] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept
