"""Intercom end to end, on both databases: FakeIntercom on loopback posts signed notifications to the API
over a started runtime; conversations become tickets once, unsigned ones are refused, polling finds more."""

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
from ticketflow.testing.fake_intercom import FakeIntercom
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.models import TrainedModels

ADMIN = "991267696"
QUESTION = "<p>How long does standard delivery take to Germany?</p>"
Desk = tuple[FakeIntercom, LoopbackServer]


@pytest.fixture
def ic() -> Iterator[Desk]:
    fake = FakeIntercom()
    with serve(fake.app) as server:
        yield fake, server


@pytest.fixture
def start(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    ic: Desk,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    fake, server = ic
    monkeypatch.setenv("TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN", fake.token)
    monkeypatch.setenv("TICKETFLOW_CHANNELS__INTERCOM__WEBHOOK_SECRET", fake.signing_key)

    def running(**options: Any) -> AbstractContextManager[Served]:
        section = {"base_url": server.url, "admin_id": ADMIN, **options}
        settings = desk_settings(tmp_path, database_url, system_database_url, intercom=section)
        return served(settings, store_models)

    return running


@pytest.fixture
def app(start: Any) -> Iterator[Served]:
    with start() as running:
        yield running


def _conversation(fake: FakeIntercom) -> str:
    return fake.customer_starts(fake.add_contact("joe@bloggs.com", "Joe"), QUESTION, subject="Delivery")


def test_a_signed_notification_creates_a_ticket_that_is_processed(app: Served, ic: Desk) -> None:
    fake, _ = ic
    conversation = _conversation(fake)
    body, headers = fake.signed(fake.notification("conversation.user.created", conversation))
    response = deliver_webhook(app.webhook("intercom"), body, headers)
    assert response.status_code == 202, response.text
    (accepted,) = response.json()["accepted"]
    source = fake.conversations[conversation]["source"]["id"]
    assert accepted["external_id"] == f"ic:{conversation}:s:{source}" and not accepted["duplicate"]
    view = app.processed(accepted["ticket_id"])
    assert view["status"] == "done" and view["channel"] == "intercom"
    # the customer writes again: a new ticket on the same conversation
    fake.customer_replies(conversation, "<p>And to Austria?</p>")
    body, headers = fake.signed(fake.notification("conversation.user.replied", conversation))
    (again,) = deliver_webhook(app.webhook("intercom"), body, headers).json()["accepted"]
    assert again["external_id"].startswith(f"ic:{conversation}:p:") and not again["duplicate"]
    assert len(app.tickets("intercom")) == 2


def test_the_same_notification_redelivered_creates_nothing(app: Served, ic: Desk) -> None:
    fake, _ = ic
    notification = fake.notification("conversation.user.created", _conversation(fake))
    first = deliver_webhook(app.webhook("intercom"), *fake.signed(notification))
    again = deliver_webhook(app.webhook("intercom"), *fake.signed(fake.redelivery(notification)))
    assert first.status_code == again.status_code == 202
    assert again.json()["accepted"][0]["duplicate"] is True
    assert len(app.tickets("intercom")) == 1


def test_a_wrong_signature_gets_401_and_stores_nothing(app: Served, ic: Desk) -> None:
    fake, _ = ic
    body = fake.signed(fake.notification("conversation.user.created", _conversation(fake)))[0]
    before = len(fake.requests)
    assert (
        deliver_webhook(
            app.webhook("intercom"), body, fake.sign(body, "hub-secret-of-another-app")
        ).status_code
        == 401
    )
    assert deliver_webhook(app.webhook("intercom"), body, {}).status_code == 401
    assert app.tickets("intercom") == [] and app.ignored() == [] and len(fake.requests) == before


def test_our_own_reply_echoed_back_is_ignored(app: Served, ic: Desk) -> None:
    fake, _ = ic
    conversation = _conversation(fake)
    fake.agent_writes(conversation, ADMIN, "<p>It ships today.</p>")
    response = deliver_webhook(
        app.webhook("intercom"), *fake.signed(fake.notification("conversation.admin.replied", conversation))
    )
    assert response.status_code == 202 and response.json()["accepted"] == []
    assert response.json()["ignored"] and app.ignored()
    assert app.tickets("intercom") == []


def test_with_webhooks_off_polling_finds_a_new_conversation_exactly_once(start: Any, ic: Desk) -> None:
    fake, _ = ic
    with start(poll_every_s=1) as app:
        conversation = _conversation(fake)
        wait_until(lambda: app.tickets("intercom"), "polling to find the new conversation")
        seen = len(app.passes("intercom"))
        app.wait_for_passes("intercom", more_than=seen + 1)
        (found,) = app.tickets("intercom")
        assert found["external_id"].startswith(f"ic:{conversation}:s:")
        assert sum(p["found"] for p in app.passes("intercom")) == 1
        assert app.processed(found["id"])["status"] == "done"


# the delivery half: needs the durable sender


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_the_reply_or_the_handoff_lands_on_the_conversation(app: Served, ic: Desk) -> None:
    fake, _ = ic
    conversation = _conversation(fake)
    body, headers = fake.signed(fake.notification("conversation.user.created", conversation))
    view = app.processed(
        deliver_webhook(app.webhook("intercom"), body, headers).json()["accepted"][0]["ticket_id"]
    )
    ours = lambda kind: [p for p in fake.parts(conversation, kind) if p["author"]["id"] == ADMIN]  # noqa: E731
    if view["outcome"] == "sent":
        wait_until(lambda: ours("comment"), "the reply in the conversation")
        assert len(ours("comment")) == 1
        wait_until(lambda: "ticketflow-answered" in fake.tag_names(conversation), "the answered tag")
    else:
        wait_until(lambda: ours("note"), "the handoff note")
        assert ours("comment") == []
        wait_until(
            lambda: any(t.startswith("ticketflow-escalated-") for t in fake.tag_names(conversation)),
            "the escalation tag",
        )


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_429_is_waited_out_and_one_part_lands(app: Served, ic: Desk) -> None:
    fake, _ = ic
    conversation = _conversation(fake)
    fake.rate_limit(retry_after=1, times=1, path=f"/conversations/{conversation}/")
    body, headers = fake.signed(fake.notification("conversation.user.created", conversation))
    app.processed(deliver_webhook(app.webhook("intercom"), body, headers).json()["accepted"][0]["ticket_id"])
    ours = lambda: [  # noqa: E731
        p
        for p in fake.parts(conversation)
        if p["author"]["id"] == ADMIN and p["part_type"] in {"comment", "note"}
    ]
    wait_until(ours, "the delivery after the 429")
    assert len(ours()) == 1
    assert len([r for r in fake.requests if r.path.startswith(f"/conversations/{conversation}/")]) >= 2


@pytest.mark.slow
@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_sigkill_during_delivery_leaves_exactly_one_part(
    tmp_path: Path, database_url: str, system_database_url: str, ic: Desk
) -> None:
    """The reply lands on Intercom but its answer never reaches the server, which is killed then; the
    restarted worker must recall it instead of posting it again (Intercom replies take no idempotency key)."""
    fake, server = ic
    landed, release = threading.Event(), threading.Event()

    @fake.app.middleware("http")
    async def withhold_the_first_answer(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.method == "POST" and request.url.path.endswith("/reply") and not landed.is_set():
            landed.set()
            await asyncio.to_thread(release.wait, READY_CEILING_S)
        return response

    env = {
        **os.environ,
        "TICKETFLOW_DATA_DIR": str(tmp_path / "var"),
        "TICKETFLOW_DATABASE_URL": database_url,
        "TICKETFLOW_SYSTEM_DATABASE_URL": system_database_url,
        "TICKETFLOW_CHANNELS__INTERCOM__BASE_URL": server.url,
        "TICKETFLOW_CHANNELS__INTERCOM__ADMIN_ID": ADMIN,
        "TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN": fake.token,
        "TICKETFLOW_CHANNELS__INTERCOM__WEBHOOK_SECRET": fake.signing_key,
    }
    env.pop("TICKETFLOW_TEST_DATABASE_URL", None)
    log = tmp_path / "runs.log"

    def start(*args: str) -> subprocess.Popen[bytes]:
        with log.open("ab") as handle:
            command = [sys.executable, "-m", "ticketflow.cli", *args, "--workspace", str(STORE)]
            return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)

    def ours() -> list[str]:
        return [
            p["id"]
            for p in fake.parts(conversation)
            if p["author"]["id"] == ADMIN and p["part_type"] in {"comment", "note"}
        ]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conversation = _conversation(fake)
    served_process = start("serve", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, served_process, log=log)
        body, headers = fake.signed(fake.notification("conversation.user.created", conversation))
        assert deliver_webhook(f"{base}/webhooks/intercom", body, headers).status_code == 202
        wait_until(landed.is_set, "the delivery to reach Intercom", process=served_process, log=log)
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
