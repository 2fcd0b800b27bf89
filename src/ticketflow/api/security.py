"""Authentication for every route but ``/healthz``: an API key with the scope the route needs.

Keys travel as ``Authorization: Bearer tfk_…`` (or ``X-Api-Key: tfk_…``). A missing, malformed, unknown or
revoked key gets 401 with ``WWW-Authenticate: Bearer``; a key without the route's scope gets 403. Neither
answer says which keys exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticketflow.domain.access import Principal, Scope
from ticketflow.ports.access import ApiKeys

_bearer = HTTPBearer(auto_error=False, description="an API key from `ticketflow keys create`")


class Refused(Exception):
    """An authentication or authorisation refusal, answered as a JSON problem by the app."""

    def __init__(self, status: int, title: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.headers = headers or {}


class Guard:
    """Builds the FastAPI dependency that admits a caller holding a scope."""

    def __init__(self, keys: ApiKeys) -> None:
        self._keys = keys

    def require(self, scope: Scope | None) -> Callable[..., Principal]:
        """A dependency returning the authenticated caller, or raising :class:`Refused` (401, or 403 when the
        key lacks ``scope``; ``None``: any valid key)."""

        def admit(
            request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
        ) -> Principal:
            token = credentials.credentials if credentials is not None else request.headers.get("x-api-key")
            principal = self._keys.authenticate(token.strip()) if token else None
            if principal is None:
                raise Refused(401, "a valid API key is required", {"WWW-Authenticate": "Bearer"})
            if scope is not None and not principal.can(scope):
                raise Refused(403, f"this key lacks the {scope.value!r} scope")
            return principal

        return admit

    def authenticated(self) -> Callable[..., Principal]:
        """A dependency admitting any valid key."""
        return self.require(None)
