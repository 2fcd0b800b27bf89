"""One Zendesk comment in neutral terms, and the rule that decides whether it is a customer's to answer.

Webhooks (both kinds) and polling all reduce what they read to a :class:`Comment`, so the rule that keeps
echoes, agents' replies and notes away from ``Parsed.messages`` is written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bs4 import BeautifulSoup

from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.ports.channel import Author, Ignored

CHANNEL = "zendesk"
Role = Literal["end-user", "agent", "admin", "unknown"]
IsOurs = Callable[[str, "str | None"], bool]
"""``(external_id, author_id) -> bool``: whether a comment is one ticketflow posted."""

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCKS = ["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"]


def external_id(ticket_id: str, comment_id: str) -> str:
    """FACTS-channels §4: ``zd:{ticket}:c:{comment}``, the same whichever way the comment reached us."""
    return f"zd:{ticket_id}:c:{comment_id}"


def role_of(value: str | None) -> Role:
    """A Zendesk role from a user record or ``{{current_user.role}}``, whatever its casing or spelling."""
    text = re.sub(r"[\s_]+", "-", (value or "").strip().lower())
    if text in {"end-user", "enduser"}:
        return "end-user"
    if text in {"agent", "light-agent"}:
        return "agent"
    if text == "admin":
        return "admin"
    return "unknown"


def html_to_text(body: str) -> str:
    """Plain text of a comment body: HTML (when it holds tags) through BeautifulSoup, whitespace tidied."""
    if _TAG.search(body):
        soup = BeautifulSoup(body, "html.parser")
        for br in soup.find_all("br"):
            br.replace_with("\n")
        for block in soup.find_all(_BLOCKS):
            block.append("\n")  # a paragraph ends a line; inline tags (b, a, span) do not
        body = "\n".join(" ".join(line.split()) for line in soup.get_text().splitlines())
    return _BLANK_LINES.sub("\n\n", body).strip()


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on a ticket with what is known of its author."""

    ticket_id: str
    comment_id: str
    text: str
    public: bool
    author_id: str | None
    role: Role
    email: str | None = None
    subject: str | None = None

    @property
    def external_id(self) -> str:
        return external_id(self.ticket_id, self.comment_id)


def decide(comment: Comment, *, is_ours: IsOurs, received_at: datetime) -> InboundMessage | Ignored:
    """The customer's message to answer, or why this comment is not one (ours, an agent's, a note, …).

    Our own echo is checked first so it is labelled ``US`` even though we post as an agent.
    """
    key = comment.external_id
    if is_ours(key, comment.author_id):
        return Ignored(key, Author.US, "our own comment, echoed back by Zendesk")
    if comment.role in ("agent", "admin"):
        what = "reply" if comment.public else "internal note"
        return Ignored(key, Author.AGENT, f"an {comment.role}'s {what}")
    if comment.role == "unknown":
        return Ignored(key, Author.SYSTEM, "the author's role is unknown, so it is not answered")
    if not comment.public:
        return Ignored(key, Author.SYSTEM, "a private comment (made internal in Zendesk)")
    if not comment.text:
        return Ignored(key, Author.SYSTEM, "an empty comment (attachments only?)")
    if not (comment.email or comment.author_id):
        return Ignored(key, Author.SYSTEM, "a comment with no known author to answer")
    who = (
        CustomerRef(email=comment.email)
        if comment.email
        else CustomerRef(id=f"zendesk-user:{comment.author_id}")
    )
    return InboundMessage(
        channel=CHANNEL,
        external_id=key,
        customer=who,
        text=comment.text,
        subject=comment.subject or None,
        conversation_ref=comment.ticket_id,
        received_at=received_at,
    )
