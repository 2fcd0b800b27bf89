"""Freshdesk end to end, on both databases: FakeFreshdesk's automation rule posts to the API over a started
runtime with the shared token; tickets are created once, tokenless posts refused, polling finds the rest."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
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
from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE
from ticketflow.testing.fake_freshdesk import FakeFreshdesk
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.models import TrainedModels

SECRET = "fd-shared-token-0123"
QUESTION = "<div>How long does standard delivery take to Germany?</div>"
Desk = tuple[FakeFreshdesk, LoopbackServer]


@pytest.fixture
def fd() -> Iterator[Desk]:
    # the fake's clock starts now, so polling's first window (the last minute) covers its tickets
    fake = FakeFreshdesk(start=datetime.now(UTC).replace(microsecond=0))
    with serve(fake.app) as server:
        yield fake, server


@pytest.fixture
def start(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    fd: Desk,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    fake, server = fd
    monkeypatch.setenv("TICKETFLOW_CHANNELS__FRESHDESK__API_KEY", fake.api_key)
    monkeypatch.setenv("TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET", SECRET)

    def running(**options: Any) -> AbstractContextManager[Served]:
        section = {"base_url": server.url, "agent_user_id": fake.api_agent_id, **options}
        settings = desk_settings(tmp_path, database_url, system_database_url, freshdesk=section)
        return served(settings, store_models)

    return running


@pytest.fixture
def app(start: Any) -> Iterator[Served]:
    with start() as running:
        yield running


def test_the_rules_webhook_creates_a_ticket_that_is_processed(app: Served, fd: Desk) -> None:
    fake, _ = fd
    ticket = fake.create_ticket(description=QUESTION)
    response = fake.send_webhook(
        app.webhook("freshdesk"), fake.render(BODY_TEMPLATE, ticket.id), token=SECRET
    )
    assert response.status_code == 202, response.text
    (accepted,) = response.json()["accepted"]
    assert accepted["external_id"] == f"fd:{ticket.id}:desc" and not accepted["duplicate"]
    view = app.processed(accepted["ticket_id"])
    assert view["status"] == "done" and view["channel"] == "freshdesk"


def test_a_form_encoded_rule_body_and_a_url_token_are_accepted(app: Served, fd: Desk) -> None:
    fake, _ = fd
    ticket = fake.create_ticket(description=QUESTION)
    form = urlencode({"ticket_id": ticket.id, "subject": "Delivery", "requester_email": "ada@example.com"})
    response = httpx.post(
        f"{app.webhook('freshdesk')}?token={SECRET}",
        content=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"][0]["external_id"] == f"fd:{ticket.id}:desc"


def test_the_same_webhook_redelivered_creates_nothing(app: Served, fd: Desk) -> None:
    fake, _ = fd
    ticket = fake.create_ticket(description=QUESTION)
    body = fake.render(BODY_TEMPLATE, ticket.id)
    first = fake.send_webhook(app.webhook("freshdesk"), body, token=SECRET)
    again = fake.send_webhook(app.webhook("freshdesk"), body, token=SECRET)
    assert first.status_code == again.status_code == 202
    assert again.json()["accepted"][0]["duplicate"] is True
    assert len(app.tickets("freshdesk")) == 1


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_a_wrong_token_gets_401_and_stores_nothing(app: Served, fd: Desk, token: str | None) -> None:
    fake, _ = fd
    ticket = fake.create_ticket(description=QUESTION)
    before = len(fake.requests)
    response = fake.send_webhook(app.webhook("freshdesk"), fake.render(BODY_TEMPLATE, ticket.id), token=token)
    assert response.status_code == 401
    assert app.tickets("freshdesk") == [] and len(fake.requests) == before  # the ticket was never read


def test_an_agents_reply_is_ignored_with_its_reason(app: Served, fd: Desk) -> None:
    fake, _ = fd
    ticket = fake.create_ticket(description=QUESTION)
    fake.agent_writes(ticket.id, "<div>On its way.</div>")
    response = fake.send_webhook(
        app.webhook("freshdesk"), fake.render(BODY_TEMPLATE, ticket.id), token=SECRET
    )
    assert response.status_code == 202 and response.json()["accepted"] == []
    assert {i["author"] for i in response.json()["ignored"]} >= {"agent"}
    assert app.ignored() and app.tickets("freshdesk") == []


def test_with_webhooks_off_polling_finds_a_new_ticket_exactly_once(start: Any, fd: Desk) -> None:
    fake, _ = fd
    with start(poll_every_s=1) as app:
        ticket = fake.create_ticket(description=QUESTION)
        wait_until(lambda: app.tickets("freshdesk"), "polling to find the new ticket")
        seen = len(app.passes("freshdesk"))
        app.wait_for_passes("freshdesk", more_than=seen + 1)
        (found,) = app.tickets("freshdesk")
        assert found["external_id"] == f"fd:{ticket.id}:desc"
        assert sum(p["found"] for p in app.passes("freshdesk")) == 1
        assert app.processed(found["id"])["status"] == "done"


# the delivery half: needs the durable sender


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_the_reply_or_the_handoff_lands_on_the_freshdesk_ticket(app: Served, fd: Desk) -> None:
    fake, _ = fd
    ticket = fake.create_ticket(description=QUESTION)
    body = fake.render(BODY_TEMPLATE, ticket.id)
    accepted = fake.send_webhook(app.webhook("freshdesk"), body, token=SECRET).json()["accepted"][0]
    view = app.processed(accepted["ticket_id"])
    if view["outcome"] == "sent":
        # the reply and the tags are two calls to Freshdesk: wait for each
        wait_until(lambda: ticket.replies, "the reply on the Freshdesk ticket")
        wait_until(lambda: "ticketflow-answered" in ticket.tags, "the answered tag")
        assert len(ticket.replies) == 1
    else:
        wait_until(lambda: ticket.notes, "the handoff note")
        wait_until(
            lambda: any(t.startswith("ticketflow-escalated-") for t in ticket.tags), "the escalation tag"
        )
        assert ticket.replies == []


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_429_is_retried_after_retry_after_and_one_conversation_lands(app: Served, fd: Desk) -> None:
    fake, _ = fd
    ticket = fake.create_ticket(description=QUESTION)
    fake.rate_limit(retry_after=1, times=1, path=f"/api/v2/tickets/{ticket.id}/")
    body = fake.render(BODY_TEMPLATE, ticket.id)
    accepted = fake.send_webhook(app.webhook("freshdesk"), body, token=SECRET).json()["accepted"][0]
    app.processed(accepted["ticket_id"])
    wait_until(lambda: ticket.replies or ticket.notes, "the delivery after the 429")
    assert len(ticket.replies) + len(ticket.notes) == 1


@pytest.mark.slow
@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_sigkill_during_delivery_leaves_exactly_one_conversation(
    tmp_path: Path, database_url: str, system_database_url: str, fd: Desk
) -> None:
    """The reply (or a handoff's note) lands on Freshdesk but its answer never reaches the server, which is
    killed then; the restarted worker must recall it instead of posting it again (no idempotency key)."""
    fake, server = fd
    landed, release = threading.Event(), threading.Event()

    @fake.app.middleware("http")
    async def withhold_the_first_answer(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        posted = request.url.path.endswith(("/reply", "/notes"))
        if request.method == "POST" and posted and not landed.is_set():
            landed.set()
            await asyncio.to_thread(release.wait, READY_CEILING_S)
        return response

    env = {
        **os.environ,
        "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
        "TICKETFLOW_DATABASE_URL": database_url,
        "TICKETFLOW_SYSTEM_DATABASE_URL": system_database_url,
        "TICKETFLOW_CHANNELS__FRESHDESK__BASE_URL": server.url,
        "TICKETFLOW_CHANNELS__FRESHDESK__AGENT_USER_ID": str(fake.api_agent_id),
        "TICKETFLOW_CHANNELS__FRESHDESK__API_KEY": fake.api_key,
        "TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET": SECRET,
    }
    env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
    log = tmp_path / "runs.log"

    def start(*args: str) -> subprocess.Popen[bytes]:
        with log.open("ab") as handle:
            command = [sys.executable, "-m", "ticketflow.cli", *args, "--workspace", str(STORE)]
            return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)

    def ours() -> list[int]:
        return [c.id for c in ticket.conversations if c.user_id == fake.api_agent_id]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ticket = fake.create_ticket(description=QUESTION)
    served_process = start("serve", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, served_process, log=log)
        body = fake.render(BODY_TEMPLATE, ticket.id)
        assert fake.send_webhook(f"{base}/webhooks/freshdesk", body, token=SECRET).status_code == 202
        wait_until(landed.is_set, "the delivery to reach Freshdesk", process=served_process, log=log)
    finally:
        served_process.send_signal(signal.SIGKILL)
        served_process.wait(timeout=30)
        release.set()
    first = ours()
    assert len(first) == 1  # it landed before the kill

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
    assert ours() == first
