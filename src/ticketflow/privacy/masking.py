"""Reversible masking: personal values become placeholders (``<PERSON_1>``) before an external model call.

The same value always gets the same placeholder within one text, so a model can still refer to "the email
you gave" consistently; ``unmask`` restores the values in its reply. Values the company publishes itself
(its support address and phone number, found in the knowledge base) are ``allowed`` and stay readable.

::

    masker = PlaceholderMasker(PresidioPatterns())
    masked = masker.mask("I'm Maya, mail me at maya@example.com", known=("Maya",))
    masked.text                      # "I'm <PERSON_1>, mail me at <EMAIL_ADDRESS_1>"
    masker.unmask("Hi <PERSON_1>!", masked)   # "Hi Maya!"
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator

from ticketflow.ports.pii import MaskedText, PiiDetector
from ticketflow.privacy.names import given_names

_KNOWN_TYPE = "PERSON"


class PlaceholderMasker:
    """Reversible masking over a ``PiiDetector``: each personal value becomes a numbered placeholder."""

    def __init__(self, detector: PiiDetector, allowed: Iterable[str] = ()) -> None:
        """``allowed`` is read on the first :meth:`mask` (it may be :func:`published_values`, found then)."""
        self._detector = detector
        self._given = allowed
        self._allowed: frozenset[str] | None = None

    def mask(self, text: str, known: tuple[str, ...] = ()) -> MaskedText:
        spans = self._detector.find(text, known)
        if not spans:
            return MaskedText(text)
        if self._allowed is None:  # two threads may both compute it: the same set either way
            self._allowed = frozenset(a.lower() for a in self._given)
        by_value: dict[str, str] = {}
        counters: dict[str, int] = {}
        pairs: list[tuple[str, str]] = []
        out: list[str] = []
        cursor = 0
        for span in spans:
            value = span.text_in(text)
            if value.lower() in self._allowed:
                continue
            key = value.lower()
            placeholder = by_value.get(key)
            if placeholder is None:
                kind = _KNOWN_TYPE if span.type == "KNOWN" else span.type
                counters[kind] = counters.get(kind, 0) + 1
                placeholder = f"<{kind}_{counters[kind]}>"
                by_value[key] = placeholder
                pairs.append((placeholder, value))
            out.append(text[cursor : span.start])
            out.append(placeholder)
            cursor = span.end
        out.append(text[cursor:])
        return MaskedText("".join(out), tuple(pairs))

    def unmask(self, text: str, masked: MaskedText) -> str:
        # Longest placeholders first, so <PERSON_1> never eats the start of <PERSON_12>.
        for placeholder, value in sorted(masked.placeholders, key=lambda p: -len(p[0])):
            text = text.replace(placeholder, value)
        return text


class PublishedValues:
    """What the company publishes itself, not personal and never masked: its contact details (support
    email, phone), and the names of its own plans, products and partners as its texts capitalise them
    ("Starter", "Connect Stripe"), which the name model reads as people. A given name on the census list
    is not among them: "Ask Sophie in billing" does not unmask a customer called Sophie.

    Found on first iteration, not when made: finding them runs the detector over every policy and article,
    which would load the detector's models while the engine is being built.
    """

    def __init__(self, detector: PiiDetector, texts: Iterable[str]) -> None:
        self._detector = detector
        self._texts = tuple(texts)
        self._found: frozenset[str] | None = None
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[str]:
        if self._found is None:
            with self._lock:
                if self._found is None:
                    self._found = frozenset(self._find())
        return iter(self._found)

    def _find(self) -> set[str]:
        found: set[str] = set()
        for text in self._texts:
            spans = self._detector.find(text)
            found |= {s.text_in(text) for s in spans if s.type in {"EMAIL_ADDRESS", "PHONE_NUMBER"}}
            found |= _own_names(text)
        return found


_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’&.-]*(?:[ ][A-Z][\w'’&.-]*){0,3}")


def _own_names(text: str) -> set[str]:
    """Each run of one to four capitalised words in ``text`` and its single words, less given names."""
    names = given_names()
    found: set[str] = set()
    for run in _CAPITALISED_RUN.findall(text):
        words = run.split(" ")
        found.add(run)
        found |= {w for w in words if len(w) > 1}
    return {f for f in found if not any(w.lower().strip(".'’") in names for w in f.split(" "))}


def published_values(detector: PiiDetector, texts: Iterable[str]) -> PublishedValues:
    """The contact details published in ``texts`` (found when first read): see :class:`PublishedValues`."""
    return PublishedValues(detector, texts)
