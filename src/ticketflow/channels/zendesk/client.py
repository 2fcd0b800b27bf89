"""The Zendesk REST calls ticketflow makes, each one call through the shared :class:`RestClient`.

Auth is Basic ``{email}/token:{api_token}`` or ``Authorization: Bearer <oauth token>`` (FACTS-channels
§1.5). Every call inherits ``RestClient``'s policy: 429 waits for ``Retry-After``, 5xx and timeouts back
off, other 4xx raise ``DeliveryRefused`` with Zendesk's ``error``/``description``/``details``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ticketflow.channels.rest import RestClient
from ticketflow.channels.zendesk.settings_model import Secrets, ZendeskSettings
from ticketflow.errors import ConfigError, DeliveryRefused

MAX_COMMENT_PAGES = 50
"""A ticket holds at most 5000 comments: 50 pages of 100."""


def api_id(value: str) -> int | str:
    """Zendesk ids are integers on the wire; a non-numeric id is passed as given for Zendesk to judge."""
    return int(value) if value.isdigit() else value


class ZendeskClient:
    """Typed calls to one Zendesk account: tickets, comments, tags, users and the incremental export."""

    def __init__(
        self,
        settings: ZendeskSettings,
        secrets: Secrets,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 3,
    ) -> None:
        headers: dict[str, str] = {}
        auth: tuple[str, str] | None = None
        if settings.auth == "oauth":
            if not secrets.oauth_token:
                raise ConfigError(f"Zendesk OAuth needs a token in {settings.oauth_token_env}")
            headers["Authorization"] = f"Bearer {secrets.oauth_token}"
        else:
            if not (settings.email and secrets.api_token):
                raise ConfigError(
                    "Zendesk token auth needs [channels.zendesk] email and a token in "
                    f"{settings.api_token_env}"
                )
            auth = (f"{settings.email}/token", secrets.api_token)
        self.rest = RestClient(
            settings.api_root,
            name="zendesk",
            headers=headers,
            auth=auth,
            timeout_s=settings.timeout_s,
            max_retries=max_retries,
            sleep=sleep,
            transport=transport,
        )

    def close(self) -> None:
        self.rest.close()

    def update_ticket(self, ticket_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """``PUT /tickets/{id}.json``: a comment and/or status, group, assignee; the ticket and its audit."""
        return _object(self.rest.call("PUT", f"/api/v2/tickets/{ticket_id}.json", json={"ticket": changes}))

    def add_tags(self, ticket_id: str, tags: list[str]) -> list[str]:
        """``PUT /tickets/{id}/tags.json`` adds (``POST`` would replace them all); the ticket's tags after."""
        answer = _object(self.rest.call("PUT", f"/api/v2/tickets/{ticket_id}/tags.json", json={"tags": tags}))
        return [str(t) for t in answer.get("tags") or []]

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        return _object(_object(self.rest.call("GET", f"/api/v2/tickets/{ticket_id}.json")).get("ticket"))

    def me(self) -> dict[str, Any]:
        """``GET /users/me.json``: the user the credentials sign in as (anonymous, ``id: null``, if none)."""
        return _object(_object(self.rest.call("GET", "/api/v2/users/me.json")).get("user"))

    def user(self, user_id: str) -> dict[str, Any]:
        """``GET /users/{id}.json``: name, email and role (``end-user``, ``agent``, ``admin``)."""
        return _object(_object(self.rest.call("GET", f"/api/v2/users/{user_id}.json")).get("user"))

    def comments(self, ticket_id: str) -> list[dict[str, Any]]:
        """Every comment of a ticket, oldest first, following ``next_page`` (5000 at most)."""
        path: str | None = f"/api/v2/tickets/{ticket_id}/comments.json"
        found: list[dict[str, Any]] = []
        for _ in range(MAX_COMMENT_PAGES):
            if path is None:
                break
            page = _object(self.rest.call("GET", path))
            found.extend(c for c in page.get("comments") or [] if isinstance(c, dict))
            path = page.get("next_page") or None
        return found

    def incremental_tickets(
        self, *, start_time: int | None = None, cursor: str | None = None
    ) -> dict[str, Any]:
        """One page of ``GET /incremental/tickets/cursor.json`` from ``start_time`` or from ``cursor``."""
        params: dict[str, Any] = {"cursor": cursor} if cursor else {"start_time": start_time}
        return _object(self.rest.call("GET", "/api/v2/incremental/tickets/cursor.json", params=params))


def _object(value: Any) -> dict[str, Any]:
    """A JSON object from Zendesk, or a refusal saying the answer was not one (never a silent default)."""
    if isinstance(value, dict):
        return value
    raise DeliveryRefused(f"zendesk answered {type(value).__name__} where a JSON object was expected")
