"""``FakeFreshdesk``: a loopback Freshdesk API v2 for tests, built from ``FACTS-channels.md`` §3.

It serves what the Freshdesk channel calls, with Freshdesk's shapes and refusals:

- Basic auth with the API key as the user name (any password); otherwise 401
  ``{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}`` 🟡;
- ``GET /api/v2/tickets`` with ``updated_since``/``order_by``/``order_type``/``per_page`` (≤100, default 30)
  /``page``; ``updated_since`` is inclusive; without it only tickets created in the last 30 days; page 301
  answers 400 with the documented body;
- ``GET /api/v2/tickets/{id}`` (``include=requester``, ``include=conversations`` gives the first ten),
  ``GET …/conversations``, ``POST …/reply``, ``POST …/notes``, ``PUT /api/v2/tickets/{id}`` with validation
  errors as ``{"description":"Validation failed","errors":[{"field","message","code"}]}``;
- rate limits and 5xx through the base's ``rate_limit()`` and ``fail()``.

The unconfirmed facts are switches: ``tags_on_put`` (``"replace"`` the list, or ``"append"`` to it) and
``incoming_means`` (``"customer"``: ``incoming`` is true exactly for the requester's messages; ``"email"``:
true for whatever arrived by email, a CC'd stranger included, and false for the requester's portal replies).

State is plain objects tests can read (``tickets[id].conversations``, ``.tags``, ``.group_id``, …); time is
a manual clock (``now``, advanced by ``tick`` at every change), so ``updated_at`` is predictable. A webhook
is the admin's rule body with its placeholders rendered (:meth:`render`), sent by :meth:`send_webhook`.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from ticketflow.channels.freshdesk.text import html_to_text
from ticketflow.testing.fake_helpdesk import FakeHelpdesk, deliver_webhook

STATUS_NAMES = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
SOURCE_NAMES = {1: "Email", 2: "Portal", 3: "Phone", 4: "Forum", 5: "Twitter", 6: "Facebook", 7: "Chat"}
REPLY_SOURCE, NOTE_SOURCE = 0, 2
MAX_PAGES = 300
PAGE_CAP_MESSAGE = "You cannot access tickets beyond the 300th page. Please provide a smaller page number."
UPDATABLE = frozenset({"status", "priority", "tags", "group_id", "responder_id", "subject", "type"})
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def stamp(at: datetime) -> str:
    """A time as Freshdesk writes it (ISO 8601, seconds, ``Z``)."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Person:
    """A contact (customer) or an agent."""

    id: int
    name: str
    email: str


@dataclass
class FakeConversation:
    """One reply or note on a ticket."""

    id: int
    ticket_id: int
    body: str
    user_id: int
    incoming: bool
    private: bool
    source: int
    created_at: datetime
    from_email: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "body_text": html_to_text(self.body),  # Freshdesk's plain-text rendering of ``body``
            "incoming": self.incoming,
            "private": self.private,
            "source": self.source,
            "user_id": self.user_id,
            "ticket_id": self.ticket_id,
            "from_email": self.from_email,
            "to_emails": [],
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.created_at),
        }


@dataclass
class FakeTicket:
    """A ticket and its conversations, as tests inspect them."""

    id: int
    subject: str
    description: str
    requester_id: int
    created_at: datetime
    updated_at: datetime
    status: int = 2
    priority: int = 1
    source: int = 1
    tags: list[str] = field(default_factory=list)
    group_id: int | None = None
    responder_id: int | None = None
    type: str | None = None
    conversations: list[FakeConversation] = field(default_factory=list)

    @property
    def replies(self) -> list[FakeConversation]:
        """The public replies by agents (ours included), oldest first."""
        return [
            c for c in self.conversations if not (c.private or c.incoming or c.user_id == self.requester_id)
        ]

    @property
    def notes(self) -> list[FakeConversation]:
        return [c for c in self.conversations if c.private]

    def json(self, *, listed: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "subject": self.subject,
            "requester_id": self.requester_id,
            "status": self.status,
            "priority": self.priority,
            "source": self.source,
            "tags": list(self.tags),
            "group_id": self.group_id,
            "responder_id": self.responder_id,
            "type": self.type,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at),
        }
        if not listed:  # the list omits descriptions unless include=description (extra credits)
            body["description"] = self.description
            body["description_text"] = self.description
        return body


class FakeFreshdesk(FakeHelpdesk):
    """Freshdesk's API for the calls the channel makes; serve ``app`` with ``testing.server.serve``."""

    def __init__(
        self,
        api_key: str = "fd-test-api-key",
        *,
        tags_on_put: Literal["replace", "append"] = "replace",
        incoming_means: Literal["customer", "email"] = "customer",
        start: datetime = START,
        tick: timedelta = timedelta(seconds=1),
    ) -> None:
        super().__init__("freshdesk")
        self.api_key = api_key
        self.tags_on_put = tags_on_put
        self.incoming_means = incoming_means
        self.now = start
        self.tick = tick
        self.tickets: dict[int, FakeTicket] = {}
        self.contacts: dict[int, Person] = {}
        self.agents: dict[int, Person] = {}
        self.groups: dict[int, str] = {}
        self._ids = {
            "ticket": 0,
            "conversation": 5_000_000,
            "contact": 1_000,
            "agent": 9_000,
            "group": 43_000,
        }
        self._state = threading.RLock()
        self.api_agent_id = self.add_agent("ticketflow", "ticketflow@support.example.com")
        """The agent the API key belongs to: replies and notes made through the API are theirs."""
        self._routes()

    # arranging state (what customers and agents do in the helpdesk)

    def add_contact(self, email: str, name: str = "") -> int:
        with self._state:
            found = next((p.id for p in self.contacts.values() if p.email == email), None)
            if found is not None:
                return found
            person = Person(self._next("contact"), name or email.split("@")[0].title(), email)
            self.contacts[person.id] = person
            return person.id

    def add_agent(self, name: str, email: str) -> int:
        with self._state:
            person = Person(self._next("agent"), name, email)
            self.agents[person.id] = person
            return person.id

    def add_group(self, name: str) -> int:
        with self._state:
            group = self._next("group")
            self.groups[group] = name
            return group

    def create_ticket(
        self,
        email: str = "ada@example.com",
        name: str = "Ada Lovelace",
        *,
        subject: str = "Delivery",
        description: str = "<div>Where is my parcel?</div>",
        tags: Iterable[str] = (),
        source: int = 1,
    ) -> FakeTicket:
        """A ticket a customer opened (by email by default); its description is their first message."""
        with self._state:
            at = self._stamp()
            ticket = FakeTicket(
                id=self._next("ticket"),
                subject=subject,
                description=description,
                requester_id=self.add_contact(email, name),
                created_at=at,
                updated_at=at,
                source=source,
                tags=list(tags),
            )
            self.tickets[ticket.id] = ticket
            return ticket

    def customer_replies(
        self, ticket_id: int, html: str, *, via: Literal["email", "portal"] = "email"
    ) -> FakeConversation:
        """The requester writes again, by email or in the portal."""
        ticket = self.tickets[ticket_id]
        incoming = True if self.incoming_means == "customer" else via == "email"
        email = self.contacts[ticket.requester_id].email
        return self._add(
            ticket, html, ticket.requester_id, incoming=incoming, private=False, from_email=email
        )

    def stranger_writes(self, ticket_id: int, email: str, html: str) -> FakeConversation:
        """Someone CC'd on the ticket (not the requester) replies by email."""
        user = self.add_contact(email)
        incoming = self.incoming_means == "email"
        return self._add(
            self.tickets[ticket_id], html, user, incoming=incoming, private=False, from_email=email
        )

    def agent_writes(
        self, ticket_id: int, html: str, *, agent_id: int | None = None, private: bool = False
    ) -> FakeConversation:
        """An agent replies (or adds a private note) in the helpdesk; by default a human agent."""
        if agent_id is None:
            agent_id = next((a for a in self.agents if a != self.api_agent_id), None) or self.add_agent(
                "Grace Hopper", "grace@support.example.com"
            )
        return self._add(self.tickets[ticket_id], html, agent_id, incoming=False, private=private)

    # webhooks

    def render(self, template: str, ticket_id: int) -> bytes:
        """The automation rule's body with Freshdesk's placeholders filled in (values JSON-escaped)."""
        with self._state:
            ticket = self.tickets[ticket_id]
            requester = self.contacts[ticket.requester_id]
            public = [c for c in ticket.conversations if not c.private]
            latest = public[-1].body if public else ticket.description
            agent = self.agents.get(ticket.responder_id or -1)
            values = {
                "ticket.id": str(ticket.id),
                "ticket.subject": ticket.subject,
                "ticket.description": ticket.description,
                "ticket.url": f"https://fake.freshdesk.com/helpdesk/tickets/{ticket.id}",
                "ticket.tags": ",".join(ticket.tags),
                "ticket.latest_public_comment": f"{latest}\n\n",
                "ticket.status": STATUS_NAMES.get(ticket.status, str(ticket.status)),
                "ticket.priority": str(ticket.priority),
                "ticket.source": SOURCE_NAMES.get(ticket.source, str(ticket.source)),
                "ticket.ticket_type": ticket.type or "",
                "ticket.requester.name": requester.name,
                "ticket.from_email": requester.email,
                "ticket.requester.phone": "",
                "ticket.group.name": self.groups.get(ticket.group_id or -1, ""),
                "ticket.agent.name": agent.name if agent else "",
                "ticket.agent.email": agent.email if agent else "",
            }
        rendered = template
        for name, value in values.items():
            rendered = rendered.replace("{{" + name + "}}", json.dumps(value)[1:-1])
        return rendered.encode()

    def send_webhook(
        self,
        url: str,
        body: bytes,
        *,
        token: str | None = None,
        header: str = "X-Ticketflow-Token",
        in_url: bool = False,
    ) -> httpx.Response:
        """POST ``body`` as the rule's *Trigger Webhook* action would, the token in a header or the URL."""
        headers = {header: token} if token is not None and not in_url else {}
        if token is not None and in_url:
            url = str(httpx.URL(url).copy_merge_params({"token": token}))
        return deliver_webhook(url, body, headers)

    # the API

    def _routes(self) -> None:
        app = self.app

        @app.get("/api/v2/agents/me")
        async def me(request: Request) -> Response:
            return self._guarded(request, self._me)

        @app.get("/api/v2/tickets")
        async def list_tickets(request: Request) -> Response:
            return self._guarded(request, lambda: self._list(request))

        @app.get("/api/v2/tickets/{ticket_id}")
        async def view(request: Request, ticket_id: str) -> Response:
            return self._guarded(request, lambda: self._view(request, ticket_id))

        @app.get("/api/v2/tickets/{ticket_id}/conversations")
        async def conversations(request: Request, ticket_id: str) -> Response:
            return self._guarded(request, lambda: self._conversations(request, ticket_id))

        @app.post("/api/v2/tickets/{ticket_id}/reply")
        async def reply(request: Request, ticket_id: str) -> Response:
            body = await request.body()
            return self._guarded(request, lambda: self._create(ticket_id, body, note=False))

        @app.post("/api/v2/tickets/{ticket_id}/notes")
        async def note(request: Request, ticket_id: str) -> Response:
            body = await request.body()
            return self._guarded(request, lambda: self._create(ticket_id, body, note=True))

        @app.put("/api/v2/tickets/{ticket_id}")
        async def update(request: Request, ticket_id: str) -> Response:
            body = await request.body()
            return self._guarded(request, lambda: self._update(ticket_id, body))

    def _me(self) -> Response:
        """The agent the API key belongs to (the credentials check)."""
        agent = self.agents[self.api_agent_id]
        return JSONResponse(
            {
                "id": agent.id,
                "available": True,
                "occasional": False,
                "type": "support_agent",
                "contact": {"name": agent.name, "email": agent.email, "active": True},
            }
        )

    def _guarded(self, request: Request, handler: Any) -> Response:
        if not self._authorised(request.headers.get("authorization", "")):
            return JSONResponse(
                {
                    "code": "invalid_credentials",
                    "message": "You have to be logged in to perform this action.",
                },
                401,
            )
        with self._state:
            response: Response = handler()
            return response

    def _authorised(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user = base64.b64decode(encoded, validate=True).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.api_key

    def _list(self, request: Request) -> Response:
        query = request.query_params
        page, per_page, problem = _paging(query.get("page"), query.get("per_page"))
        if problem is not None:
            return problem
        if page > MAX_PAGES:
            return _invalid("page", PAGE_CAP_MESSAGE, "invalid_value")
        rows = list(self.tickets.values())
        since_text = query.get("updated_since")
        if since_text is not None:
            since = _when(since_text)
            if since is None:
                return _invalid(
                    "updated_since", "It should be in the 'valid date time' format", "invalid_value"
                )
            rows = [t for t in rows if t.updated_at >= since]
        else:
            rows = [t for t in rows if t.created_at >= self.now - timedelta(days=30)]
        order_by = query.get("order_by", "created_at")
        if order_by not in {"created_at", "due_by", "updated_at", "status"}:
            return _invalid(
                "order_by", "It should be one of these values: 'created_at,due_by,updated_at,status'"
            )
        key = "created_at" if order_by == "due_by" else order_by
        rows.sort(key=lambda t: (getattr(t, key), t.id), reverse=query.get("order_type", "desc") == "desc")
        chosen = rows[(page - 1) * per_page : page * per_page]
        return JSONResponse([t.json(listed=True) for t in chosen])

    def _view(self, request: Request, ticket_id: str) -> Response:
        ticket = self._ticket(ticket_id)
        if ticket is None:
            return Response(status_code=404)
        body = ticket.json()
        include = set(request.query_params.get("include", "").split(","))
        if "requester" in include:
            person = self.contacts[ticket.requester_id]
            body["requester"] = {"id": person.id, "name": person.name, "email": person.email, "mobile": None}
        if "conversations" in include:
            body["conversations"] = [c.json() for c in ticket.conversations[:10]]
        return JSONResponse(body)

    def _conversations(self, request: Request, ticket_id: str) -> Response:
        ticket = self._ticket(ticket_id)
        if ticket is None:
            return Response(status_code=404)
        page, per_page, problem = _paging(
            request.query_params.get("page"), request.query_params.get("per_page")
        )
        if problem is not None:
            return problem
        chosen = ticket.conversations[(page - 1) * per_page : page * per_page]
        return JSONResponse([c.json() for c in chosen])

    def _create(self, ticket_id: str, raw: bytes, *, note: bool) -> Response:
        found = self._writing(ticket_id, raw)
        if isinstance(found, Response):
            return found
        ticket, body = found
        if not isinstance(body.get("body"), str) or not body["body"].strip():
            return _invalid("body", "It should be a/an String", "missing_field")
        private = body.get("private", True) if note else False
        source = NOTE_SOURCE if note else REPLY_SOURCE
        made = self._add(
            ticket, body["body"], self.api_agent_id, incoming=False, private=bool(private), source=source
        )
        return JSONResponse(made.json(), 201)

    def _update(self, ticket_id: str, raw: bytes) -> Response:
        found = self._writing(ticket_id, raw)
        if isinstance(found, Response):
            return found
        ticket, body = found
        for name in body:
            if name not in UPDATABLE:
                return _invalid(name, "Unexpected/invalid field in request", "invalid_field")
        if "status" in body and body["status"] not in STATUS_NAMES:
            return _invalid("status", "It should be one of these values: '2,3,4,5'")
        if "group_id" in body and body["group_id"] is not None and body["group_id"] not in self.groups:
            return _invalid("group_id", "There is no group matching the given group_id")
        if (
            "responder_id" in body
            and body["responder_id"] is not None
            and body["responder_id"] not in self.agents
        ):
            return _invalid("responder_id", "There is no agent matching the given responder_id")
        tags = body.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return _invalid("tags", "It should be an Array of String", "datatype_mismatch")
        for name in ("status", "priority", "group_id", "responder_id", "subject", "type"):
            if name in body:
                setattr(ticket, name, body[name])
        if "tags" in body:
            if self.tags_on_put == "replace":
                ticket.tags = list(dict.fromkeys(tags))
            else:
                ticket.tags = list(dict.fromkeys([*ticket.tags, *tags]))
        ticket.updated_at = self._stamp()
        return JSONResponse(ticket.json())

    # internals

    def _writing(self, ticket_id: str, raw: bytes) -> tuple[FakeTicket, dict[str, Any]] | Response:
        """The ticket a write names and its JSON object body, or the refusal (404, invalid_json)."""
        ticket = self._ticket(ticket_id)
        if ticket is None:
            return Response(status_code=404)
        body = _json(raw)
        if not isinstance(body, dict):
            return _invalid("", "Request body has invalid json format", "invalid_json")
        return ticket, body

    def _add(
        self,
        ticket: FakeTicket,
        html: str,
        user_id: int,
        *,
        incoming: bool,
        private: bool,
        from_email: str | None = None,
        source: int | None = None,
    ) -> FakeConversation:
        with self._state:
            at = self._stamp()
            made = FakeConversation(
                id=self._next("conversation"),
                ticket_id=ticket.id,
                body=html,
                user_id=user_id,
                incoming=incoming,
                private=private,
                source=(NOTE_SOURCE if private else REPLY_SOURCE) if source is None else source,
                created_at=at,
                from_email=from_email,
            )
            ticket.conversations.append(made)
            ticket.updated_at = at
            return made

    def _ticket(self, ticket_id: str) -> FakeTicket | None:
        return self.tickets.get(int(ticket_id)) if ticket_id.isdigit() else None

    def _stamp(self) -> datetime:
        at = self.now
        self.now = self.now + self.tick
        return at

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]


def _invalid(field: str, message: str, code: str = "invalid_value") -> JSONResponse:
    """Freshdesk's validation error body (400)."""
    errors = [{"field": field, "message": message, "code": code}]
    return JSONResponse({"description": "Validation failed", "errors": errors}, 400)


def _paging(page_text: str | None, per_page_text: str | None) -> tuple[int, int, JSONResponse | None]:
    page = int(page_text) if page_text and page_text.isdigit() else 1 if page_text is None else -1
    per_page = (
        int(per_page_text)
        if per_page_text and per_page_text.isdigit()
        else 30
        if per_page_text is None
        else -1
    )
    if page < 1:
        return page, per_page, _invalid("page", "It should be a Positive Number", "datatype_mismatch")
    if not 1 <= per_page <= 100:
        return (
            page,
            per_page,
            _invalid("per_page", "It should be a Number between 1 and 100", "invalid_value"),
        )
    return page, per_page, None


def _when(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
