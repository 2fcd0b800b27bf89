"""Payment card numbers are never stored whole: a number a customer writes keeps its last four digits.

PCI DSS (requirement 3) forbids keeping a card number (PAN) readable wherever it is stored, and a support
desk has no use for one: a person who picks up a handoff needs to know *which* card, and the last four
digits say that. So every text a ticket store accepts (the message, its subject, imported history) has
each Luhn-valid run of 12 to 19 digits (grouped by spaces or dashes, or not) rewritten with all but its
last four digits as ``•``, keeping the grouping: ``4111 1111 1111 1111`` becomes ``•••• •••• •••• 1111``.
Nothing downstream (the prompt, the ledger, the review queue, the audit trail, the workflow checkpoints)
then ever holds the full number.
"""

from __future__ import annotations

import dataclasses
import re

from ticketflow.domain.message import InboundMessage

CARD_DIGITS = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){11,18}(?![\w-])")
"""12 to 19 digits, optionally grouped by single spaces or dashes, not inside a longer word or number."""
HIDDEN = "•"
KEPT = 4


def luhn_ok(digits: str) -> bool:
    """Whether a card number's digits pass the Luhn checksum (what tells a card from any 16 digits)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def is_card_number(candidate: str) -> bool:
    """Whether a run of digits (and separators) is a card number: 12 to 19 digits passing Luhn."""
    digits = re.sub(r"\D", "", candidate)
    return 12 <= len(digits) <= 19 and luhn_ok(digits)


def truncate_cards(text: str) -> str:
    """``text`` with every card number reduced to its last four digits (the rest ``•``, separators kept)."""
    return CARD_DIGITS.sub(_truncated, text) if any(c.isdigit() for c in text) else text


def without_cards(message: InboundMessage) -> InboundMessage:
    """The message as a ticket store keeps it: card numbers in its text and subject truncated."""
    subject = truncate_cards(message.subject) if message.subject else message.subject
    return dataclasses.replace(message, text=truncate_cards(message.text), subject=subject)


def _truncated(match: re.Match[str]) -> str:
    value = match.group(0)
    if not is_card_number(value):
        return value
    hide = sum(c.isdigit() for c in value) - KEPT
    out: list[str] = []
    for c in value:
        if c.isdigit() and hide > 0:
            out.append(HIDDEN)
            hide -= 1
        else:
            out.append(c)
    return "".join(out)
