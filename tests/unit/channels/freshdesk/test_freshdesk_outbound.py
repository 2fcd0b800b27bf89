"""What the channel sends, call by call, and what it does when the bookkeeping after a reply fails."""

from __future__ import annotations

import json

import httpx

from ticketflow.channels.freshdesk.channel import FreshdeskChannel
from ticketflow.channels.freshdesk.settings_model import FreshdeskSecrets, FreshdeskSettings
from ticketflow.domain.message import CustomerRef
from ticketflow.domain.outcome import Handoff
from ticketflow.ports.channel import Thread

THREAD = Thread(customer=CustomerRef(email="ada@example.com"), conversation_ref="42")
CONVERSATION = {"id": 77, "created_at": "2026-12-01T10:00:00Z", "incoming": False, "private": False}


def _channel(handler: httpx.MockTransport) -> FreshdeskChannel:
    settings = FreshdeskSettings(domain="acme")
    return FreshdeskChannel(
        settings, FreshdeskSecrets("key-1", "hook-1"), transport=handler, sleep=lambda _: None
    )


def test_a_failed_status_update_after_a_reply_keeps_the_reply_and_does_not_post_again() -> None:
    seen: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "POST":
            return httpx.Response(201, json=CONVERSATION)
        if request.method == "GET":
            return httpx.Response(200, json={"id": 42, "tags": []})
        return httpx.Response(400, json={"description": "Validation failed", "errors": []})

    channel = _channel(httpx.MockTransport(answer))
    receipt = channel.reply(THREAD, "Hi", idempotency_key="r-1")
    again = channel.reply(THREAD, "Hi", idempotency_key="r-1")
    assert receipt.message_id == "77" and again == receipt
    assert seen == [
        ("POST", "/api/v2/tickets/42/reply"),
        ("GET", "/api/v2/tickets/42"),
        ("PUT", "/api/v2/tickets/42"),
    ]


def test_the_api_key_is_the_basic_auth_user_with_x_as_password() -> None:
    auth: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        auth.append(request.headers["authorization"])
        return httpx.Response(201, json=CONVERSATION)

    _channel(httpx.MockTransport(answer)).note(THREAD, "x", idempotency_key="n-1")
    assert auth == ["Basic a2V5LTE6WA=="]  # base64("key-1:X")


def test_a_handoff_updates_before_it_notes_so_a_retry_repeats_only_the_harmless_part() -> None:
    seen: list[tuple[str, dict[str, object] | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, json.loads(request.content) if request.content else None))
        if request.method == "GET":
            return httpx.Response(200, json={"id": 42, "tags": ["vip"]})
        if request.method == "PUT":
            return httpx.Response(200, json={"id": 42, "updated_at": "2026-12-01T10:00:00Z"})
        return httpx.Response(201, json=CONVERSATION)

    _channel(httpx.MockTransport(answer)).hand_off(THREAD, Handoff("s", "refund"), idempotency_key="h-1")
    assert [method for method, _ in seen] == ["GET", "PUT", "POST"]
    assert seen[1][1] == {"tags": ["vip", "ticketflow-escalated-refund"]}
    assert seen[2][1] is not None and seen[2][1]["private"] is True
