"""Customer feedback through the signed link in replies: ``POST /v1/feedback`` and the link's landing page.

The token in the link is the credential (no API key: customers have none). It names one ticket and an
expiry and is signed with ``TICKETFLOW_FEEDBACK_SECRET``; a malformed token gets 400, a forged one 401, an
expired one 410, and one for a ticket that no longer exists 404. A second rating of the same ticket
**replaces** the first (customers change their minds; the audit trail keeps each). Every request, good or
bad, counts against a per-address rate limit (429 with ``Retry-After``). With the link off (no
``[feedback] link_base_url`` or no secret) the routes answer 404.

- ``GET /feedback?t=TOKEN`` shows a small form (plain HTML, no script); ``&rating=good`` preselects a
  choice but records nothing, since mail scanners open links on their own.
- ``POST /feedback`` takes that form (``application/x-www-form-urlencoded``) and answers with a page.
- ``POST /v1/feedback`` takes JSON ``{"token", "rating", "comment"}`` for clients of their own.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from ticketflow.api.security import Guard
from ticketflow.api.throttle import Limit, SharedRateLimit, retry_after
from ticketflow.domain.feedback import (
    MAX_COMMENT,
    MAX_TOKEN,
    FeedbackLinks,
    TokenError,
    now_utc,
    parse_rating,
)
from ticketflow.domain.ids import TicketId
from ticketflow.domain.text import strip_controls, unstorable
from ticketflow.ports.store import FeedbackStore
from ticketflow.runtime.service import Runtime

TOKEN_STATUS = {"malformed": 400, "forged": 401, "expired": 410}
PAGE_HEADERS = {
    # the token is in the page's address: never send it on as a Referer, never cache the page
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Frame-Options": "DENY",
}


class FeedbackIn(BaseModel):
    """A rating sent as JSON: the token from the link, ``good``/``bad`` or 1–5, and an optional comment."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=MAX_TOKEN)
    rating: StrictStr | StrictInt
    comment: str | None = Field(None, max_length=MAX_COMMENT)


class Recorded(BaseModel):
    """A recorded rating; ``replaced``: the ticket had been rated before, and this rating replaces it."""

    ticket_id: str
    rating: str
    score: int | None
    replaced: bool


class Refusal(Exception):
    """Why a rating was not recorded, with the HTTP status that says so."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Intake:
    """Verifies a token and records the rating, for both the JSON route and the form."""

    def __init__(self, links: FeedbackLinks | None, store: FeedbackStore, limit: Limit) -> None:
        self.links = links
        self.store = store
        self.limit = limit

    def admit(self, request: Request) -> None:
        """Refuse with 429 an address over its rate limit, and with 404 when the link is off."""
        wait = self.limit.wait_for(request.client.host if request.client else "unknown")
        if wait:
            raise HTTPException(429, "too many feedback requests", {"Retry-After": retry_after(wait)})
        if self.links is None:
            raise HTTPException(404, "feedback links are not configured on this server")

    def check(self, token: str) -> TicketId:
        """The ticket the token rates, or a :class:`Refusal` naming what is wrong with it."""
        assert self.links is not None
        try:
            return self.links.read(token, now_utc())
        except TokenError as exc:
            raise Refusal(TOKEN_STATUS[exc.reason], str(exc)) from exc

    def record(self, token: str, rating: object, comment: str | None) -> Recorded:
        """Record the rating the token allows, or raise :class:`Refusal`."""
        ticket_id = self.check(token)
        try:
            value, score = parse_rating(rating)
        except ValueError as exc:
            raise Refusal(422, str(exc)) from exc
        text = strip_controls(comment).strip() if comment else None
        if text and (why := unstorable(text)):
            raise Refusal(422, f"the comment {why}")
        if text and len(text) > MAX_COMMENT:
            raise Refusal(422, f"the comment is over {MAX_COMMENT} characters")
        try:
            replaced = self.store.rate(
                ticket_id, value, score=score, comment=text or None, source="link", at=now_utc()
            )
        except KeyError as exc:
            raise Refusal(404, "this ticket no longer exists") from exc
        return Recorded(ticket_id=ticket_id, rating=value.value, score=score, replaced=replaced)


def router(runtime: Runtime, _guard: Guard | None = None) -> APIRouter:
    """The feedback routes over ``runtime``'s store and the engine's feedback links (no API key: the
    token is the credential, so ``_guard`` is unused)."""
    settings = runtime.engine.settings.feedback
    limit = SharedRateLimit(runtime.store.throttles, "feedback:address", settings.rate_limit_per_minute)
    intake = Intake(runtime.engine.feedback_links, runtime.store.feedback, limit)
    routes = APIRouter()

    @routes.post(
        "/v1/feedback",
        summary="Rate an answer with the token from its feedback link",
        responses={
            400: {"description": "The token is malformed"},
            401: {"description": "The token's signature does not match (forged, or another server's)"},
            404: {"description": "Feedback links are off, or the ticket no longer exists"},
            410: {"description": "The token has expired"},
            422: {"description": "The rating or comment is invalid"},
            429: {"description": "Too many feedback requests from this address"},
        },
    )
    async def rate(body: FeedbackIn, request: Request) -> Recorded:
        intake.admit(request)
        try:
            return await run_in_threadpool(intake.record, body.token, body.rating, body.comment)
        except Refusal as refusal:
            raise HTTPException(refusal.status, refusal.message) from None

    @routes.get("/feedback", include_in_schema=False)
    async def landing(
        request: Request,
        t: Annotated[str, Query(max_length=MAX_TOKEN)] = "",
        rating: Annotated[str, Query(max_length=8)] = "",
    ) -> HTMLResponse:
        intake.admit(request)
        try:
            intake.check(t)
        except Refusal as refusal:
            return _page(refusal.status, "This link cannot be used", refusal.message)
        return _page(200, "How did we do?", None, form=_form(t, rating))

    @routes.post("/feedback", include_in_schema=False)
    async def submit(
        request: Request,
        t: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
        rating: Annotated[str, Form(max_length=8)] = "",
        comment: Annotated[str, Form(max_length=MAX_COMMENT * 2)] = "",
    ) -> HTMLResponse:
        intake.admit(request)
        try:
            await run_in_threadpool(intake.record, t, rating, comment or None)
        except Refusal as refusal:
            form = _form(t, rating, comment) if refusal.status == 422 else ""
            return _page(refusal.status, "Your rating was not recorded", refusal.message, form=form)
        return _page(200, "Thank you", "Your rating was recorded. You can close this page.")

    return routes


CHOICES = (("good", "It solved my problem"), ("bad", "It did not solve my problem"))


def _form(token: str, chosen: str, comment: str = "") -> str:
    options = "".join(
        f'<p><label><input type="radio" name="rating" value="{value}" required'
        f"{' checked' if value == chosen else ''}> {label}</label></p>"
        for value, label in CHOICES
    )
    return (
        '<form method="post" action="feedback">'
        f'<input type="hidden" name="t" value="{html.escape(token)}">'
        f"<fieldset><legend>Did our answer solve your problem?</legend>{options}</fieldset>"
        f'<p><label for="comment">Anything you want to add (optional)</label><br>'
        f'<textarea id="comment" name="comment" rows="4" cols="50" maxlength="{MAX_COMMENT}">'
        f"{html.escape(comment)}</textarea></p>"
        '<p><button type="submit">Send</button></p></form>'
    )


def _page(status: int, title: str, message: str | None, *, form: str = "") -> HTMLResponse:
    said = f"<p>{html.escape(message)}</p>" if message else ""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}</style>"
        f"</head><body><main><h1>{html.escape(title)}</h1>{said}{form}</main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
