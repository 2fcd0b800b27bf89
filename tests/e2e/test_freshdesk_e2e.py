"""Freshdesk end to end, on both databases: FakeFreshdesk's automation rule posts to the API over a started
runtime with the shared token; tickets are created once, tokenless posts refused, polling finds the rest."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from desk_support import (
    NEEDS_SENDER,
    Served,
    assert_logged_nowhere,
    assert_stored_nowhere,
    desk_settings,
    handoff_lands,
    rate_limited_reply_lands,
    reply_lands,
    sender_available,
    served,
    sigkill_during_delivery,
)
from fastapi import Request

from support import wait_until
from ticketflow.channels.freshdesk.text import html_to_text
from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE
from ticketflow.testing.fake_freshdesk import FakeFreshdesk
from ticketflow.testing.fake_helpdesk import Logged
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
    billing = fake.add_group("Billing")
    monkeypatch.setenv("TICKETFLOW_CHANNELS__FRESHDESK__API_KEY", fake.api_key)
    monkeypatch.setenv("TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET", SECRET)

    def running(**options: Any) -> AbstractContextManager[Served]:
        section = {
            "base_url": server.url,
            "agent_user_id": fake.api_agent_id,
            "groups": {"billing": billing},
            "escalation_groups": {"refund": "billing"},
            **options,
        }
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


@dataclass
class OnFreshdesk:
    """FakeFreshdesk as the shared delivery scenarios read it; its automation rule sends the token."""

    fake: FakeFreshdesk
    name = "freshdesk"

    def open(self, text: str) -> str:
        return str(self.fake.create_ticket(description=f"<div>{text}</div>").id)

    def deliver(self, url: str, ref: str) -> httpx.Response:
        return self.fake.send_webhook(url, self.fake.render(BODY_TEMPLATE, int(ref)), token=SECRET)

    def ours(self, ref: str, *, public: bool) -> list[str]:
        ticket = self.fake.tickets[int(ref)]
        return [
            html_to_text(c.body)
            for c in ticket.conversations
            if c.user_id == self.fake.api_agent_id and c.private != public
        ]

    def tags(self, ref: str) -> list[str]:
        return list(self.fake.tickets[int(ref)].tags)

    def assigned(self, ref: str) -> str | None:
        group = self.fake.tickets[int(ref)].group_id
        return None if group is None else self.fake.groups[group]

    def status(self, ref: str) -> object:
        return self.fake.tickets[int(ref)].status

    def rate_limit_reply(self, ref: str) -> float:
        # the reply itself, not the read-back of the ticket's conversations that intake makes first
        self.fake.rate_limit(retry_after=1, times=1, path=f"/api/v2/tickets/{ref}/reply")
        return 1.0

    def reply_calls(self, ref: str) -> list[Logged]:
        return self.fake.calls("POST", f"/api/v2/tickets/{ref}/reply")


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_an_answer_lands_as_a_public_reply_with_the_tag_and_the_status(app: Served, fd: Desk) -> None:
    reply_lands(app, OnFreshdesk(fd[0]), status=3)  # pending


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_handoff_lands_as_a_note_with_the_package_the_mapped_group_and_the_tag(
    app: Served, fd: Desk
) -> None:
    fake = fd[0]
    handoff_lands(app, OnFreshdesk(fake), assigned="Billing")
    assert_stored_nowhere(app.database_url, app.system_database_url, fake.api_key, SECRET)


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_429_is_retried_after_retry_after_and_one_conversation_lands(app: Served, fd: Desk) -> None:
    rate_limited_reply_lands(app, OnFreshdesk(fd[0]))


@pytest.mark.slow
@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_sigkill_during_delivery_leaves_exactly_one_conversation(
    tmp_path: Path, database_url: str, system_database_url: str, fd: Desk
) -> None:
    """The reply (or a handoff's note) lands on Freshdesk but its answer never reaches the server, which is
    killed then; the restarted worker must recall it instead of posting it again (no idempotency key).

    The rule sends the shared secret in the URL here (``?token=``), so the log check also covers the
    server's access log."""
    fake, server = fd
    ticket = fake.create_ticket(description=QUESTION)

    def is_delivery(request: Request) -> bool:
        return request.method == "POST" and request.url.path.endswith(("/reply", "/notes"))

    killed = sigkill_during_delivery(
        tmp_path,
        database_url,
        system_database_url,
        desk="freshdesk",
        fake_app=fake.app,
        is_delivery=is_delivery,
        environment={
            "TICKETFLOW_CHANNELS__FRESHDESK__BASE_URL": server.url,
            "TICKETFLOW_CHANNELS__FRESHDESK__AGENT_USER_ID": str(fake.api_agent_id),
            "TICKETFLOW_CHANNELS__FRESHDESK__API_KEY": fake.api_key,
            "TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET": SECRET,
        },
        deliver=lambda url: fake.send_webhook(
            url, fake.render(BODY_TEMPLATE, ticket.id), token=SECRET, in_url=True
        ),
        ours=lambda: [c.id for c in ticket.conversations if c.user_id == fake.api_agent_id],
    )
    assert killed.after == killed.before
    assert "POST /webhooks/freshdesk?token=<redacted>" in killed.log  # the access log has the line
    assert_logged_nowhere(killed.log, fake.api_key, SECRET)
    assert_stored_nowhere(database_url, system_database_url, fake.api_key, SECRET)
