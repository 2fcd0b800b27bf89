"""Intercom end to end, on both databases: FakeIntercom on loopback posts signed notifications to the API
over a started runtime; conversations become tickets once, unsigned ones are refused, polling finds more."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from ticketflow.channels.intercom.conversation import html_to_text
from ticketflow.testing.fake_helpdesk import Logged, deliver_webhook
from ticketflow.testing.fake_intercom import FakeIntercom
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.models import TrainedModels

ADMIN = "991267696"
REFUND_TEAM = "team-billing"
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
        section = {
            "base_url": server.url,
            "admin_id": ADMIN,
            "status_after_answer": "close",
            "escalation_teams": {"refund": REFUND_TEAM},
            **options,
        }
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


@dataclass
class OnIntercom:
    """FakeIntercom as the shared delivery scenarios read it."""

    fake: FakeIntercom
    name = "intercom"

    def open(self, text: str) -> str:
        contact = self.fake.add_contact("joe@bloggs.com", "Joe")
        return self.fake.customer_starts(contact, f"<p>{text}</p>", subject="Delivery")

    def deliver(self, url: str, ref: str) -> httpx.Response:
        notification = self.fake.notification("conversation.user.created", ref)
        return deliver_webhook(url, *self.fake.signed(notification))

    def ours(self, ref: str, *, public: bool) -> list[str]:
        kind = "comment" if public else "note"
        return [html_to_text(p["body"]) for p in self.fake.parts(ref, kind) if p["author"]["id"] == ADMIN]

    def tags(self, ref: str) -> list[str]:
        return self.fake.tag_names(ref)

    def assigned(self, ref: str) -> str | None:
        team: str | None = self.fake.conversations[ref]["team_assignee_id"]
        return team

    def status(self, ref: str) -> object:
        return self.fake.conversations[ref]["state"]

    def rate_limit_reply(self, ref: str) -> float:
        # as Intercom does: no Retry-After, only when the window resets (X-RateLimit-Reset, UNIX seconds)
        self.fake.rate_limit(times=1, path=f"/conversations/{ref}/reply", reset_in=2)
        return 1.0  # the reset is 2 s away in whole seconds: at least 1 s from the 429

    def reply_calls(self, ref: str) -> list[Logged]:
        return self.fake.calls("POST", f"/conversations/{ref}/reply")


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_an_answer_lands_as_a_public_reply_with_the_tag_and_the_status(app: Served, ic: Desk) -> None:
    reply_lands(app, OnIntercom(ic[0]), status="closed")


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_handoff_lands_as_a_note_with_the_package_the_mapped_team_and_the_tag(
    app: Served, ic: Desk
) -> None:
    fake = ic[0]
    handoff_lands(app, OnIntercom(fake), assigned=REFUND_TEAM)
    assert_stored_nowhere(app.database_url, app.system_database_url, fake.token, fake.signing_key)


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_429_is_waited_out_until_the_rate_limit_resets_and_one_part_lands(app: Served, ic: Desk) -> None:
    rate_limited_reply_lands(app, OnIntercom(ic[0]))


@pytest.mark.slow
@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_sigkill_during_delivery_leaves_exactly_one_part(
    tmp_path: Path, database_url: str, system_database_url: str, ic: Desk
) -> None:
    """The reply lands on Intercom but its answer never reaches the server, which is killed then; the
    restarted worker must recall it instead of posting it again (Intercom replies take no idempotency key)."""
    fake, server = ic
    conversation = _conversation(fake)

    def is_delivery(request: Request) -> bool:
        return request.method == "POST" and request.url.path.endswith("/reply")

    def ours() -> list[str]:
        return [
            p["id"]
            for p in fake.parts(conversation)
            if p["author"]["id"] == ADMIN and p["part_type"] in {"comment", "note"}
        ]

    killed = sigkill_during_delivery(
        tmp_path,
        database_url,
        system_database_url,
        desk="intercom",
        fake_app=fake.app,
        is_delivery=is_delivery,
        environment={
            "TICKETFLOW_CHANNELS__INTERCOM__BASE_URL": server.url,
            "TICKETFLOW_CHANNELS__INTERCOM__ADMIN_ID": ADMIN,
            "TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN": fake.token,
            "TICKETFLOW_CHANNELS__INTERCOM__WEBHOOK_SECRET": fake.signing_key,
        },
        deliver=lambda url: deliver_webhook(
            url, *fake.signed(fake.notification("conversation.user.created", conversation))
        ),
        ours=ours,
    )
    assert killed.after == killed.before
    assert_logged_nowhere(killed.log, fake.token, fake.signing_key)
    assert_stored_nowhere(database_url, system_database_url, fake.token, fake.signing_key)
