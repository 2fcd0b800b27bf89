"""The Intercom REST calls ticketflow makes, through the shared :class:`~ticketflow.channels.rest.RestClient`.

Calls and bodies follow FACTS-channels §2.5 and §2.6. Every write returns the updated Conversation; the part
it created is found in it (:func:`created_part`) so a receipt names what was posted.

Intercom answers ``429`` with ``X-RateLimit-Reset`` (UNIX seconds) and documents no ``Retry-After``
(FACTS §2.7), while ``RestClient`` waits for ``Retry-After``. :class:`ResetAsRetryAfter` sits under the client
as its transport and turns the reset time into the ``Retry-After`` the client reads, so a rate-limited call
waits for the window instead of backing off blindly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ticketflow.channels.intercom.settings_model import IntercomSettings
from ticketflow.channels.rest import RestClient


class ResetAsRetryAfter(httpx.BaseTransport):
    """Adds ``Retry-After: <reset − now>`` (at least 1 s) to a 429 that carries only ``X-RateLimit-Reset``."""

    def __init__(self, inner: httpx.BaseTransport, clock: Callable[[], float] = time.time) -> None:
        self._inner = inner
        self._clock = clock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        headers = response.headers
        if response.status_code == 429 and not {"retry-after", "retry-after-ms"} & set(headers.keys()):
            reset = headers.get("x-ratelimit-reset", "")
            if reset.isdigit():
                headers["Retry-After"] = str(max(1, int(reset) - int(self._clock())))
        return response

    def close(self) -> None:
        self._inner.close()


def created_part(conversation: Any, admin_id: str, part_type: str) -> str | None:
    """The id of the newest part of ``part_type`` by ``admin_id`` in a returned Conversation, if listed."""
    if not isinstance(conversation, dict):
        return None
    listed = (conversation.get("conversation_parts") or {}).get("conversation_parts") or []
    for part in reversed(listed):
        author = part.get("author") or {}
        if part.get("part_type") == part_type and str(author.get("id")) == admin_id:
            return str(part["id"])
    return None


class IntercomClient:
    """One workspace's API, authenticated with its access token, posting as ``settings.admin_id``."""

    def __init__(
        self,
        settings: IntercomSettings,
        access_token: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.admin_id = settings.admin_id
        headers = {"Authorization": f"Bearer {access_token}"}
        if settings.api_version:
            headers["Intercom-Version"] = settings.api_version
        self._rest = RestClient(
            settings.base_url,
            name="intercom",
            headers=headers,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            sleep=sleep,
            transport=ResetAsRetryAfter(transport or httpx.HTTPTransport(), clock),
        )
        self._tag_ids: dict[str, str] = {}

    def close(self) -> None:
        self._rest.close()

    def reply(self, conversation_id: str, message_type: str, body_html: str) -> Any:
        """``POST /conversations/{id}/reply`` as our admin: ``comment`` to the customer, or ``note``."""
        payload = {
            "message_type": message_type,
            "type": "admin",
            "admin_id": self.admin_id,
            "body": body_html,
        }
        return self._rest.call("POST", f"/conversations/{conversation_id}/reply", json=payload)

    def assign(self, conversation_id: str, assignee_id: str, kind: str) -> Any:
        """``POST /conversations/{id}/parts`` with ``message_type: assignment`` to a team or an admin."""
        payload = {
            "message_type": "assignment",
            "type": kind,
            "admin_id": self.admin_id,
            "assignee_id": assignee_id,
            "body": None,
        }
        return self._rest.call("POST", f"/conversations/{conversation_id}/parts", json=payload)

    def set_state(self, conversation_id: str, state: str, snoozed_until: int | None = None) -> Any:
        """Close, open or snooze (``snoozed_until``, UNIX seconds) through ``/conversations/{id}/parts``."""
        payload: dict[str, Any] = {"message_type": state, "type": "admin", "admin_id": self.admin_id}
        if snoozed_until is not None:
            payload["snoozed_until"] = snoozed_until
        return self._rest.call("POST", f"/conversations/{conversation_id}/parts", json=payload)

    def tag(self, conversation_id: str, name: str) -> Any:
        """Tag the conversation with ``name``, creating the tag first (``POST /tags`` is create-or-update)."""
        tag_id = self._tag_ids.get(name)
        if tag_id is None:
            created = self._rest.call("POST", "/tags", json={"name": name})
            tag_id = self._tag_ids[name] = str(created["id"])
        payload = {"id": tag_id, "admin_id": self.admin_id}
        return self._rest.call("POST", f"/conversations/{conversation_id}/tags", json=payload)

    def me(self) -> Any:
        """``GET /me``: the admin the access token belongs to, with its workspace (``app``)."""
        return self._rest.call("GET", "/me")

    def contact_email(self, contact_id: str) -> str | None:
        """The email of a contact (conversations name contacts by id only)."""
        contact = self._rest.call("GET", f"/contacts/{contact_id}")
        email = contact.get("email") if isinstance(contact, dict) else None
        return str(email) if email else None

    def conversation(self, conversation_id: str) -> Any:
        """``GET /conversations/{id}``: the conversation with its parts."""
        return self._rest.call("GET", f"/conversations/{conversation_id}")

    def search_updated(self, since: int, per_page: int, starting_after: str | None) -> Any:
        """One page of conversations with ``updated_at`` ≥ ``since`` (Intercom's ``>`` includes equality)."""
        pagination: dict[str, Any] = {"per_page": per_page}
        if starting_after:
            pagination["starting_after"] = starting_after
        query = {"operator": "AND", "value": [{"field": "updated_at", "operator": ">", "value": since}]}
        return self._rest.call(
            "POST", "/conversations/search", json={"query": query, "pagination": pagination}
        )
