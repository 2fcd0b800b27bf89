"""Postal addresses written as a block of lines, in any country's order.

A street-type word ("Road", "straße") finds "12 Harbour Road" inline (``recognizers.address_recognizer``),
but most of the world writes a street without one ("Laukaantie 80", "864 Piazzetta Scalette Rubiani 104")
and puts the rest on the next lines: a flat or suite, a postcode, a town, a country. A line that is a house
number with capitalised words is taken as a street only when at least one such line follows it, so a
lone "2 Large Boxes" is not an address.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from presidio_analyzer import EntityRecognizer, RecognizerResult

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

_WORD = r"[^\W\d_][\w'’.-]*"
_STREET_LINE = re.compile(
    rf"^(?:\d{{1,5}}[a-zA-Z]?,?\s+)?(?P<words>(?:{_WORD}\s+){{0,5}}{_WORD})(?:,?\s+\d{{1,5}}[a-zA-Z]?)?,?$"
)
_UNIT = re.compile(
    r"(?i)^(?:apt|apartment|app|appt|suite|ste|unit|flat|floor|fl|box|p\.?\s?o\.?\s?box|psc|wohnung|"
    r"étage|piso|puerta|bte|bus|kv|кв|д)\b\.?.*\d"
)
_MILITARY = re.compile(r"^(?:APO|FPO|DPO)\b")
_POSTCODE = re.compile(
    r"\b(?:\d{4,6}(?:-\d{3,4})?|\d{3} \d{2}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d)\b"
)
_PLACE = re.compile(rf"^(?:{_WORD}[ ,]*){{1,4}}$")


_CAP = r"(?:[A-ZÀ-ÝĀ-ŽΑ-ΩА-Я][\w'’-]*\.?|(?:ul|al|os|pl|avda|av|de|del|la|le|di|van|von|der|du)\.?)"
_UNITS = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor)\.?\s*\d{1,5}[A-Za-z]?)"
_INLINE = re.compile(
    # US military mail: PSC 0413, Box 8144 / APO AA 42323
    r"\b(?:PSC|Unit|USNS|USNV|USS|USCGC)\s[^\n]{1,40}\n?\s*(?:APO|FPO|DPO)\s+A[AEP]\s+\d{5}\b"
    # a house number on both sides of capitalised words (6750 Koskikatu 25), or words, number and a flat
    rf"|\b\d{{1,5}}[A-Za-z]?\s+(?:{_CAP}\s+){{0,4}}[A-ZÀ-ÝĀ-Ž][\w'’-]+\s+\d{{1,5}}[A-Za-z]?\b{_UNITS}*"
    rf"|\b(?:{_CAP}\s+){{0,4}}[A-ZÀ-ÝĀ-Ž][\w'’-]+\s+\d{{1,5}}[A-Za-z]?{_UNITS}+"
)


def _has_number(line: str) -> bool:
    return re.search(r"(?<!\w)\d{1,5}[a-zA-Z]?(?!\w)", line) is not None


def _street(line: str) -> bool:
    """A house number and capitalised words, the number first or last."""
    match = _STREET_LINE.match(line)
    if match is None or not _has_number(line):
        return False
    words = match["words"].split()
    return words[0][0].isupper() and sum(w[0].isupper() for w in words) * 2 >= len(words)


_SIGN_OFF = re.compile(
    r"(?i)^(?:thanks?|thank you|regards|best|cheers|sincerely|kind regards|danke|merci|gracias|grazie|"
    r"спасибо|mvh|groeten|saludos|cordialement)\b"
)


def _tail(line: str, after_gap: bool = False) -> bool:
    """A line that continues an address: a flat or box, a postcode line, a town or country name.

    After a blank line only a flat or a postcode line continues it ("Finland 00100", not "Thanks").
    """
    if _SIGN_OFF.match(line):
        return False
    if after_gap:
        return (_UNIT.match(line) or _POSTCODE.search(line)) is not None and _tail(line)
    if "@" in line or len(re.sub(r"\D", "", re.sub(r"\b\d{5}-\d{4}\b", "", line))) > 6:
        return False  # a phone, fax or email line ends the block (a ZIP+4 code does not)
    if _UNIT.match(line) or _MILITARY.match(line):
        return True
    words = line.replace(",", " ").split()
    if not words or len(words) > 6 or len(line) > 60:
        return False
    if _POSTCODE.search(line):
        return True
    return _PLACE.match(line) is not None and all(w[0].isupper() or w.isupper() for w in words)


_ADDRESSEE = re.compile(
    rf"(?:^|:\s*)(?P<name>[A-ZÀ-ÝĀ-Ž][\w'’-]+(?:\s+(?:van|von|de|der|da|del|{_WORD})){{1,3}})\s*$"
)


class AddressBlockRecognizer(EntityRecognizer):
    """A street line followed by address lines (flat, postcode, town, country): the block is one address,
    and a line of two to four capitalised words just above it (or after "address:") is the addressee.
    """

    def __init__(self, score: float = 0.6) -> None:
        """``score`` is what each block found is reported with."""
        self._score = score
        super().__init__(supported_entities=["STREET_ADDRESS", "PERSON"], name="AddressBlockRecognizer")

    def load(self) -> None:
        """Nothing to load: line rules."""

    def _addressee(self, start: int, line: str) -> list[RecognizerResult]:
        match = _ADDRESSEE.search(line)
        if match is None or not all(w[0].isupper() for w in match["name"].split()[::2]):
            return []
        return [
            RecognizerResult("PERSON", start + match.start("name"), start + match.end("name"), self._score)
        ]

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Each address block in ``text``, from its street line to its last address line."""
        lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", text)]
        found = [RecognizerResult("STREET_ADDRESS", *m.span(), self._score) for m in _INLINE.finditer(text)]
        i = 0
        while i < len(lines):
            start, raw = lines[i]
            if not _street(raw.strip()):
                i += 1
                continue
            j = i
            while j + 1 < len(lines):
                gap = text.count("\n", lines[j][0], lines[j + 1][0])
                if gap > 2 or not _tail(lines[j + 1][1].strip(), after_gap=gap > 1):
                    break
                j += 1
            if j > i:
                lead = len(raw) - len(raw.lstrip())
                end = lines[j][0] + len(lines[j][1].rstrip())
                found.append(RecognizerResult("STREET_ADDRESS", start + lead, end, self._score))
                if i > 0:
                    found.extend(self._addressee(*lines[i - 1]))
            i = j + 1
        return found
