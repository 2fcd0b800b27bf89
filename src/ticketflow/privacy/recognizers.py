"""Pattern recognizers added to Presidio's own, for the formats its defaults miss.

Presidio's phone recognizer accepts only numbers that ``phonenumbers`` considers valid in the regions it is
given (and costs a pass per region), its card recognizer only known issuer prefixes, and its IBAN
recognizer only upper case. Customers write "my iban is
gb42nawi…", 19-digit cards and office numbers like "(37) 788-063"; these recognizers take them, each with a
checksum or a shape test that keeps precision. Names and street addresses get rules for the common cues
("my name is …", "Mr …", "12 Harbour Road"), since a blank spaCy pipeline has no NER.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

from ticketflow.domain.cards import card_spans
from ticketflow.privacy.cued import date_time_spans

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts


def iban_ok(value: str) -> bool:
    """Whether an IBAN's length, country and mod-97 checksum are right."""
    compact = re.sub(r"\s", "", value).upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rotated = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rotated))
    except ValueError:
        return False
    return number % 97 == 1


class LuhnCardRecognizer(EntityRecognizer):
    """Card numbers as the ticket store truncates them (``domain.cards.card_spans``): 12 to 19 digits,
    grouped or not, passing the Luhn checksum, one written against its expiry or security code ("4111 1111
    1111 1111 09/27") included, which a single pattern reads as one run of digits that fails Luhn."""

    NAME = "LuhnCardRecognizer"

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["CREDIT_CARD"],
            name=self.NAME,
            context=["card", "credit", "debit", "visa", "mastercard", "amex", "charge"],
        )

    def load(self) -> None:
        """Nothing to load: the spans come from ``card_spans``."""

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        return [
            RecognizerResult(
                entity_type="CREDIT_CARD",
                start=start,
                end=end,
                score=self.MAX_SCORE,
                analysis_explanation=AnalysisExplanation(
                    self.NAME, self.MAX_SCORE, textual_explanation="Luhn-valid card digits"
                ),
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.NAME,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for start, end in card_spans(text)
        ]


class CaseInsensitiveIbanRecognizer(PatternRecognizer):
    """An IBAN in any case, grouped or not, checked with the ISO 13616 mod-97 rule."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="IBAN_CODE",
            name="CaseInsensitiveIbanRecognizer",
            patterns=[Pattern("iban", r"(?i)\b[a-z]{2}\d{2}(?: ?[a-z0-9]){11,30}\b", 0.6)],
            context=["iban", "bank", "account", "transfer"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        return iban_ok(pattern_text)


STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Square|Sq|"
    r"Terrace|Close|Crescent|Parkway|Pkwy|Highway|Hwy|straat|strasse|straße|weg|gasse|laan|plein|"
    r"vej|gade|katu|tér|utca|Rua|Via|Calle|Avenida|Rue|quai|avenue)"
)
_NOT_STREET = rf"(?!\s+(?:[A-Za-zÀ-ÿ'.-]+\s+){{0,3}}{STREET_SUFFIX}\b)"
_EXT = r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?"
_INTL = r"(?:\+|00)\d{1,3}[ .-]?(?:\(\d{1,4}\)|\d{1,4})(?:[ .-]?(?:\(\d{1,4}\)|\d{2,8})){1,4}"
_NANP = r"(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4}"
_GROUPED = r"(?:\(\d{1,4}\)|\d{1,5})(?:[ .-]{1,2}(?:\(\d{1,4}\)|\d{2,8})){1,5}"  # 07700 900123
_DATE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.]\d{2,4}$"
)


class LoosePhoneRecognizer(PatternRecognizer):
    """Grouped digit runs shaped like phone numbers (7-15 digits, an optional extension), dates excluded.

    The base score is low; the words around it ("phone", "fax", "office", "mobile") lift it through
    Presidio's context enhancement: shapes that are phones on their own (``+44 …``, ``(555) 123-4567``)
    pass without context; loose digit groups need a context word nearby.
    """

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            name="LoosePhoneRecognizer",
            patterns=[
                Pattern("international", rf"(?<![\w+]){_INTL}{_EXT}(?![\w/])", 0.5),
                Pattern("north american", rf"(?<![\w+./-]){_NANP}{_EXT}(?![\w/])", 0.5),
                Pattern("grouped digits", rf"(?<![\w+./-]){_GROUPED}{_EXT}(?![\w/]){_NOT_STREET}", 0.25),
                Pattern("digits", r"(?<![\w+./-])0?\d{9,11}(?![\w/])", 0.2),
            ],
            context=["phone", "tel", "telephone", "mobile", "cell", "fax", "office", "call", "number"],
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Phone-shaped digit runs, less any touching a date or a time (``2026-11-24T07:51`` is no phone)."""
        found = super().analyze(text, entities, nlp_artifacts, regex_flags)
        dates = date_time_spans(text)
        return [r for r in found if not any(r.start < end and start < r.end for start, end in dates)]

    def validate_result(self, pattern_text: str) -> bool:
        digits = re.sub(r"\D", "", re.split(r"x|ext", pattern_text)[0])
        if not 6 <= len(digits) <= 15:
            return False
        return not _DATE.match(pattern_text.strip())


# Presidio matches case-insensitively by default; names and street names are told apart by their capitals.
_CASED = re.DOTALL | re.MULTILINE
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽА-ЯЁΑ-Ω"
_PART = rf"[{_UPPER}][^\W\d_]*(?:['’-][{_UPPER}]?[^\W\d_]+)?"  # O'Connor, Jean-Luc, Müller
_NAME = rf"{_PART}(?:[ ]{_PART}){{0,2}}"


def person_recognizer() -> PatternRecognizer:
    """Names introduced by a cue: "my name is …", "Name: …", a title, or a sign-off line."""
    return PatternRecognizer(
        global_regex_flags=_CASED,
        supported_entity="PERSON",
        name="CuedPersonRecognizer",
        patterns=[
            Pattern("title", rf"(?<=\b(?:Mr|Ms|Mrs|Dr|Miss|Prof)\.? ){_NAME}", 0.6),
            Pattern("introduced", rf"(?<=\b[Mm]y name is ){_NAME}", 0.7),
            Pattern("introduced2", rf"(?<=\bThis is ){_NAME}(?= (?:from|here|speaking)\b)", 0.6),
            Pattern("field", rf"(?<=\bName: ){_NAME}", 0.7),
            Pattern("asked", rf"(?<=\b(?:[Ll]ast|[Ff]irst|[Ff]ull|[Ss]ur)name\? ){_NAME}", 0.6),
            Pattern("asked2", rf"(?<=\b(?:[Ll]ast|[Ff]irst|[Ff]ull) name\? ){_NAME}", 0.6),
            Pattern(
                "sign-off",
                rf"(?<=(?:Regards|Thanks|Thank you|Cheers|Best|Sincerely),\n){_NAME}$",
                0.6,
            ),
        ],
    )


def address_recognizer() -> PatternRecognizer:
    """A house number with a street name and a street-type word, with an optional flat or suite."""
    return PatternRecognizer(
        global_regex_flags=_CASED,
        supported_entity="STREET_ADDRESS",
        name="StreetAddressRecognizer",
        patterns=[
            Pattern(
                "number street",
                rf"\b\d{{1,5}}[A-Za-z]?,? (?:[A-Za-zÀ-ÿ'.-]+ ){{0,3}}{STREET_SUFFIX}\.?\b"
                r"(?: \d{1,5}\b)?(?:,? (?:Apt\.?|Suite|Unit|Flat) \d{1,5})?",
                0.55,
            ),
            Pattern(
                "street number",
                rf"\b(?:[A-ZÀ-Ý][A-Za-zÀ-ÿ'.-]+ ){{0,2}}[A-ZÀ-Ý][a-zà-ÿ'-]*{STREET_SUFFIX} \d{{1,5}}[a-z]?\b",
                0.5,
            ),
        ],
    )
