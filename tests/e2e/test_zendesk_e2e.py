"""Zendesk end to end, on both databases: FakeZendesk on loopback posts signed webhooks to the API over a
started runtime; tickets are created, processed, deduped, refused unsigned, and found by polling."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOSClient
from desk_support import NEEDS_SENDER, Served, desk_settings, sender_available, served
from fastapi import Request, Response

from support import (
    READY_CEILING_S,
    STORE,
    WORKER_READY,
    stop_process,
    wait_for_line,
    wait_healthy,
    wait_until,
)
from ticketflow.testing.fake_helpdesk import deliver_webhook
from ticketflow.testing.fake_zendesk import FakeZendesk
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.models import TrainedModels

QUESTION = "How long does standard delivery take to Germany?"


@pytest.fixture
def zd() -> Iterator[tuple[FakeZendesk, LoopbackServer]]:
    fake = FakeZendesk()
    with serve(fake.app) as server:
        yield fake, server


def _start(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    models: TrainedModels,
    zd: tuple[FakeZendesk, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
    **options: Any,
) -> Any:
    fake, server = zd
    monkeypatch.setenv("TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN", fake.api_token)
    monkeypatch.setenv("TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET", fake.signing_secret)
    section = {"base_url": server.url, "email": fake.email, "author_id": fake.agent, **options}
    return served(desk_settings(tmp_path, database_url, system_database_url, zendesk=section), models)


@pytest.fixture
def app(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    zd: tuple[FakeZendesk, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Served]:
    with _start(tmp_path, database_url, system_database_url, store_models, zd, monkeypatch) as running:
        yield running


@pytest.mark.parametrize("kind", ["event", "trigger"])
def test_a_signed_webhook_creates_a_ticket_that_is_processed(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer], kind: str
) -> None:
    fake, _ = zd
    ada = fake.add_user("Ada", "ada@example.com")
    ticket = fake.create_ticket(ada, "Delivery", QUESTION)
    response = fake.deliver_webhook(app.webhook("zendesk"), ticket, kind=kind)  # type: ignore[arg-type]
    assert response.status_code == 202, response.text
    (accepted,) = response.json()["accepted"]
    comment = fake.tickets[ticket].comments[0].id
    assert accepted["external_id"] == f"zd:{ticket}:c:{comment}" and accepted["duplicate"] is False
    view = app.processed(accepted["ticket_id"])
    assert view["status"] == "done" and view["channel"] == "zendesk"
    assert view["outcome"] in {"sent", "review", "escalated"}


def test_the_same_webhook_redelivered_creates_nothing(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    fake, _ = zd
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
    body = fake.webhook_body(ticket)
    headers = fake.sign(body)
    first = deliver_webhook(app.webhook("zendesk"), body, headers)
    again = deliver_webhook(app.webhook("zendesk"), body, headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["accepted"][0]["duplicate"] is True
    assert again.json()["accepted"][0]["ticket_id"] == first.json()["accepted"][0]["ticket_id"]
    # a new event for the same comment (ticket.created, then comment_added) is the same message too
    assert fake.deliver_webhook(app.webhook("zendesk"), ticket, kind="ticket_created").json()["accepted"][0][
        "duplicate"
    ]
    assert len(app.tickets("zendesk")) == 1


def test_a_wrong_signature_gets_401_and_stores_nothing(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    fake, _ = zd
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
    body = fake.webhook_body(ticket)
    forged = FakeZendesk(signing_secret="not-the-secret").sign(body)
    before = len(fake.requests)
    refused = deliver_webhook(app.webhook("zendesk"), body, forged)
    assert refused.status_code == 401 and "signature" in refused.json()["error"]
    missing = deliver_webhook(app.webhook("zendesk"), body, {})
    assert missing.status_code == 401
    tampered = deliver_webhook(
        app.webhook("zendesk"), body.replace(b"Delivery", b"Refunds!"), fake.sign(body)
    )
    assert tampered.status_code == 401
    assert app.tickets("zendesk") == [] and app.ignored() == []
    assert len(fake.requests) == before  # nothing was parsed: no author was looked up


def test_an_agents_comment_is_ignored_with_its_reason(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    fake, _ = zd
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
    grace = fake.add_user("Grace", "grace@acme.example", "agent")
    comment = fake.add_comment(ticket, grace, "We are on it.")
    response = fake.deliver_webhook(app.webhook("zendesk"), ticket, comment)
    assert response.status_code == 202 and response.json()["accepted"] == []
    (ignored,) = response.json()["ignored"]
    assert ignored["external_id"] == f"zd:{ticket}:c:{comment}" and ignored["author"] == "agent"
    assert app.ignored() == [{"channel": "zendesk", **ignored}]
    assert app.tickets("zendesk") == []


def test_a_failed_author_lookup_is_a_503_and_the_redelivery_is_taken(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    fake, _ = zd
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
    body = fake.webhook_body(ticket)
    # Zendesk waits about 10 s for the answer: a 30 s Retry-After is passed on, not slept through
    fake.rate_limit(retry_after=30, times=1, path="/api/v2/users/")
    busy = deliver_webhook(app.webhook("zendesk"), body, fake.sign(body), timeout_s=10)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "30"
    assert len(fake.calls("GET", "/api/v2/users/")) == 1, "no lookup retried while Zendesk waits"
    assert app.tickets("zendesk") == []
    fake.rate_limit(retry_after=0, times=2, path="/api/v2/users/")  # a brief blip is retried once
    busy = deliver_webhook(app.webhook("zendesk"), body, fake.sign(body), timeout_s=10)
    assert busy.status_code == 503 and len(fake.calls("GET", "/api/v2/users/")) == 3
    assert app.tickets("zendesk") == []
    redelivered = deliver_webhook(app.webhook("zendesk"), body, fake.sign(body))
    assert redelivered.status_code == 202 and len(redelivered.json()["accepted"]) == 1


def test_an_unconfigured_helpdesk_answers_404(app: Served) -> None:
    import httpx

    assert httpx.post(app.webhook("intercom"), content=b"{}", timeout=10).status_code == 404


def test_with_webhooks_off_polling_finds_a_new_ticket_exactly_once(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    zd: tuple[FakeZendesk, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, _ = zd
    with _start(
        tmp_path, database_url, system_database_url, store_models, zd, monkeypatch, poll_every_s=1
    ) as app:
        ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
        wait_until(lambda: app.tickets("zendesk"), "polling to find the new ticket")
        seen = len(app.passes("zendesk"))
        app.wait_for_passes("zendesk", more_than=seen + 1)  # two more passes over the same export
        (found,) = app.tickets("zendesk")
        assert found["external_id"] == f"zd:{ticket}:c:{fake.tickets[ticket].comments[0].id}"
        assert sum(p["found"] for p in app.passes("zendesk")) == 1  # no pass found it again
        assert app.processed(found["id"])["status"] == "done"
        assert app.runtime.store.cursors.get("poll:zendesk") is not None


# the delivery half: needs the durable sender


def _public_replies(fake: FakeZendesk, ticket: str) -> list[Any]:
    return [c for c in fake.tickets[ticket].comments if c.author_id == fake.agent and c.public]


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_the_reply_or_the_handoff_lands_on_the_zendesk_ticket(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    fake, _ = zd
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
    accepted = fake.deliver_webhook(app.webhook("zendesk"), ticket).json()["accepted"][0]
    view = app.processed(accepted["ticket_id"])
    state = fake.tickets[ticket]
    if view["outcome"] == "sent":
        wait_until(lambda: _public_replies(fake, ticket), "the reply on the Zendesk ticket")
        (reply,) = _public_replies(fake, ticket)
        assert reply.body.strip() == (view["reply"] or view["draft"]).strip()
        wait_until(lambda: "ticketflow-answered" in state.tags, "the answered tag")
    else:
        notes = lambda: [c for c in state.comments if c.author_id == fake.agent and not c.public]  # noqa: E731
        wait_until(notes, "the handoff note on the Zendesk ticket")
        assert "ticketflow handed this ticket over" in notes()[0].body
        assert _public_replies(fake, ticket) == []
        wait_until(
            lambda: any(t.startswith("ticketflow-escalated-") for t in state.tags), "the escalation tag"
        )


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_429_is_retried_after_retry_after_and_one_comment_lands(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    fake, _ = zd
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
    fake.rate_limit(retry_after=1, times=1, path=f"/api/v2/tickets/{ticket}.json")
    accepted = fake.deliver_webhook(app.webhook("zendesk"), ticket).json()["accepted"][0]
    app.processed(accepted["ticket_id"])
    ours = lambda: [c for c in fake.tickets[ticket].comments if c.author_id == fake.agent]  # noqa: E731
    wait_until(ours, "the delivery after the 429")
    writes = fake.calls("PUT", f"/api/v2/tickets/{ticket}.json")
    assert len(writes) == 2  # the refused one, and the one after Retry-After
    assert len(ours()) == 1


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_sigkill_during_delivery_leaves_exactly_one_comment(
    tmp_path: Path, database_url: str, system_database_url: str, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    """The comment lands on Zendesk but its answer never reaches the server, which is killed then; the
    restarted worker must not post it again (Zendesk replies take no idempotency key)."""
    fake, server = zd
    landed, release = threading.Event(), threading.Event()

    @fake.app.middleware("http")
    async def withhold_the_first_answer(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.method == "PUT" and request.url.path.endswith(".json") and not landed.is_set():
            landed.set()
            await asyncio.to_thread(release.wait, READY_CEILING_S)
        return response

    env = {
        **os.environ,
        "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
        "TICKETFLOW_DATABASE_URL": database_url,
        "TICKETFLOW_SYSTEM_DATABASE_URL": system_database_url,
        "TICKETFLOW_CHANNELS__ZENDESK__BASE_URL": server.url,
        "TICKETFLOW_CHANNELS__ZENDESK__EMAIL": fake.email,
        "TICKETFLOW_CHANNELS__ZENDESK__AUTHOR_ID": fake.agent,
        "TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN": fake.api_token,
        "TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET": fake.signing_secret,
    }
    env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
    log = tmp_path / "runs.log"

    def start(*args: str) -> subprocess.Popen[bytes]:
        with log.open("ab") as handle:
            command = [sys.executable, "-m", "ticketflow.cli", *args, "--workspace", str(STORE)]
            return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)
    served_process = start("serve", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, served_process, log=log)
        assert fake.deliver_webhook(f"{base}/webhooks/zendesk", ticket).status_code == 202
        wait_until(landed.is_set, "the delivery to reach Zendesk", process=served_process, log=log)
    finally:
        served_process.send_signal(signal.SIGKILL)
        served_process.wait(timeout=30)
        release.set()
    ours = [c for c in fake.tickets[ticket].comments if c.author_id == fake.agent]
    assert len(ours) == 1  # it landed before the kill

    started_at = log.stat().st_size
    worker = start("worker")
    try:
        wait_for_line(log, WORKER_READY, worker, after=started_at)
        client = DBOSClient(system_database_url=system_database_url)
        try:
            wait_until(
                lambda: not client.list_workflows(status=["PENDING", "ENQUEUED"]),
                "the restarted worker to settle every workflow",
                process=worker,
                log=log,
            )
        finally:
            client.destroy()
    finally:
        stop_process(worker)
    assert [c.id for c in fake.tickets[ticket].comments if c.author_id == fake.agent] == [ours[0].id]
