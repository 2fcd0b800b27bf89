"""A ``PiiDetector`` built from Presidio's pattern recognizers plus values known from the customer record.

Presidio's default analyzer loads a spaCy model at start and fails offline, so this uses its recognizers
directly (they need no NLP artifacts): email, phone, credit card (Luhn), IBAN, US SSN, IP address. Names and
street addresses need NER, which this does not do; the customer's own known values cover the common case.
"""

from __future__ import annotations

import os
import re

from ticketflow.domain.pii import PiiSpan

# tldextract (used by the email recognizer) would fetch the public suffix list over the network; its bundled
# snapshot is enough and keeps the run offline.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)

_MIN_SCORE = {"PHONE_NUMBER": 0.3, "US_SSN": 0.3}


class PresidioPatterns:
    def __init__(self, min_score: float = 0.5) -> None:
        self._recognizers = [
            (EmailRecognizer(), "EMAIL_ADDRESS"),
            (
                PhoneRecognizer(supported_regions=("US", "GB", "DE", "FR", "IE", "NL", "ES", "IT")),
                "PHONE_NUMBER",
            ),
            (CreditCardRecognizer(), "CREDIT_CARD"),
            (IbanRecognizer(), "IBAN_CODE"),
            (UsSsnRecognizer(), "US_SSN"),
            (IpRecognizer(), "IP_ADDRESS"),
        ]
        self._min_score = min_score

    def find(self, text: str, known: tuple[str, ...] = ()) -> list[PiiSpan]:
        spans: list[PiiSpan] = []
        for recognizer, entity in self._recognizers:
            for r in recognizer.analyze(text, [entity], None):  # type: ignore[arg-type]  # patterns need no NLP
                if r.score >= _MIN_SCORE.get(entity, self._min_score):
                    spans.append(PiiSpan(entity, r.start, r.end, float(r.score)))
        for value in known:
            if len(value) < 3:
                continue
            for match in re.finditer(re.escape(value), text, flags=re.IGNORECASE):
                spans.append(PiiSpan("KNOWN", match.start(), match.end(), 1.0))
        return _merge(spans)


def _merge(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Overlapping spans collapse to the longest (then highest-scoring) one."""
    spans.sort(key=lambda s: (s.start, -(s.end - s.start), -s.score))
    kept: list[PiiSpan] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept
