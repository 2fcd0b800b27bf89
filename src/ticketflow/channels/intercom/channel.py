"""``IntercomChannel``: the ``Channel`` port over Intercom's signed webhooks and REST API.

Inbound: :meth:`verify` checks ``X-Hub-Signature`` over the raw bytes, :meth:`parse` reads the notification
(see :mod:`.webhook`); Intercom has no replay window, and a redelivered notification is dropped by intake,
which keys each message by its external id (``msg:intercom:{external id}``, the same on every delivery);
:meth:`dedupe_key` names the notification itself, unused by the route. :meth:`poll` is the fallback when
webhooks are down (see :mod:`.poll`).

Outbound: replies and notes are conversation parts posted as our admin; a handoff is a note carrying the
package, the assignment to the team its reason maps to, and a ``ticketflow-escalated-<reason>`` tag; after a
reply the conversation is tagged ``ticketflow-answered`` and closed or snoozed as configured.

Intercom's writes are not idempotent (FACTS-channels §4). The durable sender records each idempotency key
before it calls; this object only remembers, for its own lifetime, the receipts of the calls it finished,
and of each step of a multi-step call, so a retry in the same process neither repeats a finished call nor
re-posts the note of a handoff whose assignment failed. That memory is bounded and never persisted.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx

from ticketflow.channels.intercom import webhook
from ticketflow.channels.intercom.bodies import handoff_html, text_to_html
from ticketflow.channels.intercom.client import IntercomClient, created_part
from ticketflow.channels.intercom.conversation import Reader, html_to_text
from ticketflow.channels.intercom.poll import PollCursor, PollResult, poll_once
from ticketflow.channels.intercom.settings_model import IntercomSettings, slug
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import DeliveryRefused
from ticketflow.ports.channel import Assignee, Capability, ChannelRequest, Parsed, Receipt, Thread

log = logging.getLogger(__name__)

REMEMBERED_KEYS = 10_000


class Remembered(OrderedDict[str, Receipt]):
    """The newest ``limit`` receipts by key: enough for retries in one process, bounded for a long one."""

    def __init__(self, limit: int = REMEMBERED_KEYS) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: str, value: Receipt) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class IntercomChannel:
    """One Intercom workspace as a ``Channel``; secrets are read from the environment when it is built."""

    name = "intercom"
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
        settings: IntercomSettings,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        receipts: MutableMapping[str, Receipt] | None = None,
    ) -> None:
        self.settings = settings
        self._webhook_key = settings.secret("webhook_secret", environ)
        token = settings.secret("access_token", environ)
        self._client = IntercomClient(
            settings, token, sleep=sleep, clock=lambda: clock().timestamp(), transport=transport
        )
        self._clock = clock
        self._emails: dict[str, str | None] = {}
        self._reader = Reader(settings.admin_id, self._email_of, clock)
        self._webhook = webhook.WebhookReader(self._reader, settings.webhook_parts)
        self._receipts: MutableMapping[str, Receipt] = Remembered() if receipts is None else receipts

    def __repr__(self) -> str:  # never the secrets
        return f"IntercomChannel(base_url={self.settings.base_url!r}, admin_id={self.settings.admin_id!r})"

    def close(self) -> None:
        self._client.close()

    def check(self) -> str:
        """Whom the access token belongs to (``GET /me``), or ``DeliveryRefused`` saying what to fix."""
        me = self._client.me()
        if not isinstance(me, dict) or me.get("type") != "admin":
            raise DeliveryRefused(
                f"intercom GET /me did not answer an admin; check {self.settings.access_token_env}"
            )
        app: dict[str, Any] = me["app"] if isinstance(me.get("app"), dict) else {}
        workspace = app.get("name") or app.get("id_code") or "?"
        return (
            f"signed in as admin {me.get('name')} <{me.get('email')}> (id {me.get('id')}) of workspace "
            f"{workspace}; replies are posted as admin {self.settings.admin_id}"
        )

    # inbound

    def payload_schema(self) -> dict[str, Any]:
        return dict(webhook.PAYLOAD_SCHEMA)

    def verify(self, request: ChannelRequest) -> None:
        """``X-Hub-Signature`` must be the HMAC-SHA1 of the raw body under the configured key."""
        webhook.verify(request, self._webhook_key)

    def parse(self, request: ChannelRequest) -> Parsed:
        """The customers' messages of a verified notification; echoes, agents, bots and notes are ignored."""
        return self._webhook.parse(request.body)

    def dedupe_key(self, request: ChannelRequest) -> str:
        """``intercom:<notification id>``, the same on every redelivery (the route dedupes by message id)."""
        return webhook.dedupe_key(request)

    def poll(self, cursor: PollCursor) -> PollResult:
        """One polling pass from ``cursor``: the new customers' messages and the cursor to store."""
        s = self.settings
        return poll_once(
            self._client,
            self._reader,
            cursor,
            per_page=s.poll_per_page,
            max_pages=s.poll_max_pages,
            overlap_s=s.poll_overlap_s,
        )

    # outbound

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """Post ``body`` to the customer, then tag the conversation answered and close or snooze it."""
        conversation = _conversation(thread)

        def send() -> Receipt:
            key = idempotency_key
            receipt = self._once(f"{key}/comment", lambda: self._post(conversation, "comment", body))
            if self.settings.answered_tag:
                tag = self.settings.answered_tag
                self._once(f"{key}/tag", lambda: self._tag(conversation, tag))
            if self.settings.status_after_answer != "none":
                self._once(f"{key}/status", lambda: self._after_answer(conversation))
            return receipt

        return self._once(idempotency_key, send)

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """An internal note, seen by agents only."""
        conversation = _conversation(thread)
        return self._once(idempotency_key, lambda: self._post(conversation, "note", body))

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        """The package as a note, the assignment to the reason's team, and the escalation tag."""
        conversation = _conversation(thread)

        def send() -> Receipt:
            key = idempotency_key
            receipt = self._once(
                f"{key}/note", lambda: self._post(conversation, "note", handoff_html(handoff), html=True)
            )
            team = self.settings.team_for(handoff.reason)
            if team is not None:
                self._once(f"{key}/assign", lambda: self._assign(conversation, Assignee(team, "team")))
            else:
                log.warning(
                    "no Intercom team for escalation reason %r: the conversation stays put", handoff.reason
                )
            if self.settings.escalated_tag_prefix:
                tag = f"{self.settings.escalated_tag_prefix}{slug(handoff.reason)}"
                self._once(f"{key}/tag", lambda: self._tag(conversation, tag))
            return receipt

        return self._once(idempotency_key, send)

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        """Add each of ``tags`` (Intercom tags one at a time; existing tags stay)."""
        conversation = _conversation(thread)
        if not tags:
            raise DeliveryRefused("no tags to add to the Intercom conversation")

        def send() -> Receipt:
            receipts = [
                self._once(f"{idempotency_key}/{t}", partial(self._tag, conversation, t)) for t in tags
            ]
            return receipts[-1]

        return self._once(idempotency_key, send)

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        """Assign the conversation to a team or an admin (Intercom's ``type: team|admin``)."""
        conversation = _conversation(thread)
        return self._once(idempotency_key, lambda: self._assign(conversation, assignee))

    def recall(
        self, thread: Thread, *, reply: str | None = None, handoff: Handoff | None = None
    ) -> Receipt | None:
        """Our part with exactly this text (a ``comment`` for a reply, a ``note`` for a handoff's package) if
        the conversation already has it: how a send cut off by a crash is recognised instead of posted twice.

        Intercom's writes take no idempotency key, so the sender asks this before it sends again an attempt
        it finds already begun. Both sides are compared as the text the HTML body reads as (the way
        :meth:`parse` reads parts), whitespace-normalised; only parts authored by our ``admin_id`` count.
        """
        if handoff is not None:
            sent_html, part_type = handoff_html(handoff), "note"
        elif reply is not None:
            sent_html, part_type = text_to_html(reply), "comment"
        else:
            return None
        conversation = _conversation(thread)
        wanted = _normalised(html_to_text(sent_html))
        if not wanted:
            return None
        found = self._client.conversation(conversation)
        listing = found.get("conversation_parts") if isinstance(found, dict) else None
        parts = listing.get("conversation_parts") if isinstance(listing, dict) else None
        for part in reversed(parts if isinstance(parts, list) else []):
            if not isinstance(part, dict) or part.get("part_type") != part_type:
                continue
            author: dict[str, Any] = part["author"] if isinstance(part.get("author"), dict) else {}
            if author.get("type") != "admin" or str(author.get("id")) != self.settings.admin_id:
                continue
            body = part.get("body")
            if isinstance(body, str) and _normalised(html_to_text(body)) == wanted:
                created = part.get("created_at")
                at = datetime.fromtimestamp(created, UTC) if isinstance(created, int) else self._clock()
                return Receipt(message_id=f"ic:{conversation}:p:{part.get('id')}", at=at)
        return None

    # steps

    def _once(self, key: str, action: Callable[[], Receipt]) -> Receipt:
        known = self._receipts.get(key)
        if known is None:
            known = self._receipts[key] = action()
        return known

    def _post(self, conversation: str, message_type: str, body: str, *, html: bool = False) -> Receipt:
        updated = self._client.reply(conversation, message_type, body if html else text_to_html(body))
        return self._receipt(conversation, updated, message_type)

    def _assign(self, conversation: str, assignee: Assignee) -> Receipt:
        kind = "team" if assignee.kind == "team" else "admin"
        updated = self._client.assign(conversation, assignee.id, kind)
        return self._receipt(conversation, updated, "assignment")

    def _tag(self, conversation: str, name: str) -> Receipt:
        tag = self._client.tag(conversation, name)
        tag_id = tag.get("id") if isinstance(tag, dict) else None
        return Receipt(message_id=f"ic:{conversation}:t:{tag_id or slug(name)}", at=self._clock())

    def _after_answer(self, conversation: str) -> Receipt:
        if self.settings.status_after_answer == "close":
            updated = self._client.set_state(conversation, "close")
            return self._receipt(conversation, updated, "close")
        until = int(self._clock().timestamp()) + self.settings.snooze_seconds
        updated = self._client.set_state(conversation, "snoozed", snoozed_until=until)
        return self._receipt(conversation, updated, "snoozed")

    def _receipt(self, conversation: str, updated: Any, part_type: str) -> Receipt:
        """The created part's id (``ic:{conversation}:p:{part}``, as its echo will be named), when listed."""
        part = created_part(updated, self.settings.admin_id, part_type)
        if part is not None:
            return Receipt(message_id=f"ic:{conversation}:p:{part}", at=self._clock())
        stamp = updated.get("updated_at") if isinstance(updated, dict) else None
        at = self._clock()
        return Receipt(message_id=f"ic:{conversation}:{part_type}@{stamp or int(at.timestamp())}", at=at)

    def _email_of(self, contact_id: str) -> str | None:
        """A contact's email, asked once per contact for the life of this object (when lookups are on)."""
        if not self.settings.fetch_contacts:
            return None
        if contact_id not in self._emails:
            if len(self._emails) >= REMEMBERED_KEYS:
                self._emails.clear()  # bounded, and an address changed meanwhile is read afresh
            self._emails[contact_id] = self._client.contact_email(contact_id)
        return self._emails[contact_id]


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _conversation(thread: Thread) -> str:
    if not thread.conversation_ref:
        raise DeliveryRefused("the thread names no Intercom conversation (conversation_ref is empty)")
    return thread.conversation_ref
