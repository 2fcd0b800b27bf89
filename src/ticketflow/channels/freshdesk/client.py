"""The Freshdesk REST calls ticketflow makes, over the shared :class:`~ticketflow.channels.rest.RestClient`.

Basic auth with the API key as the user name and ``X`` as the password (Freshdesk ignores the password);
the client's retry policy (429 waits for ``Retry-After``, 5xx back off, other 4xx are refused with
Freshdesk's ``description`` and ``errors``) is ``RestClient``'s. Only what the channel needs is here:

=========================  ====================================================
``ticket(id)``             ``GET /api/v2/tickets/{id}?include=requester``
``conversations(id)``      ``GET /api/v2/tickets/{id}/conversations`` (all pages)
``reply(id, html)``        ``POST /api/v2/tickets/{id}/reply``
``note(id, html)``         ``POST /api/v2/tickets/{id}/notes`` (private)
``update(id, fields)``     ``PUT /api/v2/tickets/{id}``
``updated_since(...)``     ``GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc``
=========================  ====================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from ticketflow.channels.rest import RestClient
from ticketflow.errors import DeliveryRefused

MAX_PER_PAGE = 100
CONVERSATION_PAGES = 50
"""A thread longer than 5,000 conversations is read only that far (every loop is bounded)."""

JSON = dict[str, Any]


def timestamp(value: datetime) -> str:
    """Freshdesk's ISO-8601 form, ``2026-12-01T09:30:00Z`` (UTC, whole seconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: object) -> datetime | None:
    """A Freshdesk ``...Z`` timestamp as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class FreshdeskClient:
    """The calls above, each returning Freshdesk's JSON as it came (dicts, or lists of dicts)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 10.0,
        max_retries: int = 3,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self._rest = RestClient(
            base_url,
            name="freshdesk",
            headers={"Content-Type": "application/json"},
            auth=(api_key, "X"),
            timeout_s=timeout_s,
            max_retries=max_retries,
            transport=transport,
            **extra,
        )

    def close(self) -> None:
        self._rest.close()

    def me(self) -> JSON:
        """``GET /api/v2/agents/me``: the agent the API key belongs to."""
        return _object(self._rest.call("GET", "/api/v2/agents/me"))

    def ticket(self, ticket_id: int) -> JSON:
        """The ticket with its description and its requester's name and email."""
        return _object(
            self._rest.call("GET", f"/api/v2/tickets/{ticket_id}", params={"include": "requester"})
        )

    def conversations(self, ticket_id: int) -> list[JSON]:
        """Every conversation of the ticket, oldest first as Freshdesk lists them, across pages."""
        found: list[JSON] = []
        for page in range(1, CONVERSATION_PAGES + 1):
            rows = _rows(
                self._rest.call(
                    "GET",
                    f"/api/v2/tickets/{ticket_id}/conversations",
                    params={"page": page, "per_page": MAX_PER_PAGE},
                )
            )
            found.extend(rows)
            if len(rows) < MAX_PER_PAGE:
                break
        return found

    def reply(self, ticket_id: int, html: str) -> JSON:
        """Post a public reply; Freshdesk answers with the created conversation."""
        return _object(self._rest.call("POST", f"/api/v2/tickets/{ticket_id}/reply", json={"body": html}))

    def note(self, ticket_id: int, html: str) -> JSON:
        """Add a private note (agents only); Freshdesk answers with the created conversation."""
        body = {"body": html, "private": True}
        return _object(self._rest.call("POST", f"/api/v2/tickets/{ticket_id}/notes", json=body))

    def update(self, ticket_id: int, fields: Mapping[str, Any]) -> JSON:
        """Change status, tags, group or responder; Freshdesk answers with the ticket."""
        return _object(self._rest.call("PUT", f"/api/v2/tickets/{ticket_id}", json=dict(fields)))

    def updated_since(self, since: datetime, page: int, per_page: int) -> list[JSON]:
        """One page of the tickets updated at or after ``since``, least recently updated first."""
        params = {
            "updated_since": timestamp(since),
            "order_by": "updated_at",
            "order_type": "asc",
            "per_page": per_page,
            "page": page,
        }
        return _rows(self._rest.call("GET", "/api/v2/tickets", params=params))


def _object(body: Any) -> JSON:
    if not isinstance(body, dict):
        raise DeliveryRefused(f"freshdesk answered {type(body).__name__} where an object was expected")
    return body


def _rows(body: Any) -> list[JSON]:
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise DeliveryRefused("freshdesk answered something other than a list of objects")
    return body
