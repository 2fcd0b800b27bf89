"""Payment card numbers are never stored whole: a number a customer writes keeps its last four digits.

PCI DSS (requirement 3) forbids keeping a card number (PAN) readable wherever it is stored, and a support
desk has no use for one: a person who picks up a handoff needs to know *which* card, and the last four
digits say that. So every text a ticket store accepts (the message, its subject, imported history) has
each Luhn-valid run of 12 to 19 digits (grouped by spaces or dashes, or not) rewritten with all but its
last four digits as ``•``, keeping the grouping: ``4111 1111 1111 1111`` becomes ``•••• •••• •••• 1111``.
Nothing downstream (the prompt, the ledger, the review queue, the audit trail, the workflow checkpoints)
then ever holds the full number.

A card is often written against other digits: its expiry or security code after it (``4111 1111 1111
1111 09/27``, ``… 1111 123``), an amount before it. The whole run then fails Luhn; its groups are read
again, and a window of them shaped like a card (groups of four, the last one shorter, or American
Express's 4-6-5) that passes is the card. An ungrouped run glued to other digits cannot be split this way
and is kept.
"""

from __future__ import annotations

import dataclasses
import re

from ticketflow.domain.message import InboundMessage

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


_RUN = re.compile(r"(?<![\w.-])(?<!\d[ -])(?>\d+(?:[ -]\d+)*+)(?![\w-])")
"""A whole run of digit groups joined by single spaces or dashes, not inside a longer word or number
(atomic and anchored at the run's first group, so a long run costs one pass, never a backtracking one)."""
_MAX_GROUPS = 5
"""The most groups a written card number has (``4111 1111 1111 1111 111``)."""
_GROUP = re.compile(r"\d+")
_CARD_GROUPS = re.compile(r"(?:4,){2,4}[1-4]|4,6,[45]|1[4-9]")
"""A window of digit groups shaped like a written card number, as group lengths: ``4,4,4,4``,
``4,4,4,4,3``, American Express's ``4,6,5``, or one ungrouped run."""
MIN_WINDOW_DIGITS = 14
"""A card read out of a longer run has at least this many digits: the shorter windows a long run of
order or phone digits offers pass Luhn by chance too often (one in ten)."""


def card_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a card number: each Luhn-valid run of 12 to 19 digits, or, in a grouped run that
    fails as a whole, the card-shaped windows of its groups that pass."""
    if not any(c.isdigit() for c in text):
        return []
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        if is_card_number(run.group(0)):
            spans.append(run.span())
        elif sum(c.isdigit() for c in run.group(0)) > MIN_WINDOW_DIGITS:
            spans.extend(_grouped_window(text, [g.span() for g in _GROUP.finditer(text, *run.span())]))
    return spans


def _grouped_window(text: str, groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The card-shaped windows of ``groups`` that pass Luhn, read left to right, the longest at each group."""
    found, at = [], 0
    while at < len(groups):
        for size in range(min(len(groups) - at, _MAX_GROUPS), 0, -1):
            window = groups[at : at + size]
            shape = ",".join(str(end - start) for start, end in window)
            start, end = window[0][0], window[-1][1]
            digits = sum(e - s for s, e in window)
            if (
                digits >= MIN_WINDOW_DIGITS
                and _CARD_GROUPS.fullmatch(shape)
                and is_card_number(text[start:end])
            ):
                found.append((start, end))
                at += size
                break
        else:
            at += 1
    return found


def truncate_cards(text: str) -> str:
    """``text`` with every card number reduced to its last four digits (the rest ``•``, separators kept)."""
    out, at = [], 0
    for start, end in card_spans(text):
        out += [text[at:start], _truncated(text[start:end])]
        at = end
    return "".join(out) + text[at:] if out else text


def without_cards(message: InboundMessage) -> InboundMessage:
    """The message as a ticket store keeps it: card numbers in its text and subject truncated."""
    subject = truncate_cards(message.subject) if message.subject else message.subject
    return dataclasses.replace(message, text=truncate_cards(message.text), subject=subject)


def _truncated(value: str) -> str:
    hide = sum(c.isdigit() for c in value) - KEPT
    out: list[str] = []
    for c in value:
        if c.isdigit() and hide > 0:
            out.append(HIDDEN)
            hide -= 1
        else:
            out.append(c)
    return "".join(out)
