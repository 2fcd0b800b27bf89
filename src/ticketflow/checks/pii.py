"""PII leak: the reply must not reveal personal data the customer did not give and the context does not hold.

Card numbers and their security codes, IBANs, social security and passport numbers never appear in a reply,
whoever gave them. Emails and
phone numbers may appear only when they are the company's own (in the knowledge base) or the customer's own.
"""

from __future__ import annotations

import re

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput
from ticketflow.ports.pii import PiiDetector

NEVER_IN_REPLY = frozenset({"CREDIT_CARD", "IBAN_CODE", "US_SSN", "CVV", "PASSPORT"})


_MARKUP = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)")


def plain(text: str) -> str:
    """``text`` lower-cased without Markdown emphasis and with single spaces, as the known text is compared:
    an article's "Select **Edit**" is the reply's "Select Edit" (underscores inside words, as in an email
    address, stay)."""
    return " ".join(_MARKUP.sub("", text).lower().split())


def _appears_whole(value: str, text: str) -> bool:
    """``value`` occurs in ``text`` as a whole value: ``quill@x.com`` is not inside ``ada.quill@x.com``."""
    return re.search(rf"(?<![\w.@+-]){re.escape(value)}(?![\w@-])", text) is not None


def _email_words(email: str) -> str:
    """The words of an address's local part: greeting ``ines.garcia@…`` as "Ines" or "Ines Garcia" tells
    them nothing the address they wrote from does not."""
    local = email.partition("@")[0]
    return " ".join(w for w in re.split(r"[._+\-\d]+", local.lower()) if len(w) > 1)


class PiiLeak:
    """The ``pii`` check: fail a reply revealing personal data that neither the customer nor the context gave.

    A card number, IBAN or social security number fails whoever gave it; ``detector`` finds what is personal.
    ``own_text`` is the company's own words the drafter is given besides the context (its name, its voice
    guide's sign-off): a name model reads "The Velo Bikes team" as a person, but it is no one's data.
    """

    name = "pii"

    def __init__(self, detector: PiiDetector, own_text: str = "") -> None:
        self._detector = detector
        self._own = plain(own_text)

    def run(self, subject: CheckInput) -> CheckResult:
        reply = subject.draft.reply
        if not reply:
            return CheckResult(self.name, Verdict.PASS, ())
        known = plain(subject.context.grounding_text() + "\n" + subject.ticket.text) + " " + self._own
        customer = subject.context.customer
        for email in {customer.email if customer else None, subject.ticket.message.customer.email}:
            if email:
                known += " " + plain(email) + " " + _email_words(email)
        leaks = []
        for span in self._detector.find(reply):
            value = span.text_in(reply)
            if span.type in NEVER_IN_REPLY or not _appears_whole(plain(value), known):
                leaks.append(f"{span.type}: {value}")
        if leaks:
            return CheckResult(self.name, Verdict.FAIL, tuple(leaks))
        return CheckResult(self.name, Verdict.PASS, ())
