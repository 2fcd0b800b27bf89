"""Values that are personal only after a cue: a card's security code, a passport number, a date of birth.

Three digits are a CVV only after "CVV" or "security code", a date is a date of birth only after "born on"
or "Geburtsdatum": so each recognizer here matches a cue phrase (in English, German, French, Spanish,
Italian, Portuguese, Dutch, Russian and Chinese) followed, within a few filler words ("number", "is", ":"),
by the value, and reports the value alone. Dates and times in general are *not* personal here, and
:func:`date_time_spans` finds them so that no phone recognizer takes one for a number.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from presidio_analyzer import EntityRecognizer, RecognizerResult

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

_MONTHS = (
    r"(?:jan(?:uary|vier|uar|\.)?|feb(?:ruary|ruar|\.)?|f[ée]vrier|m[äa]r(?:ch|z|s|\.)?|apr(?:il|\.)?|avril|"
    r"may|mai|june?|juni|juin|july?|juli|juillet|aug(?:ust|\.)?|août|sep(?:t(?:ember)?|tembre|\.)?|"
    r"o[ck]t(?:ober|obre|\.)?|nov(?:ember|embre|\.)?|de[cz](?:ember|embre|\.)?|d[ée]cembre|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)"
)
_NUMERIC_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
_DAY_MONTH = rf"\d{{1,2}}(?:st|nd|rd|th|\.|º)?(?: de)? {_MONTHS}(?: de)?,? \d{{4}}"
_MONTH_DAY = rf"{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
_WRITTEN_DATE = rf"(?:{_DAY_MONTH}|{_MONTH_DAY})"
_CJK_DATE = r"\d{4}\s?年\s?\d{1,2}\s?月\s?\d{1,2}\s?日?"
DATE = rf"(?:{_NUMERIC_DATE}|{_WRITTEN_DATE}|{_CJK_DATE})"

_DATE_TIME = re.compile(
    r"(?<!\d)(?<!\d[./-])(?:"
    # ISO 8601 date, optionally with a time and a zone: 2026-11-24T07:51:03.5+01:00
    r"(?P<iso>\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)"
    # day, month and year in some order with one separator kind: 24/11/2026, 11.24.26, 2026/11/24
    r"|(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2}|\d{4})"
    # a clock time: 07:51, 7:51:03, 07:51:03.120
    r"|\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
    rf"|{_CJK_DATE}"
    r")(?!\d)(?![./:-]\d)",
    re.IGNORECASE,
)


def _plausible(match: re.Match[str]) -> bool:
    """A numeric date has a year (two or four digits, first or last), a month and a day in range."""
    a, b, c = match["a"], match["b"], match["c"]
    if a is None or b is None or c is None:
        return True
    if len(a) == 4:
        return 1 <= int(b) <= 12 and len(c) <= 2 and 1 <= int(c) <= 31
    if len(a) > 2:
        return False
    first, second = int(a), int(b)
    return 1 <= min(first, second) <= 12 and 1 <= max(first, second) <= 31


def date_time_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a date or a time (ISO 8601, numeric dates, clock times): never a phone number."""
    return [m.span() for m in _DATE_TIME.finditer(text) if _plausible(m)]


# Between a cue and its value: a few words such as "number", "no.", "is", "nr", "n°", punctuation.
_FILLER = (
    r"(?:[\s:#.,=\-–是为：]|\b(?:number|num|no|nr|n°|nº|nummer|numéro|numero|número|code|is|was|are|lautet|est|es|"
    r"é|ist|of|my|the|card|de|la|le|il|mi|mon|ma|meine?|mein|du|della|del|номер)\b)*"
)

_CVV_CUES = (
    r"cvv2?|cvc2?|cvn|cid|csc|card verification (?:code|value|number)|security code|sec(?:urity)? code|"
    r"código de seguridad|codigo de seguridad|código cvv|code de sécurité|cryptogramme(?: visuel)?|"
    r"prüfnummer|kartenprüfnummer|sicherheitscode|codice di sicurezza|código de segurança|beveiligingscode|"
    r"код безопасности|код cvv|安全码|安全碼|验证码|卡验证码"
)
_PASSPORT_CUES = (
    r"passport|passport no|reisepass(?:nummer)?|passnummer|pass-nr|passeport|pasaporte|passaporto|"
    r"passaporte|paspoort(?:nummer)?|паспорт(?:а)?|护照|護照|旅券"
)
_DOB_CUES = (
    r"date of birth|d\.?o\.?b\.?|birth ?date|birthday|born(?: on)?|geburtsdatum|geboren(?: am)?|"
    r"date de naissance|né(?:e)? le|fecha de nacimiento|nacid[oa] el|data di nascita|nat[oa] il|"
    r"data de nascimento|geboortedatum|дата рождения|родил(?:ся|ась)|出生日期|生日|生年月日"
)


# A cue is a whole word in alphabetic scripts; Chinese and Japanese write cues inside a run of characters.
_NOT_LETTER = r"(?<![a-zA-Zà-öø-ÿĀ-žА-яЁё])"
_NOT_LETTER_AFTER = r"(?![a-zA-Zà-öø-ÿĀ-žА-яЁё])"


class CuedValueRecognizer(EntityRecognizer):
    """A value of ``value`` shape right after one of the ``cues`` (a few filler words between them)."""

    def __init__(self, entity: str, cues: str, value: str, score: float = 0.85) -> None:
        """``cues`` and ``value`` are regular expressions; matching ignores case."""
        self._pattern = re.compile(
            rf"{_NOT_LETTER}(?:{cues}){_NOT_LETTER_AFTER}{_FILLER}(?P<value>{value})", re.IGNORECASE
        )
        self._score = score
        super().__init__(supported_entities=[entity], name=f"Cued{entity.title().replace('_', '')}Recognizer")

    def load(self) -> None:
        """Nothing to load: a regular expression."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Each cued value in ``text``: the value's own characters, not the cue's."""
        entity = self.supported_entities[0]
        return [
            RecognizerResult(entity, m.start("value"), m.end("value"), self._score)
            for m in self._pattern.finditer(text)
        ]


_PASSPORT = r"(?=[A-Z]{0,3}\d)(?:\d{2} ?\d{2} ?\d{6}|[A-Z0-9]{6,9})(?![A-Z0-9])"


def cued_recognizers() -> list[EntityRecognizer]:
    """CVV, passport number and date of birth, each found only after its cue."""
    return [
        CuedValueRecognizer("CVV", _CVV_CUES, r"\d{3,4}(?!\d)"),
        # ICAO document numbers: 6 to 9 letters and digits, at least one digit (C01X00T47, 123456789);
        # Russian internal passports: a 4-digit series and a 6-digit number (45 09 235857).
        CuedValueRecognizer("PASSPORT", _PASSPORT_CUES, _PASSPORT),
        CuedValueRecognizer("DATE_OF_BIRTH", _DOB_CUES, DATE),
    ]
