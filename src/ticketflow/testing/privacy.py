"""Fakes of the PII ports: a detector that finds the values it is given, and a masker built on it."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ticketflow.domain.pii import PiiSpan
from ticketflow.ports.pii import MaskedText


class ListedPii:
    """A ``PiiDetector`` that finds the listed values (``{value: entity type}``) and the ``known`` ones
    (type ``KNOWN``, as the real detector reports values on file), anywhere and in any case.

    Where two finds overlap the longer one is kept, so ``"Ada Quill"`` is found once, not as ``"Ada"`` too.
    """

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.values = dict(values or {})
        self.entities: tuple[str, ...] = tuple(sorted({*self.values.values(), "KNOWN"}))

    def find(self, text: str, known: tuple[str, ...] = ()) -> list[PiiSpan]:
        listed = [*self.values.items(), *((value, "KNOWN") for value in known if value)]
        found = [
            PiiSpan(kind, m.start(), m.end())
            for value, kind in listed
            for m in re.finditer(re.escape(value), text, flags=re.IGNORECASE)
        ]
        kept: list[PiiSpan] = []
        for span in sorted(found, key=lambda s: (s.start, s.start - s.end)):
            if not kept or span.start >= kept[-1].end:
                kept.append(span)
        return kept


class ListedMasker:
    """A ``PiiMasker`` that replaces what a :class:`ListedPii` over ``values`` finds by ``<TYPE_n>``
    placeholders (a known value by ``<PERSON_n>``), one per distinct value; it records each text it masks."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._detector = ListedPii(values)
        self.masked: list[str] = []

    def mask(self, text: str, known: tuple[str, ...] = ()) -> MaskedText:
        self.masked.append(text)
        placeholders: dict[str, str] = {}  # value -> placeholder, in order of first appearance
        counts: dict[str, int] = {}
        out, cursor = "", 0
        for span in self._detector.find(text, known):
            value = span.text_in(text)
            if value not in placeholders:
                kind = "PERSON" if span.type == "KNOWN" else span.type
                counts[kind] = counts.get(kind, 0) + 1
                placeholders[value] = f"<{kind}_{counts[kind]}>"
            out, cursor = out + text[cursor : span.start] + placeholders[value], span.end
        pairs = tuple((placeholder, value) for value, placeholder in placeholders.items())
        return MaskedText(out + text[cursor:], pairs)

    def unmask(self, text: str, masked: MaskedText) -> str:
        # longest first, so <PERSON_1> never eats the start of <PERSON_12>
        for placeholder, value in sorted(masked.placeholders, key=lambda p: -len(p[0])):
            text = text.replace(placeholder, value)
        return text
