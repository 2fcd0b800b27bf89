"""``FakeZendesk``: a loopback Zendesk with tickets, comments, tags, users and the incremental export.

Built from ``FACTS-channels.md`` §1 on :class:`FakeHelpdesk` (request log, scripted 429/5xx). It checks auth
as Zendesk does (Basic ``{email}/token:{api_token}`` or ``Bearer``; a 401 says ``Couldn't authenticate
you``), answers errors in Zendesk's shape (``{"error","description","details"}``), keeps state tests inspect
(``tickets``, ``users``), pages comment lists (100 a page, ``next_page`` a full URL: Zendesk's offset
pagination, which FACTS-channels does not detail), and signs webhooks of both kinds for a new customer
comment::

    zd = FakeZendesk()
    ada = zd.add_user("Ada", "ada@example.com")
    ticket = zd.create_ticket(ada, "Delivery", "Where is my parcel?")
    with serve(zd.app) as server:
        ...  # point ZendeskSettings.base_url at server.url
        zd.deliver_webhook(url, ticket, kind="trigger")

Options for what FACTS leaves open: ``signature_order`` (the fake signs timestamp+body by default),
``escape_placeholders`` (trigger placeholders JSON-escaped, the default, or rendered raw, so a quote or a line
break in a comment makes the body invalid JSON), ``trigger_template`` (the body the admin pasted: the full
template by default, or the ids-only one), ``exclude_last_minute`` (the export leaves out tickets changed in
the minute before the request), a per-minute limit on the export (10 on Zendesk, off by default), and the
page size of the export.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, Literal

import httpx
from fastapi import Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from ticketflow.channels.zendesk.webhook import TRIGGER_BODY_TEMPLATE
from ticketflow.testing.fake_helpdesk import FakeHelpdesk, deliver_webhook, json_bytes

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
MAX_COMMENTS = 5000
COMMENTS_PER_PAGE = 100
"""Zendesk lists a ticket's comments 100 to a page by default (the most it serves)."""
Role = Literal["end-user", "agent", "admin"]
WebhookKind = Literal["event", "trigger", "ticket_created"]


@dataclass
class User:
    """A user of the fake account: an end-user (customer) or an agent/admin."""

    id: str
    name: str
    email: str | None
    role: Role

    def json(self) -> dict[str, Any]:
        return {"id": _num(self.id), "name": self.name, "email": self.email, "role": self.role}


@dataclass
class Comment:
    """A comment on a fake ticket, public or internal."""

    id: str
    author_id: str
    body: str
    public: bool
    created_at: datetime
    html: bool = False

    def json(self) -> dict[str, Any]:
        html_body = self.body if self.html else f'<div class="zd-comment" dir="auto"><p>{self.body}</p></div>'
        return {
            "id": _num(self.id),
            "type": "Comment",
            "author_id": _num(self.author_id),
            "body": self.body,
            "html_body": html_body,
            "public": self.public,
            "attachments": [],
            "via": {"channel": "web"},
            "metadata": {},
            "created_at": _iso(self.created_at),
        }


@dataclass
class Ticket:
    """A fake ticket: its comments, tags, status, group and assignee, as tests inspect them."""

    id: str
    subject: str
    requester_id: str
    created_at: datetime
    updated_at: datetime
    change: int
    """The export's order: a global sequence bumped on every change."""
    status: str = "new"
    group_id: str | None = None
    assignee_id: str | None = None
    tags: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "id": _num(self.id),
            "subject": self.subject,
            "description": self.comments[0].body if self.comments else "",
            "status": self.status,
            "requester_id": _num(self.requester_id),
            "submitter_id": _num(self.requester_id),
            "assignee_id": _num(self.assignee_id) if self.assignee_id else None,
            "group_id": _num(self.group_id) if self.group_id else None,
            "tags": list(self.tags),
            "via": {"channel": "web"},
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


class FakeZendesk(FakeHelpdesk):
    """A Zendesk account in memory, served as FastAPI routes (see the module docstring)."""

    def __init__(
        self,
        *,
        email: str = "bot@acme.example",
        api_token: str = "zd-api-token",
        oauth_token: str | None = None,
        signing_secret: str = "zd-signing-secret",
        signature_order: Literal["timestamp_body", "body_timestamp"] = "timestamp_body",
        escape_placeholders: bool = True,
        trigger_template: str = TRIGGER_BODY_TEMPLATE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        exclude_last_minute: bool = False,
        export_page_size: int = 1000,
        export_per_minute: int | None = None,
    ) -> None:
        super().__init__("zendesk")
        self.email, self.api_token, self.oauth_token = email, api_token, oauth_token
        self.signing_secret, self.signature_order = signing_secret, signature_order
        self.escape_placeholders = escape_placeholders
        """Whether trigger placeholders are JSON-escaped (FACTS-channels §7.3, unconfirmed) or put in raw."""
        self.trigger_template = trigger_template
        """The trigger body the admin pasted (:data:`TRIGGER_BODY_TEMPLATE` or the ids-only one)."""
        self.clock = clock
        self.exclude_last_minute = exclude_last_minute
        self.export_page_size = export_page_size
        self.export_per_minute = export_per_minute
        self.users: dict[str, User] = {}
        self.tickets: dict[str, Ticket] = {}
        self._ids = count(8_447_000)
        self._changes = count(1)
        self._exports: list[datetime] = []
        self.agent = self.add_user("Ticketflow", email, "agent")
        """The agent the API token belongs to: what the API posts without ``author_id`` is by it."""
        self._routes()

    # state, for tests

    def add_user(self, name: str, email: str | None, role: Role = "end-user") -> str:
        user = User(self._next_id(), name, email, role)
        self.users[user.id] = user
        return user.id

    def create_ticket(
        self, requester_id: str, subject: str, text: str, *, ticket_id: str | None = None
    ) -> str:
        """A ticket opened by ``requester_id`` whose first comment is ``text``; its id."""
        now = self._now()
        ticket = Ticket(ticket_id or str(len(self.tickets) + 5000), subject, requester_id, now, now, 0)
        self.tickets[ticket.id] = ticket
        self.add_comment(ticket.id, requester_id, text)
        return ticket.id

    def add_comment(
        self, ticket_id: str, author_id: str, body: str, *, public: bool = True, html: bool = False
    ) -> str:
        """A comment written in Zendesk (by a customer or an agent); its id."""
        ticket = self.tickets[ticket_id]
        comment = Comment(self._next_id(), author_id, body, public, self._now(), html)
        ticket.comments.append(comment)
        self._touch(ticket)
        return comment.id

    def comment(self, ticket_id: str, comment_id: str) -> Comment:
        return next(c for c in self.tickets[ticket_id].comments if c.id == comment_id)

    # webhooks

    def sign(self, body: bytes, at: datetime | None = None) -> dict[str, str]:
        """The headers Zendesk sends with ``body``: ids and the signature over timestamp and body."""
        timestamp = _iso(at or self._now())
        signed = (
            body + timestamp.encode()
            if self.signature_order == "body_timestamp"
            else timestamp.encode() + body
        )
        digest = hmac.new(self.signing_secret.encode(), signed, hashlib.sha256).digest()
        return {
            "x-zendesk-account-id": "22129848",
            "x-zendesk-webhook-id": "01F1KRFQ6BG29CNWFR60NK5FNY",
            "x-zendesk-webhook-invocation-id": str(next(self._ids)),
            "x-zendesk-webhook-signature": base64.b64encode(digest).decode(),
            "x-zendesk-webhook-signature-timestamp": timestamp,
            "user-agent": "Zendesk Webhook",
        }

    def webhook_body(
        self, ticket_id: str, comment_id: str | None = None, *, kind: WebhookKind = "event"
    ) -> bytes:
        """The body Zendesk posts for a comment (default: the ticket's latest), of the given kind."""
        ticket = self.tickets[ticket_id]
        comment = self.comment(ticket_id, comment_id) if comment_id else ticket.comments[-1]
        if kind == "trigger":
            return self._render_trigger(ticket, comment).encode()
        author = self.users[comment.author_id]
        envelope: dict[str, Any] = {
            "type": "zen:event-type:"
            + ("ticket.created" if kind == "ticket_created" else "ticket.comment_added"),
            "account_id": 22129848,
            "id": f"evt-{next(self._ids)}",
            "time": _iso(self._now()),
            "zendesk_event_version": "2022-11-06",
            "subject": f"zen:ticket:{ticket.id}",
            "detail": {k: _text(v) for k, v in ticket.json().items()},
            "event": {},
        }
        envelope["detail"]["status"] = ticket.status.upper()
        if kind == "event":
            envelope["event"] = {
                "comment": {
                    "id": comment.id,
                    "body": comment.body,
                    "is_public": comment.public,
                    "author": {"id": author.id, "is_staff": author.role != "end-user", "name": author.name},
                }
            }
        return json_bytes(envelope)

    def deliver_webhook(
        self,
        url: str,
        ticket_id: str,
        comment_id: str | None = None,
        *,
        kind: WebhookKind = "event",
        at: datetime | None = None,
    ) -> httpx.Response:
        """Build, sign and POST the webhook for a comment to ``url``, as Zendesk would."""
        body = self.webhook_body(ticket_id, comment_id, kind=kind)
        return deliver_webhook(url, body, self.sign(body, at))

    def _render_trigger(self, ticket: Ticket, comment: Comment) -> str:
        author, requester = self.users[comment.author_id], self.users[ticket.requester_id]
        values = {
            "ticket.id": ticket.id,
            "ticket.latest_comment.id": comment.id,
            "ticket.title": ticket.subject,
            "ticket.requester.id": requester.id,
            "ticket.requester.email": requester.email or "",
            "ticket.requester.name": requester.name,
            "ticket.latest_comment": comment.body,
            "ticket.latest_comment_html": comment.json()["html_body"],
            "current_user.id": author.id,
            "current_user.role": {"end-user": "End-user", "agent": "Agent", "admin": "Admin"}[author.role],
            "ticket.via": "Web form",
            "ticket.tags": " ".join(ticket.tags),
            "ticket.created_at_with_timestamp": _iso(ticket.created_at),
        }
        # placeholders are rendered as text; whether Zendesk JSON-escapes them is unconfirmed (FACTS §7.3)

        def render(match: re.Match[str]) -> str:
            value = values.get(match.group(1), "")
            return json.dumps(value)[1:-1] if self.escape_placeholders else value

        return re.sub(r"\{\{([\w.]+)\}\}", render, self.trigger_template)

    # the API

    def _routes(self) -> None:
        app = self.app
        app.middleware("http")(self._rate_headers)
        app.get("/api/v2/users/me.json")(self._authed(self._get_me))  # before {user_id}, which would take it
        app.get("/api/v2/users/{user_id}.json")(self._authed(self._get_user))
        app.get("/api/v2/tickets/{ticket_id}.json")(self._authed(self._get_ticket))
        app.put("/api/v2/tickets/{ticket_id}.json")(self._authed(self._update_ticket))
        app.get("/api/v2/tickets/{ticket_id}/comments.json")(self._authed(self._list_comments))
        for method in ("put", "post", "delete"):
            getattr(app, method)("/api/v2/tickets/{ticket_id}/tags.json")(self._authed(self._tags))
        app.get("/api/v2/incremental/tickets/cursor.json")(self._authed(self._export))

    def _authed(
        self, handler: Callable[[Request, str], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            user = self._authenticate(request.headers.get("authorization", ""))
            if user is None:
                return self.unauthorized()
            return await handler(request, user)

        return route

    def _authenticate(self, header: str) -> str | None:
        """The user the credentials belong to, or None: Basic ``{email}/token:{token}`` or a Bearer token."""
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and self.oauth_token and hmac.compare_digest(value, self.oauth_token):
            return self.agent
        if scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            if login == f"{self.email}/token" and hmac.compare_digest(secret, self.api_token):
                return self.agent
        return None

    async def _rate_headers(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["X-Rate-Limit"] = "700"
        response.headers["X-Rate-Limit-Remaining"] = "699"
        return response

    async def _get_me(self, request: Request, user: str) -> Response:
        """The user the credentials belong to (the check ``ticketflow channels check`` makes)."""
        return JSONResponse({"user": self.users[user].json()})

    async def _get_user(self, request: Request, _: str) -> Response:
        user = self.users.get(request.path_params["user_id"])
        return JSONResponse({"user": user.json()}) if user else _not_found()

    async def _get_ticket(self, request: Request, _: str) -> Response:
        ticket = self.tickets.get(request.path_params["ticket_id"])
        return JSONResponse({"ticket": ticket.json()}) if ticket else _not_found()

    async def _list_comments(self, request: Request, _: str) -> Response:
        """Offset pages of up to 100 comments, oldest first, with ``next_page`` as a full URL."""
        ticket = self.tickets.get(request.path_params["ticket_id"])
        if ticket is None:
            return _not_found()
        query = request.query_params
        page, per_page = query.get("page", "1"), query.get("per_page", str(COMMENTS_PER_PAGE))
        if not (page.isdigit() and per_page.isdigit() and int(page) >= 1 and 1 <= int(per_page) <= 100):
            return _error(400, "InvalidPaginationParameter", "page and per_page (1-100) must be numbers")
        number, size = int(page), int(per_page)
        comments = [c.json() for c in ticket.comments]
        chosen = comments[(number - 1) * size : number * size]
        url = f"{str(request.base_url).rstrip('/')}{request.url.path}"
        more = len(comments) > number * size
        return JSONResponse(
            {
                "comments": chosen,
                "next_page": f"{url}?page={number + 1}&per_page={size}" if more else None,
                "previous_page": f"{url}?page={number - 1}&per_page={size}" if number > 1 else None,
                "count": len(comments),
            }
        )

    async def _update_ticket(self, request: Request, user: str) -> Response:
        ticket = self.tickets.get(request.path_params["ticket_id"])
        if ticket is None:
            return _not_found()
        changes = await _json_body(request, "ticket")
        if isinstance(changes, Response):
            return changes
        if ticket.status == "closed":
            return _invalid("status", "Status: closed prevents ticket update", "ClosedPreventsUpdate")
        status = changes.get("status")
        if status is not None and status not in STATUSES:
            return _invalid("status", f"Status: {status} is not valid", "InvalidValue")
        comment = changes.get("comment")
        events: list[dict[str, Any]] = []
        if comment is not None:
            body = comment.get("body") or comment.get("html_body") if isinstance(comment, dict) else None
            if not isinstance(body, str) or not body.strip():
                return _invalid("comment", "Comment: cannot be blank", "BlankValue")
            if len(ticket.comments) >= MAX_COMMENTS:
                return _invalid("base", f"Comments: a ticket holds at most {MAX_COMMENTS}", "TooManyComments")
            author = str(comment.get("author_id") or user)
            if author not in self.users:
                return _invalid("comment", "Author: is invalid", "InvalidValue")
            new = Comment(
                self._next_id(), author, body, comment.get("public", True) is not False, self._now()
            )
            new.html = "html_body" in comment and "body" not in comment
            ticket.comments.append(new)
            events.append({**new.json(), "type": "Comment"})
        for name in ("status", "group_id", "assignee_id"):
            if name in changes:
                value = changes[name]
                setattr(ticket, name, None if value is None else str(value))
                events.append({"id": self._next_id(), "type": "Change", "field_name": name, "value": value})
        self._touch(ticket)
        audit = {
            "id": _num(self._next_id()),
            "ticket_id": _num(ticket.id),
            "author_id": _num(user),
            "created_at": _iso(ticket.updated_at),
            "events": events,
        }
        return JSONResponse({"ticket": ticket.json(), "audit": audit})

    async def _tags(self, request: Request, _: str) -> Response:
        """PUT adds, POST replaces, DELETE removes (FACTS-channels §1.5)."""
        ticket = self.tickets.get(request.path_params["ticket_id"])
        if ticket is None:
            return _not_found()
        body = await _json_body(request, None)
        if isinstance(body, Response):
            return body
        tags = body.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return _invalid("tags", "Tags: must be a list of strings", "InvalidValue")
        wanted = [t.strip().lower().replace(" ", "_") for t in tags if t.strip()]
        if request.method == "POST":
            ticket.tags = list(dict.fromkeys(wanted))
        elif request.method == "PUT":
            ticket.tags = list(dict.fromkeys([*ticket.tags, *wanted]))
        else:
            ticket.tags = [t for t in ticket.tags if t not in wanted]
        self._touch(ticket)
        return JSONResponse({"tags": ticket.tags})

    async def _export(self, request: Request, _: str) -> Response:
        """The cursor-based incremental ticket export, oldest change first."""
        now = self._now()
        self._exports = [t for t in self._exports if t > now - timedelta(minutes=1)]
        if self.export_per_minute is not None and len(self._exports) >= self.export_per_minute:
            wait = max(1, int((self._exports[0] + timedelta(minutes=1) - now).total_seconds()))
            message = "Number of allowed incremental export API requests per minute exceeded"
            return PlainTextResponse(message, 429, {"Retry-After": str(wait)})
        self._exports.append(now)
        cursor, start = request.query_params.get("cursor"), request.query_params.get("start_time")
        after = _read_cursor(cursor) if cursor else None
        if cursor and after is None:
            return _error(400, "InvalidPaginationParameter", "cursor is invalid")
        if after is not None:
            candidates = [t for t in self.tickets.values() if t.change > after]
        elif start and start.isdigit():
            since = datetime.fromtimestamp(int(start), UTC)
            candidates = [t for t in self.tickets.values() if t.updated_at >= since]
        else:
            return _error(400, "InvalidValue", "start_time or cursor is required")
        candidates.sort(key=lambda t: t.change)
        eligible = candidates
        if self.exclude_last_minute:
            eligible = [t for t in candidates if t.updated_at <= now - timedelta(minutes=1)]
        page = eligible[: self.export_page_size]
        if page:
            last = page[-1].change
        elif after is not None:
            last = after
        else:  # from start_time, nothing yet: just before the first candidate, so it comes next time
            last = (
                candidates[0].change - 1
                if candidates
                else max((t.change for t in self.tickets.values()), default=0)
            )
        after_cursor = _write_cursor(last)
        return JSONResponse(
            {
                "tickets": [t.json() for t in page],
                "after_cursor": after_cursor,
                "after_url": f"{str(request.base_url).rstrip('/')}{request.url.path}?cursor={after_cursor}",
                "before_cursor": None,
                "before_url": None,
                "end_of_stream": len(eligible) <= len(page),
            }
        )

    # helpers

    def _touch(self, ticket: Ticket) -> None:
        ticket.updated_at = self._now()
        ticket.change = next(self._changes)

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def _next_id(self) -> str:
        return str(next(self._ids))


async def _json_body(request: Request, key: str | None) -> dict[str, Any] | Response:
    """The JSON object (under ``key``), or Zendesk's answer to a body it cannot read."""
    if "json" not in request.headers.get("content-type", ""):
        return PlainTextResponse("Content-Type must be application/json", 400)
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _error(400, "InvalidJSON", "The request body is not valid JSON")
    value = body.get(key) if key and isinstance(body, dict) else body
    if not isinstance(value, dict):
        return _error(400, "InvalidValue", f"{key or 'body'} must be an object")
    return value


def _not_found() -> JSONResponse:
    return _error(404, "RecordNotFound", "Not found")


def _invalid(where: str, description: str, error: str) -> JSONResponse:
    details = {where: [{"description": description, "error": error}]}
    return _error(422, "RecordInvalid", "Record validation errors", details)


def _error(status: int, error: str, description: str, details: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "description": description}
    if details:
        body["details"] = details
    return JSONResponse(body, status)


def _write_cursor(change: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"change": change}).encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> int | None:
    try:
        change = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["change"]
    except (ValueError, KeyError, TypeError):
        return None
    return change if isinstance(change, int) else None


def _num(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _text(value: Any) -> Any:
    """Event webhooks send ids as strings (FACTS-channels §1.3)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
