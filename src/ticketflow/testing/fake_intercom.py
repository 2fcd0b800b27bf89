"""``FakeIntercom``: a loopback Intercom built from FACTS-channels §2, on :class:`FakeHelpdesk`.

It serves the calls ticketflow makes (reply and note, assignment and state parts, create-or-update tags and
tagging, contacts, one conversation, search), with Intercom's Bearer auth and ``error.list`` bodies and the
``X-RateLimit-*`` headers of authenticated responses. Search keeps the documented quirk that ``>`` means
greater *or equal*, and pages with ``starting_after`` tokens shaped like Intercom's (base64 of
``[updated_at, id]``); the results carry no parts, so a client fetches ``GET /conversations/{id}`` for them.

The customer side is scripted with :meth:`FakeIntercom.customer_starts` and :meth:`customer_replies`;
:meth:`notification` builds the webhook Intercom would send and :meth:`signed` signs it (``X-Hub-Signature:
sha1=…`` with ``signing_key``, the app's ``client_secret`` or a legacy ``hub_secret``: the fake cannot tell).
State is plain dicts shaped like the API's objects, for tests to inspect.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from ticketflow.testing.fake_helpdesk import Failure, FakeHelpdesk, json_bytes

WINDOW_S = 10
LIMIT_PER_WINDOW = 167
"""Intercom enforces its limits per 10 s window; 1000/min is 167 per window (FACTS-channels §2.7)."""
MAX_PER_PAGE = 150


def error_body(code: str, message: str) -> dict[str, Any]:
    """Intercom's error shape: ``{"type": "error.list", "request_id", "errors": [{"code", "message"}]}``."""
    return {
        "type": "error.list",
        "request_id": str(uuid.uuid4()),
        "errors": [{"code": code, "message": message, "field": None}],
    }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message), status)


class FakeIntercom(FakeHelpdesk):
    """One fake workspace: ``token`` authenticates, ``admin_ids`` may post, ``clock`` gives UNIX seconds."""

    def __init__(
        self,
        *,
        token: str = "ic-test-token",
        signing_key: str = "ic-client-secret",
        admin_ids: tuple[str, ...] = ("991267696",),
        teams: tuple[str, ...] = ("team-billing", "team-support"),
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        super().__init__("intercom")
        self.token = token
        self.signing_key = signing_key
        self.admin_ids = set(admin_ids)
        self.teams = set(teams)
        self.clock = clock
        self.conversations: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, Any]] = {}
        """Workspace tags by name."""
        self._ids = itertools.count(1001)
        self._state_lock = threading.RLock()
        self._window: tuple[int, int] = (0, 0)
        self.app.middleware("http")(self._rate_limit_headers)
        self._routes()

    # the customer side, scripted by tests

    def add_contact(self, email: str | None, name: str = "", role: str = "user") -> str:
        """A contact (``role`` user or lead); returns its id."""
        contact_id = uuid.uuid4().hex[:24]
        self.contacts[contact_id] = {
            "type": "contact",
            "id": contact_id,
            "role": role,
            "email": email,
            "name": name or None,
        }
        return contact_id

    def customer_starts(
        self,
        contact_id: str,
        body_html: str,
        *,
        subject: str = "",
        author_email: bool = True,
        conversation_id: str | None = None,
    ) -> str:
        """The contact opens a conversation; returns its id. ``author_email``: the author names the email."""
        now = self.clock()
        conversation_id = conversation_id or str(self._next())
        author = self._author(contact_id, author_email)
        with self._state_lock:
            self.conversations[conversation_id] = {
                "type": "conversation",
                "id": conversation_id,
                "created_at": now,
                "updated_at": now,
                "source": {
                    "type": "conversation",
                    "id": str(self._next()),
                    "delivered_as": "customer_initiated",
                    "subject": subject,
                    "body": body_html,
                    "author": author,
                },
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": contact_id}]},
                "admin_assignee_id": None,
                "team_assignee_id": None,
                "state": "open",
                "open": True,
                "snoozed_until": None,
                "tags": {"type": "tag.list", "tags": []},
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "total_count": 0,
                    "conversation_parts": [],
                },
            }
        return conversation_id

    def customer_replies(self, conversation_id: str, body_html: str, *, author_email: bool = True) -> str:
        """The customer writes again; a reply to a closed or snoozed conversation reopens it (``open``)."""
        conversation = self.conversations[conversation_id]
        contact_id = conversation["contacts"]["contacts"][0]["id"]
        reopens = conversation["state"] != "open"
        if reopens:
            self._set_state(conversation, "open")
        author = self._author(contact_id, author_email)
        return self._add_part(conversation, "open" if reopens else "comment", author, body_html)

    def agent_writes(
        self, conversation_id: str, admin_id: str, body_html: str, part_type: str = "comment"
    ) -> str:
        """An admin's part written in the inbox (a ``comment`` or a ``note``)."""
        author = {"type": "admin", "id": admin_id, "name": "Support Agent", "email": "agent@desk.test"}
        return self._add_part(self.conversations[conversation_id], part_type, author, body_html)

    def parts(self, conversation_id: str, part_type: str | None = None) -> list[dict[str, Any]]:
        """The conversation's parts (of one type), oldest first."""
        listed = self.conversations[conversation_id]["conversation_parts"]["conversation_parts"]
        return [p for p in listed if part_type is None or p["part_type"] == part_type]

    def tag_names(self, conversation_id: str) -> list[str]:
        return [t["name"] for t in self.conversations[conversation_id]["tags"]["tags"]]

    # webhooks

    def notification(
        self,
        topic: str,
        conversation_id: str,
        *,
        parts: Literal["full", "newest"] = "full",
        delivery_attempts: int = 1,
    ) -> dict[str, Any]:
        """The notification Intercom would post now; ``parts``: list every part, or only the newest one."""
        item = copy.deepcopy(self.conversations[conversation_id])
        listed = item["conversation_parts"]["conversation_parts"]
        if parts == "newest":
            item["conversation_parts"]["conversation_parts"] = listed[-1:]
        now = self.clock()
        return {
            "type": "notification_event",
            "app_id": "fakeapp1",
            "id": f"notif_{uuid.uuid4()}",
            "topic": topic,
            "created_at": now,
            "delivery_status": "pending",
            "delivery_attempts": delivery_attempts,
            "first_sent_at": now,
            "data": {"type": "notification_event_data", "item": item},
        }

    @staticmethod
    def redelivery(notification: dict[str, Any]) -> dict[str, Any]:
        """The same notification sent again: same ``id``, one more delivery attempt."""
        again = copy.deepcopy(notification)
        again["delivery_attempts"] = notification["delivery_attempts"] + 1
        return again

    def signed(self, notification: dict[str, Any], key: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The exact bytes and headers of the POST Intercom makes (FACTS-channels §2.2)."""
        body = json_bytes(notification)
        return body, self.sign(body, key)

    def sign(self, body: bytes, key: str | None = None) -> dict[str, str]:
        """The headers Intercom sends with ``body``, signed with ``key`` (default: ``signing_key``)."""
        digest = hmac.new((key or self.signing_key).encode(), body, hashlib.sha1).hexdigest()
        return {
            "X-Hub-Signature": f"sha1={digest}",
            "User-Agent": "intercom-parrot-service-client/1.0",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }

    # scripted faults

    def rate_limit(
        self, retry_after: float | None = None, times: int = 1, path: str = "", reset_in: int = WINDOW_S
    ) -> None:
        """The next ``times`` matching requests get a 429 with ``X-RateLimit-Reset`` = now + ``reset_in``.

        Intercom documents no ``Retry-After`` (FACTS-channels §2.7), so none is sent unless ``retry_after``.
        """
        headers = {
            "Content-Type": "application/json",
            "X-RateLimit-Limit": str(LIMIT_PER_WINDOW),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(self.clock() + reset_in),
        }
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        message = f"Exceeded rate limit of {LIMIT_PER_WINDOW} in 10_seconds"
        body = json.dumps(error_body("rate_limit_exceeded", message))
        self.fail(Failure(429, body, headers, times, path, json=False))

    # the API

    def check_auth(self, request: Request) -> JSONResponse | None:
        """None when the Bearer token is ours; else Intercom's 401."""
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "Access Token Invalid")
        return None

    def _routes(self) -> None:
        app = self.app

        @app.post("/conversations/search")
        async def search(request: Request) -> Response:
            return self.check_auth(request) or self._search(await _json(request))

        @app.get("/conversations/{conversation_id}")
        async def retrieve(conversation_id: str, request: Request) -> Response:
            return self.check_auth(request) or _found(self.conversations.get(conversation_id))

        @app.post("/conversations/{conversation_id}/reply")
        async def reply(conversation_id: str, request: Request) -> Response:
            return self.check_auth(request) or self._reply(conversation_id, await _json(request))

        @app.post("/conversations/{conversation_id}/parts")
        async def manage(conversation_id: str, request: Request) -> Response:
            return self.check_auth(request) or self._manage(conversation_id, await _json(request))

        @app.post("/conversations/{conversation_id}/tags")
        async def attach(conversation_id: str, request: Request) -> Response:
            return self.check_auth(request) or self._attach(conversation_id, await _json(request))

        @app.post("/tags")
        async def create_tag(request: Request) -> Response:
            return self.check_auth(request) or self._create_tag(await _json(request))

        @app.get("/contacts/{contact_id}")
        async def contact(contact_id: str, request: Request) -> Response:
            return self.check_auth(request) or _found(self.contacts.get(contact_id))

        @app.get("/me")
        async def me(request: Request) -> Response:
            """The admin the token belongs to, and its workspace (the credentials check)."""
            return self.check_auth(request) or JSONResponse(self._me())

    def _me(self) -> dict[str, Any]:
        admin_id = min(self.admin_ids)
        return {
            "type": "admin",
            "id": admin_id,
            "name": "Ticketflow",
            "email": "ticketflow@desk.test",
            "email_verified": True,
            "app": {"type": "app", "id_code": "fakeapp1", "name": "Fake workspace", "region": "US"},
        }

    def _create_tag(self, body: dict[str, Any]) -> Response:
        """Create-or-update by name: the same name always answers the same tag."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            return _error(400, "parameter_not_found", "Name is required")
        with self._state_lock:
            if name not in self.tags:
                self.tags[name] = {"type": "tag", "id": str(self._next()), "name": name}
            return JSONResponse(self.tags[name])

    def _reply(self, conversation_id: str, body: dict[str, Any]) -> Response:
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            return _not_found()
        if body.get("type") != "admin" or body.get("message_type") not in {"comment", "note"}:
            return _error(400, "parameter_invalid", "message_type must be comment or note, type admin")
        if body.get("admin_id") not in self.admin_ids:
            return _error(400, "parameter_invalid", "Admin not found")
        if not body.get("body"):
            return _error(400, "parameter_not_found", "Body is required")
        self._add_part(conversation, body["message_type"], self._admin(body["admin_id"]), body["body"])
        return JSONResponse(conversation)

    def _manage(self, conversation_id: str, body: dict[str, Any]) -> Response:
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            return _not_found()
        kind, admin_id = body.get("message_type"), body.get("admin_id")
        if admin_id not in self.admin_ids:
            return _error(400, "parameter_invalid", "Admin not found")
        author = self._admin(admin_id)
        if kind == "assignment":
            assignee, to = str(body.get("assignee_id") or ""), body.get("type")
            if to not in {"team", "admin"} or not assignee:
                return _error(400, "parameter_invalid", "assignment needs type team|admin and assignee_id")
            known = self.teams if to == "team" else self.admin_ids
            if assignee != "0" and assignee not in known:
                return _error(404, "not_found", f"{'Team' if to == 'team' else 'Admin'} Not Found")
            conversation[f"{to}_assignee_id"] = None if assignee == "0" else assignee
            self._add_part(conversation, "assignment", author, None, assigned_to={"type": to, "id": assignee})
        elif kind in {"close", "open"}:
            self._set_state(conversation, "closed" if kind == "close" else "open")
            self._add_part(conversation, kind, author, body.get("body"))
        elif kind == "snoozed":
            until = body.get("snoozed_until")
            if not isinstance(until, int) or until <= self.clock():
                return _error(400, "parameter_invalid", "snoozed_until must be a future UNIX timestamp")
            self._set_state(conversation, "snoozed", snoozed_until=until)
            self._add_part(conversation, "snoozed", author, None)
        else:
            return _error(400, "parameter_invalid", f"message_type {kind!r} is not supported")
        return JSONResponse(conversation)

    def _attach(self, conversation_id: str, body: dict[str, Any]) -> Response:
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            return _not_found()
        if body.get("admin_id") not in self.admin_ids:
            return _error(400, "parameter_invalid", "Admin not found")
        tag = next((t for t in self.tags.values() if t["id"] == str(body.get("id"))), None)
        if tag is None:
            return _error(404, "not_found", "Tag Not Found")
        with self._state_lock:
            listed = conversation["tags"]["tags"]
            if tag["id"] not in {t["id"] for t in listed}:
                listed.append(dict(tag))
            conversation["updated_at"] = self.clock()
        return JSONResponse(tag)

    def _search(self, body: dict[str, Any]) -> Response:
        pagination = body.get("pagination") or {}
        per_page = pagination.get("per_page", 20)
        if not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
            return _error(400, "parameter_invalid", f"per_page must be between 1 and {MAX_PER_PAGE}")
        try:
            matches = _matcher(body.get("query"))
        except ValueError as exc:
            return _error(400, "query_invalid", str(exc))
        with self._state_lock:
            found = sorted(
                (c for c in self.conversations.values() if matches(c)),
                key=_order,
            )
        after = pagination.get("starting_after")
        if after:
            try:
                mark = tuple(json.loads(base64.b64decode(after)))
            except ValueError:
                return _error(400, "parameter_invalid", "starting_after is invalid")
            found = [c for c in found if _order(c) > _order({"updated_at": mark[0], "id": str(mark[1])})]
        page, rest = found[:per_page], found[per_page:]
        pages: dict[str, Any] = {"type": "pages", "page": 1, "per_page": per_page, "total_pages": 1}
        if rest:
            last = page[-1]
            token = base64.b64encode(json.dumps([last["updated_at"], last["id"]]).encode()).decode()
            pages["next"] = {"per_page": per_page, "starting_after": token}
            pages["total_pages"] = 1 + -(-len(rest) // per_page)
        listed = [{k: v for k, v in c.items() if k != "conversation_parts"} for c in page]
        return JSONResponse(
            {"type": "conversation.list", "pages": pages, "total_count": len(found), "conversations": listed}
        )

    # state

    def _add_part(
        self,
        conversation: dict[str, Any],
        part_type: str,
        author: dict[str, Any],
        body: str | None,
        **extra: Any,
    ) -> str:
        now = self.clock()
        part_id = str(self._next())
        part = {
            "type": "conversation_part",
            "id": part_id,
            "part_type": part_type,
            "body": body,
            "created_at": now,
            "updated_at": now,
            "author": author,
            **extra,
        }
        with self._state_lock:
            listing = conversation["conversation_parts"]
            listing["conversation_parts"].append(part)
            listing["total_count"] = len(listing["conversation_parts"])
            conversation["updated_at"] = now
        return part_id

    def _set_state(self, conversation: dict[str, Any], state: str, snoozed_until: int | None = None) -> None:
        conversation.update(state=state, open=state == "open", snoozed_until=snoozed_until)

    def _author(self, contact_id: str, with_email: bool) -> dict[str, Any]:
        contact = self.contacts[contact_id]
        author = {"type": contact["role"], "id": contact_id, "name": contact["name"]}
        if with_email:
            author["email"] = contact["email"]
        return author

    @staticmethod
    def _admin(admin_id: str) -> dict[str, Any]:
        return {"type": "admin", "id": admin_id, "name": "ticketflow", "email": "bot@desk.test"}

    def _next(self) -> int:
        with self._state_lock:
            return next(self._ids)

    async def _rate_limit_headers(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Authenticated responses carry the window's ``X-RateLimit-*`` (unauthenticated ones do not)."""
        response = await call_next(request)
        if self.check_auth(request) is None and "x-ratelimit-reset" not in response.headers:
            now = self.clock()
            start = now - now % WINDOW_S
            with self._state_lock:
                used = self._window[1] + 1 if self._window[0] == start else 1
                self._window = (start, used)
            response.headers["X-RateLimit-Limit"] = str(LIMIT_PER_WINDOW)
            response.headers["X-RateLimit-Remaining"] = str(max(0, LIMIT_PER_WINDOW - used))
            response.headers["X-RateLimit-Reset"] = str(start + WINDOW_S)
        return response


def _matcher(query: Any) -> Callable[[dict[str, Any]], bool]:
    """A predicate for a search query: one filter or an AND/OR of filters, on updated_at or created_at.

    Intercom documents ``>`` as "greater (or equal) than" and ``<`` as "less (or equal) than".
    """
    if not isinstance(query, dict):
        raise ValueError("query is required")
    if query.get("operator") in {"AND", "OR"}:
        inner = [_matcher(q) for q in query.get("value") or []]
        if not inner:
            raise ValueError("an AND/OR query needs a list of filters in value")
        combine = all if query["operator"] == "AND" else any
        return lambda c: combine(m(c) for m in inner)
    field_name, operator, value = query.get("field"), query.get("operator"), query.get("value")
    if field_name not in {"updated_at", "created_at"} or not isinstance(value, int):
        raise ValueError(f"the fake searches updated_at/created_at by integer only, not {field_name!r}")
    tests: dict[str, Callable[[int], bool]] = {
        ">": lambda v: v >= value,
        "<": lambda v: v <= value,
        "=": lambda v: v == value,
    }
    if operator not in tests:
        raise ValueError(f"operator {operator!r} is not supported")
    test = tests[operator]
    return lambda c: test(c[field_name])


def _order(conversation: dict[str, Any]) -> tuple[int, int, str]:
    """Search order: by ``updated_at``, then id (numeric ids in number order)."""
    return conversation["updated_at"], len(conversation["id"]), conversation["id"]


async def _json(request: Request) -> dict[str, Any]:
    try:
        decoded = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _found(resource: dict[str, Any] | None) -> JSONResponse:
    return JSONResponse(resource) if resource is not None else _not_found()


def _not_found() -> JSONResponse:
    return _error(404, "not_found", "Resource Not Found")
