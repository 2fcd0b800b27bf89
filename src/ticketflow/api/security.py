"""Authentication for every route but ``/healthz``: an API key with the scope the route needs.

Keys travel as ``Authorization: Bearer tfk_…`` (or ``X-Api-Key: tfk_…``). A missing, malformed, unknown or
revoked key gets 401 with ``WWW-Authenticate: Bearer``; a key without the route's scope gets 403. Neither
answer says which keys exist.

Routes that opt in (``require(scope, session=True)``: the console's pages and forms, and any API route the
console's script calls) also admit a person's session cookie (:data:`SESSION_COOKIE`). A session must be
live (not idle past ``[console] idle_minutes`` nor older than ``session_hours``: an expired one gets 401
saying so), and every request that changes something must carry the session's CSRF token, in the form's
``csrf`` field or an ``X-CSRF-Token`` header (403 otherwise). Routes that do not opt in never read cookies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ticketflow.domain.access import CSRF_FIELD, SESSION_COOKIE, Principal, Scope, csrf_matches, csrf_token
from ticketflow.ports.access import ApiKeys, Users

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"

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

    def __init__(
        self, keys: ApiKeys, users: Users | None = None, idle: timedelta = timedelta(minutes=30)
    ) -> None:
        self._keys = keys
        self.users = users
        self.idle = idle

    def require(
        self, scope: Scope | None, *, session: bool = False
    ) -> Callable[..., Principal] | Callable[..., Awaitable[Principal]]:
        """A dependency returning the authenticated caller, or raising :class:`Refused` (401, or 403 when the
        key lacks ``scope``; ``None``: any valid key). With ``session``, a console session cookie is admitted
        too (see the module's docstring)."""
        return self._session_or_key(scope) if session else self._key(scope)

    def _key(self, scope: Scope | None) -> Callable[..., Principal]:
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

    def _session_or_key(self, scope: Scope | None) -> Callable[..., Awaitable[Principal]]:
        key_only = self._key(scope)

        async def admit(
            request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
        ) -> Principal:
            if credentials is not None or request.headers.get("x-api-key") or self.users is None:
                return await run_in_threadpool(key_only, request, credentials)
            principal = await run_in_threadpool(self.person, request)
            if request.method not in SAFE_METHODS:
                await self.check_csrf(request)
            if scope is not None and not principal.can(scope):
                raise Refused(403, f"your role does not allow this (it needs the {scope.value!r} scope)")
            return principal

        return admit

    def person(self, request: Request) -> Principal:
        """The signed-in person of the request's session cookie (401 when missing, unknown or expired); the
        session's CSRF token is left in ``request.state.csrf`` for the page's forms."""
        token = request.cookies.get(SESSION_COOKIE, "")
        check = self.users.session(token, self.idle) if self.users is not None and token else None
        if check is None or check.principal is None:
            expired = check is not None and check.expired
            title = "your session expired; sign in again" if expired else "sign in first (or send an API key)"
            raise Refused(401, title, {"WWW-Authenticate": "Bearer"})
        request.state.csrf = csrf_token(token)
        request.state.principal = check.principal
        return check.principal

    @staticmethod
    async def check_csrf(request: Request) -> None:
        """403 unless the request carries its session's CSRF token (header, or the form's ``csrf`` field)."""
        token = request.cookies.get(SESSION_COOKIE, "")
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and (request.headers.get("content-type") or "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            field = (await request.form()).get(CSRF_FIELD)
            sent = field if isinstance(field, str) else None
        if not csrf_matches(token, sent):
            raise Refused(
                403,
                "this form was not issued to your session (missing or wrong CSRF token); reload "
                "the page and try again",
            )

    def authenticated(self) -> Callable[..., Principal]:
        """A dependency admitting any valid key."""
        return self._key(None)
