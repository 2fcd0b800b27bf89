"""An Intercom conversation as the webhook and the search API send it, and who wrote each of its parts.

The webhook (``data.item``) and ``POST /conversations/search`` carry the same Conversation object
(FACTS-channels §2.3, §2.6): the first message is its ``source``, later messages are ``conversation_parts``.
Only the fields ticketflow reads are modelled; everything else is allowed and ignored, since Intercom adds
fields across API versions. External ids follow FACTS-channels §4: ``ic:{conversation}:s:{source}`` for the
first message, ``ic:{conversation}:p:{part}`` for the later ones.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.errors import InputError
from ticketflow.ports.channel import Author, Ignored

CUSTOMER_TYPES = frozenset({"user", "lead", "contact"})
M = TypeVar("M", bound=BaseModel)
BLOCKS = ("p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PartAuthor(_Lenient):
    """Who wrote a part: ``type`` is user, lead, contact (customers), admin, bot or team."""

    type: str
    id: str | None = None
    name: str | None = None
    email: str | None = None


class Source(_Lenient):
    """A conversation's first message (``source``): the customer's opening, or an outbound campaign."""

    id: str = Field(..., min_length=1)
    author: PartAuthor
    body: str | None = None
    subject: str | None = None
    delivered_as: str | None = None


class Part(_Lenient):
    """One conversation part: a comment, note, assignment, open or close, with its author."""

    id: str = Field(..., min_length=1)
    part_type: str
    author: PartAuthor
    body: str | None = None
    created_at: int = 0


class PartList(_Lenient):
    """The parts an item lists (possibly only the newest, an unconfirmed detail)."""

    conversation_parts: list[Part] = Field(default_factory=list)


class Conversation(_Lenient):
    """A conversation: its id, first message (``source``) and the parts this payload lists (maybe none)."""

    id: str = Field(..., min_length=1)
    created_at: int = 0
    updated_at: int = 0
    source: Source
    conversation_parts: PartList | None = None

    @property
    def parts(self) -> list[Part]:
        return self.conversation_parts.conversation_parts if self.conversation_parts else []

    def source_id(self) -> str:
        return f"ic:{self.id}:s:{self.source.id}"

    def part_id(self, part: Part) -> str:
        return f"ic:{self.id}:p:{part.id}"


@dataclass(frozen=True, slots=True)
class Entry:
    """The source or one part of a conversation, in one shape: the unit a message is made from."""

    external_id: str
    author: PartAuthor
    part_type: str
    html: str | None
    created_at: int


def entries(conversation: Conversation) -> list[Entry]:
    """The conversation's first message then its listed parts, oldest first."""
    source = conversation.source
    first = Entry(conversation.source_id(), source.author, "source", source.body, conversation.created_at)
    later = [
        Entry(conversation.part_id(p), p.author, p.part_type, p.body, p.created_at)
        for p in conversation.parts
    ]
    return [first, *sorted(later, key=lambda e: e.created_at)]


@dataclass(frozen=True, slots=True)
class Written:
    """Who wrote a source or part, as the Channel port classifies authors, and why it is not answered."""

    author: Author
    reason: str | None
    """None for a customer's message with text (the one kind that is answered)."""


def who_wrote(author: PartAuthor, part_type: str, text: str, admin_id: str) -> Written:
    """Classify one message: customers (users, leads) are answered; admins, bots and teams never are.

    Parts by our own ``admin_id`` are the echoes of what we posted. A customer's reply may come back as
    ``part_type: "open"`` (it reopened the conversation), so any customer part with text counts.
    """
    if author.type == "admin":
        ours = author.id == admin_id
        who = Author.US if ours else Author.AGENT
        if part_type == "note":
            return Written(who, "our own internal note" if ours else "an agent's internal note")
        return Written(who, "our own echo" if ours else f"an agent's {part_type.replace('_', ' ')}")
    if author.type == "bot":
        return Written(Author.SYSTEM, "a bot's part (Fin, a workflow or a campaign)")
    if author.type == "team":
        return Written(Author.SYSTEM, "an automation posting as a team")
    if author.type not in CUSTOMER_TYPES:
        return Written(Author.SYSTEM, f"written by a '{author.type}', not a customer")
    if not text:
        return Written(
            Author.CUSTOMER, f"a customer's {part_type} part without text (an attachment or an event)"
        )
    return Written(Author.CUSTOMER, None)


def html_to_text(html: str | None) -> str:
    """Intercom's HTML body as plain text: blocks and ``<br>`` become line breaks, entities are decoded."""
    if not html:
        return ""
    with warnings.catch_warnings():
        # a short plain body ("thanks") looks like a file name to BeautifulSoup; it is not one
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(BLOCKS):
        block.insert_after("\n\n")
    lines = [line.strip() for line in soup.get_text().replace("\xa0", " ").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class Reader:
    """Turns entries of a conversation into customers' messages and reasoned ignores.

    ``email_of`` looks a contact's email up by id (``GET /contacts/{id}``) when the part's author carries
    none; it may return None (the contact has no email, or lookups are off), and the message then names the
    customer by contact id only.
    """

    def __init__(
        self,
        admin_id: str,
        email_of: Callable[[str], str | None] = lambda _id: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._admin_id = admin_id
        self._email_of = email_of
        self._clock = clock

    def read(
        self, conversation: Conversation, chosen: Iterable[Entry], *, why_not: str | None = None
    ) -> tuple[list[InboundMessage], list[Ignored]]:
        """Customers' messages in ``chosen``; with ``why_not``, none: customers' parts get that reason."""
        messages: list[InboundMessage] = []
        ignored: list[Ignored] = []
        for entry in chosen:
            text = html_to_text(entry.html)
            written = who_wrote(entry.author, entry.part_type, text, self._admin_id)
            reason = written.reason or why_not
            if reason is None and not (entry.author.email or entry.author.id):
                reason = "a customer's part naming neither a contact id nor an email"
            if reason is not None:
                ignored.append(Ignored(entry.external_id, written.author, reason))
                continue
            messages.append(self._message(conversation, entry, text))
        return messages, ignored

    def _message(self, conversation: Conversation, entry: Entry, text: str) -> InboundMessage:
        author = entry.author
        email = author.email or (self._email_of(author.id) if author.id else None)
        subject = html_to_text(conversation.source.subject) or None
        return InboundMessage(
            channel="intercom",
            external_id=entry.external_id,
            customer=CustomerRef(email=email, id=author.id),
            text=text,
            subject=subject,
            conversation_ref=conversation.id,
            received_at=self._clock(),
        )


def validate(model: type[M], data: Any, root: str, message: str) -> M:
    """``data`` as ``model``, or an ``InputError`` locating each problem under ``root``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {
                "where": ".".join(str(p) for p in (root, *e["loc"])),
                "problem": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ]
        raise InputError(message, errors=errors) from exc
