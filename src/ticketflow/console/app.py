"""The console's routes: sign-in, the review queue, a ticket, the dashboard; mounted beside the API.

:func:`mount` adds them under ``/console`` to the app :func:`ticketflow.api.app.create_app` built, using
its :class:`~ticketflow.api.security.Guard`, so people (sessions) and machines (API keys) share one
permission model: a role grants scopes, and each page or action needs one. Pages take only sessions;
every form carries the session's CSRF token; opening a ticket is recorded in its audit trail.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ticketflow import __version__
from ticketflow.api.security import SAFE_METHODS, Guard, Refused
from ticketflow.api.throttle import Limit, SharedRateLimit
from ticketflow.console import pages
from ticketflow.console.pages import LOGIN_COOKIE, ConsoleRefusal
from ticketflow.domain.access import CSRF_FIELD, SESSION_COOKIE, Principal, Scope, csrf_matches
from ticketflow.runtime.service import Runtime
from ticketflow.settings import ConsoleSettings

HERE = Path(__file__).parent
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "[::1]"})
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
"""Every console page: scripts and styles only from here, no framing, nothing cached (pages hold PII)."""


def secure_cookie(request: Request) -> bool:
    """Cookies are ``Secure`` unless the browser reached this server over plain HTTP on a loopback address
    (``ticketflow serve`` on 127.0.0.1 without TLS), where a Secure cookie would never come back."""
    return not (request.url.scheme == "http" and (request.url.hostname or "") in LOOPBACK)


class Console:
    """The console over one runtime: its templates, throttles and the API's guard."""

    def __init__(self, runtime: Runtime, guard: Guard, settings: ConsoleSettings) -> None:
        self.runtime = runtime
        self.guard = guard
        self.settings = settings
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.globals.update(version=__version__, csrf_field=CSRF_FIELD)
        self.templates.env.filters.update(pages.FILTERS)
        per_minute = 60.0 / settings.login_refill_s
        throttles = runtime.store.throttles
        burst = settings.login_attempts_per_account
        self.by_account: Limit = SharedRateLimit(throttles, "sign-in:account", per_minute, burst=burst)
        burst = settings.login_attempts_per_address
        self.by_address: Limit = SharedRateLimit(throttles, "sign-in:address", per_minute, burst=burst)

    def render(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        """A page with the console's headers; ``principal`` and ``csrf`` come from the request's session."""
        context = {
            "principal": getattr(request.state, "principal", None),
            "csrf": getattr(request.state, "csrf", ""),
            **context,
        }
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(HEADERS)
        return response

    async def person(self, request: Request, scope: Scope = Scope.READ) -> Principal:
        """The signed-in person holding ``scope``; a changing request must carry the session's CSRF token."""
        try:
            principal = await run_in_threadpool(self.guard.person, request)
            if request.method not in SAFE_METHODS:
                await self.guard.check_csrf(request)
        except Refused as exc:
            raise ConsoleRefusal(exc.status, exc.title) from exc
        if not principal.can(scope):
            raise ConsoleRefusal(
                403, f"your role does not allow this: it needs the {scope.value!r} scope (ask an admin)"
            )
        return principal

    def login_page(
        self,
        request: Request,
        message: str | None,
        status: int,
        next_url: str = "/console/queue",
        unsent: str | None = None,
    ) -> HTMLResponse:
        """The sign-in form, with a fresh sign-in CSRF value in a cookie and in the form; ``unsent`` is a
        reply the person wrote when their session ran out, shown so that it is not lost."""
        nonce = secrets.token_urlsafe(24)
        context = {
            "unsent": unsent,
            "message": message,
            "nonce": nonce,
            "next": next_url,
            "principal": None,
            "status": status,
        }
        response = self.render(request, "login.html", context, status)
        response.set_cookie(
            LOGIN_COOKIE,
            nonce,
            max_age=3600,
            path="/console",
            httponly=True,
            samesite="strict",
            secure=secure_cookie(request),
        )
        return response

    def throttled(self, username: str, address: str) -> float:
        """Seconds until another sign-in attempt is allowed for this account and address (0: now)."""
        return max(self.by_address.wait_for(address), self.by_account.wait_for(username.lower()))

    def start_session(self, request: Request, username: str, password: str, next_url: str) -> Response | None:
        """Sign in: a redirect carrying the new session's cookie, or None for a wrong name or password."""
        user = self.runtime.store.users.verify(username, password)
        if user is None:
            return None
        lifetime = timedelta(hours=self.settings.session_hours)
        token = self.runtime.store.users.open_session(user, lifetime)
        target = next_url if next_url.startswith("/console/") and "//" not in next_url else "/console/queue"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(lifetime.total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure_cookie(request),
        )
        response.delete_cookie(LOGIN_COOKIE, path="/console")
        return response


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def mount(app: FastAPI, runtime: Runtime) -> None:
    """Add the console under ``/console`` (pages, forms and its static files) to the API's app."""
    guard: Guard = app.state.guard
    console = Console(runtime, guard, runtime.engine.settings.console)
    app.state.console = console

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConsoleRefusal)
        if exc.status == 401:
            if request.method == "GET":
                return console.login_page(request, exc.title, 401, request.url.path)
            # an edit the expiry refused is handed back, if the form came from this session's page (else
            # a forged cross-site post could put its words on our sign-in page)
            form = await request.form()
            ours = csrf_matches(request.cookies.get(SESSION_COOKIE, ""), _text(form.get(CSRF_FIELD)))
            unsent = form.get("body") if ours else None
            path = request.url.path
            back = path.rsplit("/", 1)[0] if path.startswith("/console/tickets/") else "/console/queue"
            return console.login_page(
                request, exc.title, 401, back, unsent if isinstance(unsent, str) else None
            )
        response = console.render(
            request, "refusal.html", {"status": exc.status, "message": exc.title}, exc.status
        )
        response.headers.update(exc.headers)
        return response

    app.exception_handler(ConsoleRefusal)(refused)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.include_router(pages.router(console))
