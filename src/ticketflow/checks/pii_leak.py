"""PII leak: the reply must not reveal personal data the customer did not give and the context does not hold.

Card numbers, IBANs and social security numbers never appear in a reply, whoever gave them. Emails and
phone numbers may appear only when they are the company's own (in the knowledge base) or the customer's own.
"""

from __future__ import annotations

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.ports.check import CheckInput
from ticketflow.ports.pii import PiiDetector

NEVER_IN_REPLY = frozenset({"CREDIT_CARD", "IBAN_CODE", "US_SSN"})


class PiiLeak:
    name = "pii"

    def __init__(self, detector: PiiDetector) -> None:
        self._detector = detector

    def run(self, subject: CheckInput) -> CheckResult:
        reply = subject.draft.reply
        if not reply:
            return CheckResult(self.name, Verdict.PASS, ())
        known_text = subject.context.grounding_text() + "\n" + subject.ticket.text
        allowed = {span.text_in(known_text).lower() for span in self._detector.find(known_text)}
        if subject.context.customer is not None:
            allowed.add(subject.context.customer.email.lower())
        leaks = []
        for span in self._detector.find(reply):
            value = span.text_in(reply)
            if span.type in NEVER_IN_REPLY or value.lower() not in allowed:
                leaks.append(f"{span.type}: {value}")
        if leaks:
            return CheckResult(self.name, Verdict.FAIL, tuple(leaks))
        return CheckResult(self.name, Verdict.PASS, ())
