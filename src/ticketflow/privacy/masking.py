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

from collections.abc import Iterable

from ticketflow.ports.pii import MaskedText, PiiDetector

_KNOWN_TYPE = "PERSON"


class PlaceholderMasker:
    def __init__(self, detector: PiiDetector, allowed: Iterable[str] = ()) -> None:
        self._detector = detector
        self._allowed = frozenset(a.lower() for a in allowed)

    def mask(self, text: str, known: tuple[str, ...] = ()) -> MaskedText:
        spans = self._detector.find(text, known)
        if not spans:
            return MaskedText(text)
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


def published_values(detector: PiiDetector, texts: Iterable[str]) -> set[str]:
    """Contact details the company publishes itself (support email, phone): not personal, never masked."""
    found: set[str] = set()
    for text in texts:
        found |= {s.text_in(text) for s in detector.find(text) if s.type in {"EMAIL_ADDRESS", "PHONE_NUMBER"}}
    return found
