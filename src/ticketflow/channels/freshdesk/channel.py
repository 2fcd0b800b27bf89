"""``FreshdeskChannel``: the ``Channel`` port over a Freshdesk account (``FACTS-channels.md`` §3).

Inbound, ``verify`` checks the shared secret (Freshdesk signs nothing) and ``parse`` reads the ticket the
webhook names from the API, since the webhook cannot say which conversation is new (see ``thread.py``).
Outbound calls go through :class:`~ticketflow.channels.freshdesk.client.FreshdeskClient`:

- ``reply`` posts a public reply, then sets ``status_after_answer`` and adds ``answered_tag``;
- ``note`` adds a private note; ``hand_off`` moves the ticket to the group its reason maps to, tags it
  ``ticketflow-escalated-<reason>`` and leaves the package as a private note;
- ``tag`` and ``assign`` update the ticket. Tags are always read first and sent as the union, because
  whether ``tags`` on ``PUT`` replaces the list is unconfirmed: both readings end the same.

Freshdesk replies and notes take no idempotency key, and nothing is stored here: the durable sender records
its key before calling (``FACTS-channels.md`` §4). So that a step retried in this process sends nothing
twice, as the port promises, the channel remembers the receipts of its recent keys in memory; and in
``hand_off`` the idempotent update runs before the note, so a retry after a failure repeats only harmless
work. The update after a reply is bookkeeping: if it fails the reply still counts (it is logged), because
raising would make the sender post the reply again.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from ticketflow.channels.freshdesk.client import JSON, FreshdeskClient, parse_timestamp
from ticketflow.channels.freshdesk.poll import PollCursor, PollResult, poll_once
from ticketflow.channels.freshdesk.settings_model import FreshdeskSecrets, FreshdeskSettings
from ticketflow.channels.freshdesk.text import handoff_html, html_to_text, text_to_html
from ticketflow.channels.freshdesk.thread import (
    CHANNEL,
    Authorship,
    Requester,
    conversation_id,
    read_thread,
)
from ticketflow.channels.freshdesk.webhook import WebhookBody, read_body, verify_token
from ticketflow.domain.outcome import Handoff
from ticketflow.errors import ChannelError, ConfigError, DeliveryRefused
from ticketflow.ports.channel import Assignee, Capability, ChannelRequest, Parsed, Receipt, Thread

log = logging.getLogger(__name__)

REMEMBERED = 10_000
"""How many recent idempotency keys (and our conversation ids) the channel keeps in memory."""


class FreshdeskChannel:
    """The Freshdesk helpdesk as a ``Channel``; build it with :meth:`from_env` in production."""

    name = CHANNEL
    capabilities = frozenset(
        {Capability.REPLY, Capability.NOTE, Capability.HAND_OFF, Capability.TAG, Capability.ASSIGN}
    )

    def __init__(
        self,
        settings: FreshdeskSettings,
        secrets: FreshdeskSecrets,
        *,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._secret = secrets.webhook_secret
        self._clock = clock
        self._client = FreshdeskClient(
            settings.api_root,
            secrets.api_key,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            sleep=sleep,
            transport=transport,
        )
        self._receipts: OrderedDict[str, Receipt] = OrderedDict()
        self._ours: OrderedDict[int, None] = OrderedDict()

    @classmethod
    def from_env(
        cls, settings: FreshdeskSettings, environ: Mapping[str, str] | None = None, **options: Any
    ) -> FreshdeskChannel:
        """The channel with its secrets read from the environment variables ``settings`` names."""
        return cls(settings, FreshdeskSecrets.from_env(settings, environ), **options)

    def close(self) -> None:
        self._client.close()

    def check(self) -> str:
        """Which agent the API key belongs to (``GET /api/v2/agents/me``), or an error saying what to fix.

        ``agent_user_id`` must be that agent, or our own replies would be taken for a colleague's.
        """
        me = self._client.me()
        contact: dict[str, Any] = me["contact"] if isinstance(me.get("contact"), dict) else {}
        agent = me.get("id")
        configured = self.settings.agent_user_id
        if configured is not None and configured != agent:
            raise ConfigError(
                f"[channels.freshdesk] agent_user_id = {configured}, but the API key belongs to agent "
                f"{agent}: set agent_user_id = {agent}"
            )
        hint = "" if configured is not None else f"; set agent_user_id = {agent} to recognise our replies"
        return f"signed in as agent {contact.get('name')} <{contact.get('email')}> (id {agent}){hint}"

    # inbound

    def payload_schema(self) -> dict[str, Any]:
        return WebhookBody.model_json_schema()

    def verify(self, request: ChannelRequest) -> None:
        """Require the shared secret (header or URL token), compared in constant time; nothing is parsed."""
        verify_token(
            request,
            self._secret,
            header=self.settings.token_header,
            allow_url_token=self.settings.accept_url_token,
        )

    def parse(self, request: ChannelRequest) -> Parsed:
        """The webhook's ticket, read from the API: its unanswered customer messages, and what is ignored.

        Reading the ticket may raise ``ChannelUnavailable`` (retry later; the poller also catches up) or
        ``DeliveryRefused`` (a deleted ticket, a bad API key).
        """
        body = read_body(request)
        return self._read(
            body.ticket_id, Requester(body.requester_email, body.requester_name), body.conversation_id
        )

    def poll(self, cursor: PollCursor) -> PollResult:
        """One polling pass from ``cursor`` (see ``poll.py``); store the result's cursor for the next."""
        return poll_once(
            self._client,
            cursor,
            lambda row: self._read(int(row["id"]), Requester(), None).messages,
            per_page=self.settings.poll_page_size,
            max_windows=self.settings.poll_max_windows,
        )

    def _read(self, ticket_id: int, requester: Requester, only: int | None) -> Parsed:
        ticket = self._client.ticket(ticket_id)
        conversations = self._client.conversations(ticket_id)
        who = Authorship(self.settings.customer_rule, self.settings.agent_user_id, self._ours.keys())
        return read_thread(ticket, conversations, who, now=self._clock(), requester=requester, only=only)

    # outbound

    def reply(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """Post ``body`` as a public reply, then mark the ticket answered (status and tag)."""
        if idempotency_key in self._receipts:
            return self._receipts[idempotency_key]
        ticket_id = _ticket_id(thread)
        receipt = self._created(idempotency_key, self._client.reply(ticket_id, text_to_html(body)))
        status, tag = self.settings.status_after_answer, self.settings.answered_tag
        if status is not None or tag:
            try:
                self._update(ticket_id, {} if status is None else {"status": status}, [tag] if tag else [])
            except ChannelError as exc:
                log.warning(
                    "freshdesk ticket %s: replied, but marking it answered failed: %s", ticket_id, exc
                )
        return receipt

    def note(self, thread: Thread, body: str, *, idempotency_key: str) -> Receipt:
        """Add ``body`` as a private note."""
        if idempotency_key in self._receipts:
            return self._receipts[idempotency_key]
        return self._created(idempotency_key, self._client.note(_ticket_id(thread), text_to_html(body)))

    def hand_off(self, thread: Thread, handoff: Handoff, *, idempotency_key: str) -> Receipt:
        """Move the ticket to the reason's group, tag it escalated, leave the package as a private note."""
        if idempotency_key in self._receipts:
            return self._receipts[idempotency_key]
        ticket_id = _ticket_id(thread)
        group = self._escalation_group(handoff.reason)
        fields = {} if group is None else {"group_id": group}
        self._update(ticket_id, fields, [self.settings.escalated_tag_prefix + _slug(handoff.reason)])
        return self._created(idempotency_key, self._client.note(ticket_id, handoff_html(handoff)))

    def tag(self, thread: Thread, tags: tuple[str, ...], *, idempotency_key: str) -> Receipt:
        """Add ``tags`` to the ticket, keeping those it has."""
        if idempotency_key in self._receipts:
            return self._receipts[idempotency_key]
        ticket_id = _ticket_id(thread)
        return self._updated(idempotency_key, ticket_id, self._update(ticket_id, {}, tags))

    def assign(self, thread: Thread, assignee: Assignee, *, idempotency_key: str) -> Receipt:
        """Assign to an agent (``responder_id``) or a team (``group_id``), by id or by configured name."""
        if idempotency_key in self._receipts:
            return self._receipts[idempotency_key]
        ticket_id = _ticket_id(thread)
        if assignee.kind == "team":
            fields = {"group_id": _resolve(assignee.id, self.settings.groups, "group", "groups")}
        else:
            fields = {"responder_id": _resolve(assignee.id, self.settings.agents, "agent", "agents")}
        return self._updated(idempotency_key, ticket_id, self._client.update(ticket_id, fields))

    def recall(
        self, thread: Thread, *, reply: str | None = None, handoff: Handoff | None = None
    ) -> Receipt | None:
        """Our conversation with exactly this text (a public reply, or a private note for a handoff's package)
        if the ticket already has it: how a send cut off by a crash is recognised instead of posted twice.

        Freshdesk replies and notes take no idempotency key, so the sender asks this before it sends again
        an attempt it finds already begun. Ours means not incoming, by ``agent_user_id`` when it is set; the
        text compared is ``body_text`` or the HTML body read as text, whitespace-normalised.
        """
        if handoff is not None:
            sent_html, private = handoff_html(handoff), True
        elif reply is not None:
            sent_html, private = text_to_html(reply), False
        else:
            return None
        ticket_id = _ticket_id(thread)
        wanted = _normalised(html_to_text(sent_html))
        if not wanted:
            return None
        agent = self.settings.agent_user_id
        for row in reversed(self._client.conversations(ticket_id)):
            if row.get("incoming") is not False or bool(row.get("private")) != private:
                continue
            if agent is not None and row.get("user_id") != agent:
                continue
            texts = [
                row.get("body_text"),
                html_to_text(row["body"]) if isinstance(row.get("body"), str) else None,
            ]
            if any(isinstance(t, str) and _normalised(t) == wanted for t in texts):
                found = row.get("id")
                if isinstance(found, int):
                    self._ours[found] = None
                    _trim(self._ours)
                at = parse_timestamp(row.get("created_at")) or self._clock()
                return Receipt(message_id=conversation_id(ticket_id, str(found)), at=at)
        return None

    def _update(self, ticket_id: int, fields: Mapping[str, Any], add_tags: Iterable[str]) -> JSON:
        """``PUT`` the fields, with the ticket's tags plus ``add_tags`` (read first: see the module doc)."""
        wanted = [t for t in add_tags if t]
        if not wanted:
            return self._client.update(ticket_id, fields)
        current = [t for t in self._client.ticket(ticket_id).get("tags") or [] if isinstance(t, str)]
        known = {t.casefold() for t in current}
        union = current + [t for t in dict.fromkeys(wanted) if t.casefold() not in known]
        return self._client.update(ticket_id, {**fields, "tags": union})

    def _escalation_group(self, reason: str) -> int | None:
        mapping = self.settings.escalation_groups
        target = mapping.get(
            reason, mapping.get(reason.split(":", 1)[0], self.settings.default_escalation_group)
        )
        return None if target is None else _resolve(target, self.settings.groups, "group", "groups")

    def _created(self, key: str, conversation: JSON) -> Receipt:
        created = conversation.get("id")
        if not isinstance(created, int):
            raise DeliveryRefused("freshdesk created a conversation without an id")
        self._ours[created] = None
        _trim(self._ours)
        at = parse_timestamp(conversation.get("created_at")) or self._clock()
        return self._remember(key, Receipt(message_id=str(created), at=at))

    def _updated(self, key: str, ticket_id: int, ticket: JSON) -> Receipt:
        at = parse_timestamp(ticket.get("updated_at")) or self._clock()
        return self._remember(key, Receipt(message_id=f"{ticket_id}@{ticket.get('updated_at')}", at=at))

    def _remember(self, key: str, receipt: Receipt) -> Receipt:
        self._receipts[key] = receipt
        _trim(self._receipts)
        return receipt


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _ticket_id(thread: Thread) -> int:
    ref = thread.conversation_ref or ""
    if not ref.isdigit():
        raise DeliveryRefused(f"{ref!r} is not a Freshdesk ticket id; the thread must name the ticket number")
    return int(ref)


def _resolve(target: str | int, names: Mapping[str, int], kind: str, setting: str) -> int:
    """An id given as a number, or a name looked up in ``channels.freshdesk.<setting>``."""
    if isinstance(target, int):
        return target
    if target.isdigit():
        return int(target)
    if target in names:
        return names[target]
    raise DeliveryRefused(
        f"the freshdesk channel knows no {kind} named {target!r}; add it to channels.freshdesk.{setting}"
    )


def _slug(reason: str) -> str:
    """A reason as a tag: lower case, runs of other characters as one dash (``validation-grounding-tone``)."""
    return re.sub(r"[^a-z0-9]+", "-", reason.casefold()).strip("-") or "unknown"


def _trim(recent: OrderedDict[Any, Any]) -> None:
    while len(recent) > REMEMBERED:
        recent.popitem(last=False)
