"""Text that can be stored: what every field of an inbound message must be, whatever the channel.

PostgreSQL's text cannot hold NUL (U+0000), and a lone surrogate (U+D800-U+DFFF) is not encodable as UTF-8,
so neither reaches a database. Other control characters are legal but meaningless: ids that hold them are
refused, tab and newline included (stripping would make two different ids one); free text loses them, but
keeps tab, newline and carriage return.
"""

from __future__ import annotations

import re

from ticketflow.domain.ids import (
    MAX_CHANNEL,
    MAX_CONVERSATION_REF,
    MAX_CUSTOMER_EMAIL,
    MAX_CUSTOMER_ID,
    MAX_EXTERNAL_ID,
)
from ticketflow.domain.message import InboundMessage

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile("[\x01-\x1f\x7f-\x9f]")


def unstorable(value: str) -> str | None:
    """Why ``value`` cannot be stored (its first NUL or lone surrogate, and where), or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    char = found.group()
    kind = "a NUL character" if char == "\x00" else "a lone surrogate"
    return f"holds {kind} (U+{ord(char):04X}) at position {found.start()}, which cannot be stored"


def control(value: str) -> str | None:
    """Why ``value`` is no id (its first control character, tab and newline included), or None."""
    found = _ANY_CONTROL.search(value)
    if found is None:
        return None
    return f"holds a control character (U+{ord(found.group()):04X}) at position {found.start()}"


def strip_controls(value: str) -> str:
    """``value`` without control characters, except tab, newline and carriage return."""
    return _CONTROL.sub("", value)


def problems(message: InboundMessage) -> list[dict[str, str]]:
    """What keeps ``message`` out of the store: each field with text no database holds, or too long for
    its column (``where`` names the field as the message names it). Empty when it can be stored."""
    fields: list[tuple[str, str | None, int | None]] = [
        ("channel", message.channel, MAX_CHANNEL),
        ("external_id", message.external_id, MAX_EXTERNAL_ID),
        ("conversation_ref", message.conversation_ref, MAX_CONVERSATION_REF),
        ("customer.email", message.customer.email, MAX_CUSTOMER_EMAIL),
        ("customer.id", message.customer.id, MAX_CUSTOMER_ID),
        ("subject", message.subject, None),
        ("text", message.text, None),
    ]
    found = []
    for where, value, limit in fields:
        if value is None:
            continue
        why = unstorable(value)
        if why is None and limit is not None and len(value) > limit:
            why = f"is {len(value)} characters long; at most {limit} can be stored"
        if why is not None:
            found.append({"where": where, "problem": why, "type": "unstorable"})
    return found
