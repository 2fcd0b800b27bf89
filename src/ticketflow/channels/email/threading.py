"""Which conversation a mail belongs to, from ``Message-ID``, ``In-Reply-To`` and ``References``.

RFC 5322 §3.6.4: a reply names its parent in ``In-Reply-To`` and the whole chain, oldest first, in
``References``. A mail joins a conversation when one of those ids is a message we have seen or sent; we try
``In-Reply-To`` first, then each ``References`` id from the newest (rightmost) to the oldest, because the
nearest ancestor is the likeliest to be known. Otherwise it starts a conversation of its own, named by its
own Message-ID. A subject match would be a guess, so it is not used.

Ids are always handled in their wire form, angle brackets included (``<abc@example.com>``), and extracted
with a regex because ``policy.default`` parses ``References`` as unstructured text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import Message

from ticketflow.channels.email.parse import header

Known = Callable[[str], str | None]
"""``known(message_id) -> conversation_ref | None``: the store's answer for a Message-ID seen or sent."""

_ID = re.compile(r"<[^<>\s]+>")


def unknown(message_id: str) -> str | None:
    """A ``Known`` that knows nothing: every mail starts a new conversation."""
    return None


@dataclass(frozen=True, slots=True)
class Ids:
    """The threading headers of one mail, each id in wire form."""

    message_id: str | None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    @property
    def chain(self) -> tuple[str, ...]:
        """What a reply to this mail puts in ``References`` (RFC 5322 §3.6.4), oldest first.

        The mail's own ``References`` followed by its Message-ID; without ``References``, a single
        ``In-Reply-To`` id takes their place.
        """
        earlier = self.references or (self.in_reply_to if len(self.in_reply_to) == 1 else ())
        own = (self.message_id,) if self.message_id else ()
        return _unique((*earlier, *own))


def message_ids(value: str | None) -> tuple[str, ...]:
    """The ``<...>`` ids in a header value, in order, duplicates dropped."""
    return _unique(_ID.findall(value or ""))


def ids(message: Message) -> Ids:
    """The mail's threading headers."""
    own = message_ids(header(message, "message-id"))
    return Ids(
        message_id=own[0] if own else None,
        in_reply_to=message_ids(header(message, "in-reply-to")),
        references=message_ids(header(message, "references")),
    )


def external_id(found: Ids, raw: bytes) -> str:
    """The mail's id for dedupe: its Message-ID, or a hash of its bytes when it has none (qmail bounces)."""
    return found.message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"


def conversation(found: Ids, known: Known) -> str | None:
    """The known conversation this mail replies into: ``In-Reply-To``, then ``References`` newest first."""
    for candidate in (*found.in_reply_to, *reversed(found.references)):
        ref = known(candidate)
        if ref is not None:
            return ref
    return None


def as_message_id(value: str | None) -> str | None:
    """``value`` in wire form when it is a Message-ID (bracketed or a bare ``left@right``), else None."""
    if not value:
        return None
    found = message_ids(value)
    if found:
        return found[0]
    bare = value.strip()
    return f"<{bare}>" if "@" in bare and not any(c.isspace() or c in "<>" for c in bare) else None


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
