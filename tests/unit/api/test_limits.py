"""The body limit reads a chunked body no further than the limit; JSON is required on /v1/ bodies."""

from __future__ import annotations

import asyncio
from typing import Any

from ticketflow.api.limits import BodyLimit, RequireJson

LIMIT = 1000


class Recorder:
    """A downstream app that reads the whole body and answers 200, remembering what it got."""

    def __init__(self) -> None:
        self.body = b""
        self.called = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _run(
    app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes], path: str = "/v1/messages"
) -> Any:
    pulled = {"bytes": 0, "messages": 0}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        index = pulled["messages"]
        pulled["messages"] += 1
        if index >= len(chunks):
            return {"type": "http.disconnect"}
        pulled["bytes"] += len(chunks[index])
        return {"type": "http.request", "body": chunks[index], "more_body": index < len(chunks) - 1}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, pulled["bytes"]


def test_a_chunked_body_over_the_limit_is_refused_before_it_is_all_read() -> None:
    downstream = Recorder()
    chunks = [b"x" * 100] * 10_000  # 1 MB offered in 100-byte chunks

    status, pulled = _run(BodyLimit(downstream, LIMIT), [], chunks)

    assert status == 413 and not downstream.called
    assert pulled <= LIMIT + 100  # read one chunk past the limit, not the megabyte


def test_a_declared_length_over_the_limit_is_refused_without_reading() -> None:
    downstream = Recorder()
    status, pulled = _run(BodyLimit(downstream, LIMIT), [(b"content-length", b"5000")], [b"x" * 5000])
    assert (status, pulled, downstream.called) == (413, 0, False)


def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    downstream = Recorder()
    status, _ = _run(BodyLimit(downstream, LIMIT), [], [b"a" * 400, b"b" * 400])
    assert status == 200 and downstream.body == b"a" * 400 + b"b" * 400


def test_a_malformed_content_length_is_a_400() -> None:
    status, _ = _run(BodyLimit(Recorder(), LIMIT), [(b"content-length", b"12abc")], [b"{}"])
    assert status == 400


def test_json_is_required_for_bodies_under_v1() -> None:
    for headers in (
        [],
        [(b"content-type", b"text/plain")],
        [(b"content-type", b"application/x-www-form-urlencoded")],
    ):
        status, _ = _run(RequireJson(Recorder()), headers, [b"{}"])
        assert status == 415
    ok, _ = _run(RequireJson(Recorder()), [(b"content-type", b"application/json; charset=utf-8")], [b"{}"])
    assert ok == 200
    elsewhere, _ = _run(
        RequireJson(Recorder()), [(b"content-type", b"text/plain")], [b"x"], path="/webhooks/x"
    )
    assert elsewhere == 200
