"""The console's pages and forms: each route checks the person's role, calls the runtime, renders a page.

The queue actions call the runtime's :class:`~ticketflow.runtime.reviews.ReviewDesk` in process (the same
service as the ``/v1/reviews`` API); a refused action (another agent's lease, a closed review, a reply that
fails a blocking check) re-renders the ticket page with the refusal in its live region and a 4xx status.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ticketflow.api.throttle import retry_after
from ticketflow.console import charts
from ticketflow.domain.access import SESSION_COOKIE, Principal, Role, Scope
from ticketflow.domain.dashboard import DashboardFigures
from ticketflow.domain.ids import TicketId
from ticketflow.domain.resolution import ResolutionSummary
from ticketflow.domain.reviews import (
    ReplyBlocked,
    Revalidation,
    ReviewError,
    ReviewFilter,
    ReviewItem,
    ReviewNotFound,
)
from ticketflow.runtime.alerts import snapshot
from ticketflow.wiring.feedback import window

if TYPE_CHECKING:
    from ticketflow.console.app import Console
    from ticketflow.runtime.reviews import ReviewDesk

MAX_REPLY = 20_000
OUTCOME_ORDER = ("sent", "review", "escalated")
"""Outcomes stack in this order, so their colours read green (answered), amber (held), red (escalated)."""
LOGIN_COOKIE = "tf_login"
"""A random value set with the sign-in form and echoed in it: the sign-in form's CSRF check (there is no
session yet to tie a token to)."""


class ConsoleRefusal(Exception):
    """A refusal answered as a page (the sign-in form for 401), not as the API's JSON problem."""

    def __init__(self, status: int, title: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.headers = headers or {}


def when(value: datetime | None) -> str:
    """A time as the console shows it: ``2026-12-01 14:05 UTC``."""
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if value is not None else ""


def relative(value: datetime | None, now: datetime | None = None) -> str:
    """How far ``value`` is from now, in words: ``in 3 h 10 min`` or ``2 h overdue``-style ``2 h ago``."""
    if value is None:
        return ""
    seconds = (value - (now or datetime.now(UTC))).total_seconds()
    minutes = int(abs(seconds) // 60)
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    return f"in {span}" if seconds >= 0 else f"{span} ago"


FILTERS: dict[str, Callable[..., str]] = {"when": when, "relative": relative}


def _hours(raw: str | None, name: str) -> timedelta | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of hours, got {raw!r}") from None
    if not 0 <= value <= 24 * 365:
        raise ValueError(f"{name} must be between 0 and 8760 hours, got {raw!r}")
    return timedelta(hours=value)


def queue_filter(query: dict[str, str]) -> ReviewFilter:
    """The queue page's query string as a filter; ``ValueError`` naming a bad field."""
    older = _hours(query.get("older_than"), "older than")
    due = _hours(query.get("due_within"), "due within")
    return ReviewFilter(
        reason=query.get("reason") or None,
        channel=query.get("channel") or None,
        min_age=older,
        due_before=datetime.now(UTC) + due if due is not None else None,
        assignee=query.get("assignee") or None,
    )


def refusal_status(exc: ReviewError) -> int:
    """The status a refused review action gets (as the API answers it)."""
    if isinstance(exc, ReviewNotFound):
        return 404
    if isinstance(exc, ReplyBlocked):
        return 422
    return 409  # ReviewConflict, ReviewClosed: someone else holds it, or it is done already


def router(console: Console) -> APIRouter:
    """The console's routes under ``/console``."""
    routes = APIRouter(prefix="/console", include_in_schema=False)
    runtime = console.runtime

    @routes.get("")
    @routes.get("/")
    def home() -> Response:
        return RedirectResponse("/console/queue", status_code=303)

    @routes.get("/login")
    def login_form(request: Request, next: str = "/console/queue") -> HTMLResponse:
        return console.login_page(request, None, 200, next)

    @routes.post("/login")
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=1024)],
        csrf: Annotated[str, Form(max_length=100)] = "",
        next: Annotated[str, Form(max_length=500)] = "/console/queue",
    ) -> Response:
        return await _login(console, request, username.strip(), password, csrf, next)

    @routes.post("/logout")
    async def logout(request: Request) -> Response:
        await console.person(request)
        await run_in_threadpool(runtime.store.users.close_session, request.cookies.get(SESSION_COOKIE, ""))
        response = console.login_page(request, "you are signed out", 200)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @routes.get("/queue")
    async def queue(request: Request) -> HTMLResponse:
        principal = await console.person(request)
        query = dict(request.query_params)
        try:
            chosen = queue_filter(query)
        except ValueError as exc:
            return console.render(
                request, "queue.html", {"items": [], "query": query, "message": str(exc), "now": _now()}, 422
            )
        items = await run_in_threadpool(runtime.reviews.queue, chosen)
        context = {"items": items, "query": query, "message": None, "now": _now(), "me": _holder(principal)}
        return console.render(request, "queue.html", context)

    @routes.get("/tickets/{ticket_id}")
    async def ticket(request: Request, ticket_id: str) -> HTMLResponse:
        principal = await console.person(request)
        return await _ticket_page(console, request, principal, ticket_id, {})

    @routes.post("/tickets/{ticket_id}/{action}")
    async def act(request: Request, ticket_id: str, action: str) -> HTMLResponse:
        if action not in ACTIONS:
            raise ConsoleRefusal(404, f"no action {action!r}; the actions are {', '.join(ACTIONS)}")
        principal = await console.person(request, Scope.AGENT)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        status, result = await run_in_threadpool(_act, console, principal, ticket_id, action, fields)
        return await _ticket_page(console, request, principal, ticket_id, result, status)

    @routes.get("/dashboard")
    async def dashboard(request: Request, days: int = 14) -> HTMLResponse:
        await console.person(request)
        days = days if days in (7, 14, 30, 90) else 14
        figures = await run_in_threadpool(runtime.store.dashboard.figures, days)
        verified = await run_in_threadpool(_verified, console, figures)
        context = dashboard_context(figures, days, *verified)
        states = await run_in_threadpool(runtime.store.alerts.states)
        context["alerts"] = snapshot(runtime.alert_rules, states)
        return console.render(request, "dashboard.html", context)

    return routes


async def _login(
    console: Console, request: Request, username: str, password: str, csrf: str, next_url: str
) -> Response:
    """Sign in: the sign-in form's CSRF value, then the throttles, then the password (in that order, so a
    forged or throttled attempt costs no password hash)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not secrets_equal(nonce, csrf):
        message = "this sign-in form is not valid (it expired or was not issued here); try again"
        return console.login_page(request, message, 403, next_url)
    address = request.client.host if request.client else "unknown"
    wait = console.throttled(username, address)
    if wait > 0:
        message = f"too many sign-in attempts; try again in {retry_after(wait)} s"
        page = console.login_page(request, message, 429, next_url)
        page.headers["Retry-After"] = retry_after(wait)
        return page
    started = await run_in_threadpool(console.start_session, request, username, password, next_url)
    if started is None:
        return console.login_page(request, "wrong username or password", 401, next_url)
    return started


def secrets_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())


def _now() -> datetime:
    return datetime.now(UTC)


def _holder(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id}"


def _claim(desk: ReviewDesk, who: Principal, ticket_id: str, fields: dict[str, str]) -> dict[str, Any]:
    item = desk.claim(ticket_id, who)
    return {"ok": f"You hold this review until {when(item.lease_expires_at)}."}


def _release(desk: ReviewDesk, who: Principal, ticket_id: str, fields: dict[str, str]) -> dict[str, Any]:
    desk.release(ticket_id, who)
    return {"ok": "Released: the review is open for anyone."}


def _check(desk: ReviewDesk, who: Principal, ticket_id: str, fields: dict[str, str]) -> dict[str, Any]:
    checked = desk.check(ticket_id, who, _reply(fields))
    return {"revalidation": checked, "ok": _verdict(checked), "blocked": checked.blocked}


def _approve(desk: ReviewDesk, who: Principal, ticket_id: str, fields: dict[str, str]) -> dict[str, Any]:
    sent = desk.approve(ticket_id, who)
    return {"ok": "Sent the draft as it was. " + _warned(sent), "revalidation": sent}


def _send(desk: ReviewDesk, who: Principal, ticket_id: str, fields: dict[str, str]) -> dict[str, Any]:
    sent = desk.send(ticket_id, who, _reply(fields))
    return {"ok": "Sent your reply. " + _warned(sent), "revalidation": sent}


def _reject(desk: ReviewDesk, who: Principal, ticket_id: str, fields: dict[str, str]) -> dict[str, Any]:
    reason = fields.get("reason", "").strip()
    if not reason:
        raise ValueError("say why you reject it: the reason is empty")
    desk.reject(ticket_id, who, reason[:500])
    return {"ok": "Rejected: no reply will be sent."}


def _reassign(desk: ReviewDesk, who: Principal, ticket_id: str, fields: dict[str, str]) -> dict[str, Any]:
    target = fields.get("to", "").strip()
    if not target:
        raise ValueError("choose whom to reassign it to")
    desk.reassign(ticket_id, who, target)
    return {"ok": f"Reassigned to {target}."}


def _reply(fields: dict[str, str]) -> str:
    body = fields.get("body", "")
    if not body.strip():
        raise ValueError("write the reply first: the text is empty")
    if len(body) > MAX_REPLY:
        raise ValueError(f"the reply is {len(body)} characters long; the limit is {MAX_REPLY}")
    return body


Action = Callable[["ReviewDesk", Principal, str, dict[str, str]], dict[str, Any]]
ACTIONS: dict[str, Action] = {
    "claim": _claim,
    "release": _release,
    "check": _check,
    "approve": _approve,
    "send": _send,
    "reject": _reject,
    "reassign": _reassign,
}
"""Every queue action a ticket page's buttons post, by the last part of its URL."""


def _act(
    console: Console, principal: Principal, ticket_id: str, action: str, fields: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """Run one queue action: ``(status, result)`` for the page's live region; the reply's text is kept in
    the result so a refused edit is not lost."""
    kept = {"body": fields["body"]} if "body" in fields else {}
    try:
        result = ACTIONS[action](console.runtime.reviews, principal, ticket_id, fields)
    except ReplyBlocked as exc:
        return 422, {**kept, "error": str(exc), "revalidation": exc.revalidation}
    except ReviewError as exc:
        return refusal_status(exc), {**kept, "error": str(exc)}
    except ValueError as exc:
        return 422, {**kept, "error": str(exc)}
    return (422 if result.get("blocked") else 200), {**kept, **result}


def _verdict(checked: Revalidation) -> str:
    if checked.blocked:
        return "This reply would be refused: a blocking check failed (see below)."
    return "The reply passes every blocking check. " + _warned(checked)


def _warned(checked: Revalidation) -> str:
    names = ", ".join(c.name for c in checked.warnings)
    return f"Warnings: {names}." if names else "No warnings."


async def _ticket_page(
    console: Console,
    request: Request,
    principal: Principal,
    ticket_id: str,
    result: dict[str, Any],
    status: int = 200,
) -> HTMLResponse:
    context = await run_in_threadpool(_ticket_context, console, principal, ticket_id)
    if context is None:
        raise ConsoleRefusal(404, f"no ticket {ticket_id!r}")
    return console.render(request, "ticket.html", {**context, "result": result}, status)


def _ticket_context(console: Console, principal: Principal, ticket_id: str) -> dict[str, Any] | None:
    """Everything the ticket page shows; None for an unknown ticket. Records the opening in the trail."""
    runtime = console.runtime
    view = runtime.tickets.view(TicketId(ticket_id))
    if view is None:
        return None
    runtime.store.audit.append(view.id, "opened", {"by": _holder(principal), "name": principal.name})
    loaded = runtime.tickets.load_ticket(view.id)
    history = runtime.store.conversations.history(view.conversation_id, view.id, 50)
    item: ReviewItem | None
    try:
        item = runtime.reviews.item(view.id)
    except ReviewNotFound:
        item = None
    agents = [f"user:{u.username}" for u in runtime.store.users.list() if u.active and u.role != Role.VIEWER]
    view = runtime.tickets.view(view.id) or view  # the trail now shows this opening too
    return {
        "view": view,
        "ticket": loaded,
        "history": history,
        "item": item,
        "agents": agents,
        "me": _holder(principal),
        "can_act": principal.can(Scope.AGENT),
        "now": _now(),
    }


def _verified(console: Console, figures: DashboardFigures) -> tuple[ResolutionSummary, list[float | None]]:
    """Verified resolution over the window and per day (by when the reply was recorded): an automated
    answer counts only once the customer confirmed it or did not come back within ``[feedback]``'s window."""
    feedback = console.runtime.store.feedback
    span = window(console.runtime.engine.settings.feedback)
    now = _now()

    def midnight(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=UTC)

    total = feedback.resolution_summary(midnight(figures.days[0].day), now, now, window=span)
    per_day = [
        feedback.resolution_summary(midnight(d.day), midnight(d.day) + timedelta(days=1), now, window=span)
        for d in figures.days
    ]
    return total, [s.verified_rate for s in per_day]


def dashboard_context(
    figures: DashboardFigures,
    days: int,
    verified: ResolutionSummary | None = None,
    verified_per_day: list[float | None] | None = None,
) -> dict[str, Any]:
    """The dashboard page's charts (inline SVG) and the numbers behind them."""
    labels = [f"{d.day:%m-%d}" for d in figures.days]
    seen = {k for d in figures.days for k in d.outcomes}
    names = [n for n in OUTCOME_ORDER if n in seen] + sorted(seen - set(OUTCOME_ORDER)) or ["sent"]
    series: dict[str, Sequence[int]] = {n: [d.outcomes.get(n, 0) for d in figures.days] for n in names}
    total = figures.finished
    rate = figures.automation_rate
    return {
        "figures": figures,
        "days": days,
        "outcomes_chart": charts.stacked_bars(
            "outcomes",
            "Tickets by outcome per day",
            labels,
            series,
            f"{total} tickets finished in {days} days: "
            + ", ".join(f"{sum(v)} {n}" for n, v in series.items()),
        ),
        "automation_chart": charts.line(
            "automation",
            "Automation rate per day",
            labels,
            [d.automation_rate for d in figures.days],
            lambda v: f"{v:.0%}",
            "share answered without a person: "
            + (f"{rate:.0%} over the window" if rate is not None else "none"),
        ),
        "verified": verified or ResolutionSummary(),
        "verified_per_day": verified_per_day or [None] * len(figures.days),
        "verified_chart": charts.line(
            "verified",
            "Verified resolution per day",
            labels,
            verified_per_day or [None] * len(figures.days),
            lambda v: f"{v:.0%}",
            "automated answers confirmed or not followed up within the window, over those decided: "
            + (
                f"{verified.verified_rate:.0%} over the window"
                if verified is not None and verified.verified_rate is not None
                else "none decided yet"
            ),
        ),
        "escalations_chart": charts.hbars(
            "escalations",
            "Escalations by reason",
            figures.escalations,
            ", ".join(f"{n}: {c}" for n, c in figures.escalations.items()) or "no escalations",
        ),
        "cost_chart": charts.line(
            "cost",
            "Cost per ticket per day (USD)",
            labels,
            [d.cost_per_ticket for d in figures.days],
            lambda v: f"${v:.4f}",
            "model cost over finished tickets, per day",
        ),
        "latency_chart": charts.line(
            "latency",
            "Pipeline latency p95 per day (ms)",
            labels,
            [d.latency_p95_ms for d in figures.days],
            lambda v: f"{v:.0f}",
            "95th percentile of each ticket's pipeline time, per day",
        ),
        "queue_chart": charts.hbars(
            "queue",
            "Queue depth by reason (now)",
            figures.queue_by_reason,
            f"{figures.queue_depth} reviews waiting",
        ),
    }
