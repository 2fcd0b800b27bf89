"""The Message Batches endpoints: create, list, retrieve, cancel and read results.

Every request of a batch is answered when the batch is created (as a message request would be, or as an
``errored`` result); the batch stays ``in_progress`` for ``FakeAnthropic.batch_polls`` retrievals, then
ends. A batch cancelled before it ends reports its answered requests as ``canceled``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ticketflow.testing.fake_anthropic.errors import ApiError, refused
from ticketflow.testing.fake_anthropic.messages import answer
from ticketflow.testing.fake_anthropic.params import check_params
from ticketflow.testing.fake_anthropic.wire import Recorded, iso, next_id

if TYPE_CHECKING:
    from ticketflow.testing.fake_anthropic.app import FakeAnthropic

MAX_REQUESTS = 100_000


@dataclass
class Batch:
    """One batch as the fake keeps it: answered when created, ended after ``polls_left`` more retrievals."""

    id: str
    created_at: datetime
    results: list[dict[str, Any]]
    polls_left: int
    status: str = "in_progress"
    cancel_initiated_at: datetime | None = None
    ended_at: datetime | None = None

    def end(self) -> None:
        if self.status == "canceling":
            for entry in self.results:
                if entry["result"]["type"] == "succeeded":
                    entry["result"] = {"type": "canceled"}
        self.status, self.ended_at = "ended", datetime.now(UTC)

    def as_json(self, base_url: str) -> dict[str, Any]:
        """The ``message_batch`` object."""
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if self.status == "ended":
            for result in self.results:
                counts[result["result"]["type"]] += 1
        else:
            counts["processing"] = len(self.results)
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.status,
            "request_counts": counts,
            "ended_at": iso(self.ended_at),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.created_at + timedelta(hours=24)),
            "archived_at": None,
            "cancel_initiated_at": iso(self.cancel_initiated_at),
            "results_url": (
                f"{base_url}v1/messages/batches/{self.id}/results" if self.status == "ended" else None
            ),
        }


@dataclass
class Batches:
    """The batches created so far, by id."""

    by_id: dict[str, Batch] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def find(self, batch_id: str) -> Batch:
        batch = self.by_id.get(batch_id)
        if batch is None:
            raise ApiError(404, "not_found_error", f"batch {batch_id} not found")
        return batch


def _respond(batch: Batch, request: Request, request_id: str) -> JSONResponse:
    return JSONResponse(batch.as_json(str(request.base_url)), headers={"request-id": request_id})


async def create_batch(fake: FakeAnthropic, request: Request) -> Response:
    """``POST /v1/messages/batches``: answer every request now (a refused one as ``errored``), return the
    batch ``in_progress``.
    """
    try:
        body, record = await fake.admit(request)
        entries = body.get("requests")
        if not isinstance(entries, list) or not entries:
            raise ApiError(400, "invalid_request_error", "requests: Field required")
        if len(entries) > MAX_REQUESTS:
            raise ApiError(400, "invalid_request_error", "requests: at most 100,000 per batch")
    except ApiError as exc:
        return refused(exc)
    results = []
    for entry in entries:
        custom_id, params = entry.get("custom_id"), entry.get("params") or {}
        try:
            message = answer(fake, check_params(params, fake.min_cacheable), params)
            result: dict[str, Any] = {"type": "succeeded", "message": message}
        except ApiError as exc:
            failure = {"type": exc.type, "message": exc.message}
            result = {"type": "errored", "error": {"type": "error", "error": failure}}
        results.append({"custom_id": custom_id, "result": result})
    batch = Batch(next_id("msgbatch_fake"), datetime.now(UTC), results, fake.batch_polls)
    with fake.batches.lock:
        fake.batches.by_id[batch.id] = batch
    return _respond(batch, request, record.request_id)


async def _admit_for_batch(fake: FakeAnthropic, request: Request) -> tuple[Batch, Recorded]:
    """Admit a request about the batch its path names; raise ``ApiError`` when there is no such batch."""
    _, record = await fake.admit(request)
    return fake.batches.find(request.path_params["batch_id"]), record


async def retrieve_batch(fake: FakeAnthropic, request: Request) -> Response:
    """The batch; each retrieval while it is in progress uses up one of its polls."""
    try:
        batch, record = await _admit_for_batch(fake, request)
    except ApiError as exc:
        return refused(exc)
    with fake.batches.lock:
        if batch.status != "ended":
            batch.polls_left -= 1
            if batch.polls_left < 0:
                batch.end()
    return _respond(batch, request, record.request_id)


async def list_batches(fake: FakeAnthropic, request: Request) -> Response:
    """``GET /v1/messages/batches``: every batch created so far, on one page."""
    try:
        _, record = await fake.admit(request)
    except ApiError as exc:
        return refused(exc)
    data = [b.as_json(str(request.base_url)) for b in fake.batches.by_id.values()]
    body = {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
    return JSONResponse(body, headers={"request-id": record.request_id})


async def cancel_batch(fake: FakeAnthropic, request: Request) -> Response:
    """``POST /v1/messages/batches/{id}/cancel``: a batch in progress turns ``canceling``; when it ends, its
    answered requests report ``canceled``. Cancelling an ended batch changes nothing.
    """
    try:
        batch, record = await _admit_for_batch(fake, request)
    except ApiError as exc:
        return refused(exc)
    with fake.batches.lock:
        if batch.status == "in_progress":
            batch.status, batch.cancel_initiated_at = "canceling", datetime.now(UTC)
    return _respond(batch, request, record.request_id)


async def batch_results(fake: FakeAnthropic, request: Request) -> Response:
    """The results as JSON lines, once the batch has ended."""
    try:
        batch, record = await _admit_for_batch(fake, request)
        if batch.status != "ended":
            raise ApiError(400, "invalid_request_error", f"batch {batch.id} has not ended yet")
    except ApiError as exc:
        return refused(exc)
    lines = "".join(json.dumps(r) + "\n" for r in batch.results)
    return Response(lines, media_type="application/binary", headers={"request-id": record.request_id})
