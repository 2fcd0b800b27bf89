"""``ZendeskChannel``: the :class:`~ticketflow.ports.channel.Channel` for a Zendesk account.

Inbound: :meth:`verify` checks the webhook signature over the raw bytes; :meth:`parse` reads either webhook
kind (see :mod:`.webhook`) and answers only end-users' public comments, everything else ignored with its
author. Outbound: every call is one ``PUT`` on the ticket (comment, status, group, assignee) and, where tags
are added, one ``PUT .../tags.json``.

**Not idempotent.** Zendesk accepts ``Idempotency-Key`` only when *creating* a ticket (FACTS-channels §4), so
a reply repeated with the same key posts a second comment. This channel records nothing to prevent that:
the durable sender must record the idempotency key before calling and the returned :class:`Receipt` after,
and never call twice for one key. The receipt's ``message_id`` is the created comment's external id
(``zd:{ticket}:c:{comment}``, the id its webhook echo will carry) when Zendesk returns the audit.

Tags after a reply or a handoff are added *after* the comment: a tag that fails is logged, not raised,
because raising would make the sender post the comment again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ticketflow.channels.zendesk import webhook
from ticketflow.channels.zendesk.client import ZendeskClient, api_id
from ticketflow.channels.zendesk.comment import CHANNEL, Comment, IsOurs, decide, external_id
from ticketflow.channels.zendesk.settings_model import Secrets, ZendeskSettings, slug
from ticketflow.domain.message import InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ChannelError, DeliveryRefused
from ticketflow.ports.channel import (
    Assignee,
    Author,
    Capability,
    ChannelRequest,
    Ignored,
    Parsed,
    Receipt,
    Thread,
)

log = logging.getLogger(__name__)

REMEMBERED_COMMENTS = 10_000
"""How many of our own comment ids this process remembers to spot their echoes (the author id is the rest)."""


class ZendeskChannel:
    """Zendesk webhooks in, ticket comments, tags and assignments out."""

    name = CHANNEL
    capabilities = frozenset(
        {
            Capability.SIGNED,
            Capability.REPLY,
            Capability.NOTE,
            Capability.HAND_OFF,
            Capability.TAG,
            Capability.ASSIGN,
        }
    )

    def __init__(
        self,
        settings: ZendeskSettings,
        client: ZendeskClient,
        *,
        webhook_secret: str | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        is_ours: IsOurs | None = None,
    ) -> None:
        """``is_ours(external_id, author_id)`` may add the durable sender's receipts to the echo check."""
        self.settings = settings
        self.client = client
        self._secret = webhook_secret
        self._clock = clock
        self._extra_is_ours = is_ours
        self._ours: deque[str] = deque(maxlen=REMEMBERED_COMMENTS)

    @classmethod
    def from_settings(
        cls,
        settings: ZendeskSettings,
        *,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        is_ours: IsOurs | None = None,
    ) -> ZendeskChannel:
        """The channel with its secrets read from the environment variables the settings name."""
        secrets: Secrets = settings.secrets(os.environ if environ is None else environ)
        client = ZendeskClient(settings, secrets, transport=transport, sleep=sleep or time.sleep)
        return cls(
            settings,
            client,
            webhook_secret=secrets.webhook_secret,
            clock=clock or (lambda: datetime.now(UTC)),
            is_ours=is_ours,
        )

    def now(self) -> datetime:
        """The channel's clock (injectable): receipts, replay windows and polling windows use it."""
        return self._clock()

    def close(self) -> None:
        """Close the API client's connections."""
        self.client.close()

    def check(self) -> str:
        """Who the API credentials sign in as, or ``DeliveryRefused`` saying what to fix (one cheap GET).

        Zendesk answers ``users/me`` for unauthenticated calls too, with an anonymous user: that, or an
        end user, cannot post replies, so it is refused here as well.
        """
        me = self.client.me()
        role = str(me.get("role") or "")
        if me.get("id") is None or role == "end-user":
            raise DeliveryRefused(
                f"zendesk signed us in as {'an end user' if me.get('id') else 'nobody'}: the API token "
                f"must belong to an agent; check [channels.zendesk] email and {self.settings.api_token_env}"
            )
        return f"signed in as {me.get('name')} <{me.get('email')}> (user {me.get('id')}, {role})"

    # inbound

    def payload_schema(self) -> dict[str, Any]:
        return webhook.SCHEMA

    def verify(self, request: ChannelRequest) -> None:
        """The signature over the raw body, in constant time, inside the replay window."""
        webhook.verify(
            request.body,
            request.header(webhook.SIGNATURE_HEADER),
            request.header(webhook.TIMESTAMP_HEADER),
            secret=self._secret,
            order=self.settings.signature_order,
            window=timedelta(seconds=self.settings.replay_window_s),
            now=self._clock(),
        )

    def parse(self, request: ChannelRequest) -> Parsed:
        """The end-user's new comment, or why not; may call Zendesk for the author's email and role.

        With ``webhook_body = "ids"`` a trigger's comment itself is read back (its ticket's comments, the
        author, the subject). A failed lookup raises ``ChannelUnavailable`` (answer 503, so Zendesk
        redelivers) or ``DeliveryRefused``; a body that is not JSON, ``UnreadableInput`` (400) naming the
        likely cause.
        """
        mode = self.settings.webhook_body
        payload = webhook.read(request.body, mode)
        comments, why_none = webhook.comments_of(payload, self.client, mode)
        if not comments:
            ticket = payload.ticket_id if isinstance(payload, webhook.TriggerWebhook) else payload.detail.id
            key = webhook.redelivery_key(payload, None) or f"zd:{ticket}"
            return Parsed(ignored=(Ignored(key, Author.SYSTEM, why_none or "no comment"),))
        return self.judge(comments)

    def judge(self, comments: list[Comment]) -> Parsed:
        """Split comments into customers' messages and the rest (shared with polling)."""
        messages: list[InboundMessage] = []
        ignored: list[Ignored] = []
        now = self._clock()
        for comment in comments:
            verdict = decide(comment, is_ours=self.is_ours, received_at=now)
            if isinstance(verdict, InboundMessage):
                messages.append(verdict)
            else:
                ignored.append(verdict)
        return Parsed(tuple(messages), tuple(ignored))

    def redelivery_key(self, request: ChannelRequest) -> str | None:
        """The key a redelivered webhook repeats: the event ``id``, or the trigger's invocation id (❓)."""
        payload = webhook.read(request.body, self.settings.webhook_body)
        return webhook.redelivery_key(payload, request.header(webhook.INVOCATION_HEADER))

    def is_ours(self, key: str, author_id: str | None) -> bool:
        """Whether a comment is one we posted: our comment ids, our agent's id, or the injected check."""
        if key in self._ours:
            return True
        if author_id is not None and author_id == self.settings.author_id:
            return True
        return self._extra_is_ours is not None and self._extra_is_ours(key, author_id)

    # outbound

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """A public comment; then the status after an answer and the answered tag, as configured."""
        changes: dict[str, Any] = {"comment": self._comment(body, public=True)}
        if self.settings.status_after_answer:
            changes["status"] = self.settings.status_after_answer
        receipt = self._update(thread, changes, idempotency_key)
        if self.settings.answered_tag:
            self._tag_after(thread, [self.settings.answered_tag])
        return receipt

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """An internal comment (``public: false``), seen by agents only."""
        return self._update(thread, {"comment": self._comment(body, public=False)}, idempotency_key)

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        """The package as an internal note, the ticket assigned to the reason's group, an escalation tag."""
        changes: dict[str, Any] = {"comment": self._comment(package(handoff), public=False)}
        group = self.settings.group_for(handoff.reason)
        if group:
            changes["group_id"] = api_id(group)
        if self.settings.status_after_handoff:
            changes["status"] = self.settings.status_after_handoff
        receipt = self._update(thread, changes, idempotency_key)
        if self.settings.escalation_tag_prefix:
            self._tag_after(thread, [f"{self.settings.escalation_tag_prefix}{slug(handoff.reason)}"])
        return receipt

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        """Add ``tags`` (Zendesk's add, which keeps the ticket's other tags)."""
        ticket = _ticket(thread)
        self.client.add_tags(ticket, list(tags))
        return Receipt(f"zd:{ticket}:tags:{_digest(idempotency_key)}", self._clock())

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        """An agent becomes ``assignee_id``; a team becomes ``group_id``."""
        field = "assignee_id" if assignee.kind == "agent" else "group_id"
        return self._update(thread, {field: api_id(assignee.id)}, idempotency_key)

    def recall(
        self, thread: Thread, *, reply: str | None = None, handoff: Handoff | None = None
    ) -> Receipt | None:
        """Our comment with exactly this text (public for a reply, internal for a handoff's package) if the
        ticket already has it: how a send cut off by a crash is recognised instead of posted twice."""
        text, public = (reply, True) if handoff is None else (package(handoff), False)
        if text is None:
            return None
        ticket = _ticket(thread)
        wanted = " ".join(text.split())
        for comment in reversed(self.client.comments(ticket)):
            author = str(comment.get("author_id")) if comment.get("author_id") is not None else None
            if self.settings.author_id and author != self.settings.author_id:
                continue
            body = comment.get("body")
            if (
                bool(comment.get("public")) == public
                and isinstance(body, str)
                and " ".join(body.split()) == wanted
            ):
                message_id = external_id(ticket, str(comment.get("id")))
                self._ours.append(message_id)
                return Receipt(message_id, self._clock())
        return None

    # helpers

    def _comment(self, body: str, *, public: bool) -> dict[str, Any]:
        comment: dict[str, Any] = {"body": body, "public": public}
        if self.settings.author_id:
            comment["author_id"] = api_id(self.settings.author_id)
        return comment

    def _update(self, thread: Thread, changes: dict[str, Any], key: str) -> Receipt:
        ticket = _ticket(thread)
        answer = self.client.update_ticket(ticket, changes)
        audit: dict[str, Any] = answer["audit"] if isinstance(answer.get("audit"), dict) else {}
        comment_id = next(
            (
                str(e["id"])
                for e in audit.get("events") or []
                if isinstance(e, dict) and e.get("type") == "Comment"
            ),
            None,
        )
        if comment_id is not None:
            message_id = external_id(ticket, comment_id)
            self._ours.append(message_id)
        elif audit.get("id") is not None:
            message_id = f"zd:{ticket}:audit:{audit['id']}"
        else:
            message_id = f"zd:{ticket}:update:{_digest(key)}"
        return Receipt(message_id, self._clock())

    def _tag_after(self, thread: Thread, tags: list[str]) -> None:
        try:
            self.client.add_tags(_ticket(thread), tags)
        except ChannelError as exc:
            log.warning("zendesk: the comment went out but tags %s were not added: %s", tags, exc)


def package(handoff: Handoff) -> str:
    """The handoff package as an internal note an agent reads top to bottom."""
    parts = [f"ticketflow handed this ticket over: {handoff.reason}", "", f"Summary: {handoff.summary}"]
    if handoff.tried:
        parts += ["", "What was tried:", *(f"- {step}" for step in handoff.tried)]
    if handoff.context_excerpt:
        parts += ["", "Context:", handoff.context_excerpt]
    if handoff.suggested_reply:
        parts += ["", "Suggested reply:", handoff.suggested_reply]
    return "\n".join(parts)


def _ticket(thread: Thread) -> str:
    if not thread.conversation_ref:
        raise DeliveryRefused("zendesk: the thread names no ticket (conversation_ref is empty)")
    return thread.conversation_ref


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]
