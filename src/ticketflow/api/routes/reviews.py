"""``/v1/reviews``: the review queue over HTTP, for agents (``agent`` scope; ``read`` to list and read).

The caller's API key (or, through the console, the person) is the actor: it holds the lease, and every
action is recorded and audited under its id. Refusals: 404 (no review for the ticket), 409 (another agent
holds the lease, the caller holds none, or the review is already sent or rejected: nothing is done twice),
422 (a malformed filter or body, or a reply that failed a blocking check, with every check's evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ticketflow.api.security import Guard
from ticketflow.domain.access import Principal, Scope
from ticketflow.domain.reviews import (
    ReplyBlocked,
    Revalidation,
    ReviewError,
    ReviewFilter,
    ReviewItem,
    ReviewNotFound,
    ReviewStatus,
)
from ticketflow.domain.serialize import jsonable
from ticketflow.errors import InputError
from ticketflow.runtime.service import Runtime
from ticketflow.settings import parse_duration

REJECTIONS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API key"},
    403: {"description": "The API key lacks the `agent` scope (`read` for GET)"},
    404: {"description": "No review for that ticket"},
    409: {"description": "Another agent holds the lease, the caller holds none, or the review is closed"},
    422: {"description": "A malformed filter or body, or a reply that failed a blocking check (`checks`)"},
}


MAX_AGE_S = 3650 * 86_400.0


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClaimBody(_Body):
    """``POST …/claim``: how long to hold the lease (``[reviews] lease_s`` when left out)."""

    lease_s: float | None = Field(None, ge=10.0, le=86_400.0)


class ReplyBody(_Body):
    """``POST …/send`` and ``…/check``: the reply as the agent edited or wrote it."""

    body: str = Field(min_length=1, max_length=20_000)


class RejectBody(_Body):
    """``POST …/reject``: why no reply goes out."""

    reason: str = Field(min_length=1, max_length=2_000)


class ReassignBody(_Body):
    """``POST …/reassign``: whom the review goes to (``user:alice``, ``key:…``)."""

    to: str = Field(min_length=1, max_length=200)


def item_json(item: ReviewItem) -> dict[str, Any]:
    """A review as the API returns it."""
    body: dict[str, Any] = jsonable(item)
    return body


def revalidation_json(revalidation: Revalidation) -> dict[str, Any]:
    """Every check's verdict on a reply, and which failures blocked it and which only warn."""
    return {
        "blocked": revalidation.blocked,
        "checks": jsonable(revalidation.checks),
        "failures": [c.name for c in revalidation.failures],
        "warnings": [c.name for c in revalidation.warnings],
    }


def refusal(exc: ReviewError) -> JSONResponse:
    """A review error as its HTTP answer: 404, 409, or 422 with the checks for a blocked reply."""
    if isinstance(exc, ReplyBlocked):
        errors = [
            {"where": "body.body", "problem": f"{c.name}: {'; '.join(c.evidence) or 'failed'}"}
            for c in exc.revalidation.failures
        ]
        content = {"error": str(exc), "errors": errors, **revalidation_json(exc.revalidation)}
        return JSONResponse(status_code=422, content=content)
    status = 404 if isinstance(exc, ReviewNotFound) else 409  # ReviewConflict, ReviewClosed
    return JSONResponse(status_code=status, content={"error": str(exc)})


def answer(call: Callable[[], Any]) -> Any:
    """``call()``'s result, or its review error as the HTTP answer."""
    try:
        return call()
    except ReviewError as exc:
        return refusal(exc)


def _age(text: str | None, where: str) -> timedelta | None:
    if text is None:
        return None
    try:
        seconds = float(text) if text.strip().replace(".", "", 1).isdigit() else parse_duration(text)
        if seconds > MAX_AGE_S:
            raise ValueError(f"{text!r} is longer than ten years")
    except ValueError as exc:
        raise InputError(f"{where}: {exc}", [{"where": f"query.{where}", "problem": str(exc)}]) from None
    return timedelta(seconds=seconds)


def _when(text: str | None, where: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        problem = f"{text!r} is not an ISO 8601 time, e.g. 2026-12-01T17:00:00Z"
        raise InputError(f"{where}: {problem}", [{"where": f"query.{where}", "problem": problem}]) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _statuses(text: str | None) -> frozenset[ReviewStatus]:
    if text is None:
        return ReviewFilter().statuses
    names = [n.strip() for n in text.split(",") if n.strip()]
    valid = {s.value for s in ReviewStatus}
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        problem = f"unknown status(es) {unknown}; choose from {sorted(valid)}, comma-separated"
        raise InputError(f"status: {problem}", [{"where": "query.status", "problem": problem}])
    return frozenset(ReviewStatus(n) for n in names)


def review_filter(
    reason: Annotated[str | None, Query(max_length=255)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    min_age: Annotated[str | None, Query(max_length=32, description="e.g. 30m, 4h, or seconds")] = None,
    max_age: Annotated[str | None, Query(max_length=32)] = None,
    due_before: Annotated[str | None, Query(max_length=64, description="ISO 8601 time")] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=64, description="open,claimed,sent,rejected")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReviewFilter:
    """The query parameters of ``GET /v1/reviews`` as a filter; a malformed one is a 422 naming it."""
    return ReviewFilter(
        reason=reason,
        channel=channel,
        min_age=_age(min_age, "min_age"),
        max_age=_age(max_age, "max_age"),
        due_before=_when(due_before, "due_before"),
        assignee=assignee,
        statuses=_statuses(status),
        limit=limit,
    )


def router(runtime: Runtime, guard: Guard) -> APIRouter:
    """The review queue's routes over ``runtime.reviews``."""
    routes = APIRouter()
    desk = runtime.reviews
    reader = guard.require(Scope.READ)
    agent = guard.require(Scope.AGENT)

    @routes.get("/v1/reviews", summary="The review queue, oldest due first", responses=REJECTIONS)
    def queue(f: ReviewFilter = Depends(review_filter), _: Principal = Depends(reader)) -> dict[str, Any]:
        now = datetime.now(UTC)
        items = desk.queue(f, now)
        return {"now": now.isoformat(), "reviews": [item_json(i) for i in items]}

    @routes.get("/v1/reviews/{ticket_id}", summary="One review with its history", responses=REJECTIONS)
    def review(ticket_id: str, _: Principal = Depends(reader)) -> Any:
        return answer(lambda: item_json(desk.item(ticket_id)))

    @routes.post("/v1/reviews/{ticket_id}/claim", summary="Claim the review (a lease)", responses=REJECTIONS)
    def claim(ticket_id: str, body: ClaimBody | None = None, actor: Principal = Depends(agent)) -> Any:
        return answer(lambda: item_json(desk.claim(ticket_id, actor, body.lease_s if body else None)))

    @routes.post("/v1/reviews/{ticket_id}/release", summary="Give the lease back", responses=REJECTIONS)
    def release(ticket_id: str, actor: Principal = Depends(agent)) -> Any:
        return answer(lambda: item_json(desk.release(ticket_id, actor)))

    @routes.post(
        "/v1/reviews/{ticket_id}/check", summary="Validate a reply without sending it", responses=REJECTIONS
    )
    def check(ticket_id: str, body: ReplyBody, actor: Principal = Depends(agent)) -> Any:
        return answer(lambda: revalidation_json(desk.check(ticket_id, actor, body.body)))

    @routes.post(
        "/v1/reviews/{ticket_id}/approve",
        status_code=202,
        summary="Send the draft as it is (validated again)",
        responses=REJECTIONS,
    )
    def approve(ticket_id: str, actor: Principal = Depends(agent)) -> Any:
        return answer(lambda: {"status": "sent", **revalidation_json(desk.approve(ticket_id, actor))})

    @routes.post(
        "/v1/reviews/{ticket_id}/send",
        status_code=202,
        summary="Send an edited or new reply (validated again)",
        responses=REJECTIONS,
    )
    def send(ticket_id: str, body: ReplyBody, actor: Principal = Depends(agent)) -> Any:
        return answer(lambda: {"status": "sent", **revalidation_json(desk.send(ticket_id, actor, body.body))})

    @routes.post("/v1/reviews/{ticket_id}/reject", summary="Close without a reply", responses=REJECTIONS)
    def reject(ticket_id: str, body: RejectBody, actor: Principal = Depends(agent)) -> Any:
        return answer(lambda: item_json(desk.reject(ticket_id, actor, body.reason)))

    @routes.post("/v1/reviews/{ticket_id}/reassign", summary="Hand to another agent", responses=REJECTIONS)
    def reassign(ticket_id: str, body: ReassignBody, actor: Principal = Depends(agent)) -> Any:
        return answer(lambda: item_json(desk.reassign(ticket_id, actor, body.to)))

    return routes
