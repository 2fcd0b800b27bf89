"""Zendesk end to end, on both databases: FakeZendesk on loopback posts signed webhooks to the API over a
started runtime; tickets are created, processed, deduped, refused unsigned, and found by polling."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
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
from ticketflow.channels.zendesk.webhook import IDS_TRIGGER_BODY_TEMPLATE
from ticketflow.storage import tables
from ticketflow.testing.fake_helpdesk import Logged, deliver_webhook
from ticketflow.testing.fake_zendesk import FakeZendesk
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.models import TrainedModels

QUESTION = "How long does standard delivery take to Germany?"
REFUND_GROUP = "8447320466430"
AWKWARD = 'How long does "standard" delivery take?\nTo Germany, C:\\ drive aside.\n\n\tThanks'
"""Quotes, line breaks, a backslash and a tab: what unescaped placeholders would put in the body raw."""


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
    section = {
        "base_url": server.url,
        "email": fake.email,
        "author_id": fake.agent,
        "escalation_groups": {"refund": REFUND_GROUP},
        **options,
    }
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


def _stored_text(app: Served, ticket_id: str) -> str:
    table = tables.tickets
    with app.runtime.store.engine.connect() as conn:
        return str(conn.execute(sa.select(table.c.text).where(table.c.id == ticket_id)).scalar_one())


@pytest.mark.parametrize("escape", [True, False], ids=["escaped", "unescaped"])
def test_with_the_ids_body_a_comment_with_quotes_and_line_breaks_is_stored_intact_once(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer], escape: bool
) -> None:
    """webhook_body = "ids" (the default) is right whether or not Zendesk escapes placeholders (❓)."""
    fake, _ = zd
    fake.escape_placeholders, fake.trigger_template = escape, IDS_TRIGGER_BODY_TEMPLATE
    ada = fake.add_user("Ada", "ada@example.com")
    ticket = fake.create_ticket(ada, "Delivery", "hello")
    comment = fake.add_comment(ticket, ada, AWKWARD)
    body = fake.webhook_body(ticket, kind="trigger")
    headers = fake.sign(body)
    first = deliver_webhook(app.webhook("zendesk"), body, headers)
    assert first.status_code == 202, first.text
    (accepted,) = first.json()["accepted"]
    assert accepted["external_id"] == f"zd:{ticket}:c:{comment}" and accepted["duplicate"] is False
    again = deliver_webhook(app.webhook("zendesk"), body, headers)
    assert again.status_code == 202 and again.json()["accepted"][0]["duplicate"] is True
    (stored,) = app.tickets("zendesk")
    assert stored["id"] == accepted["ticket_id"]
    assert _stored_text(app, stored["id"]) == AWKWARD
    assert app.processed(stored["id"])["status"] == "done"


@pytest.mark.parametrize("escape", [True, False], ids=["escaped", "unescaped"])
def test_with_the_full_body_unescaped_placeholders_are_a_400_naming_the_setting_and_store_nothing(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    zd: tuple[FakeZendesk, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
    escape: bool,
) -> None:
    fake, _ = zd
    fake.escape_placeholders = escape
    with _start(
        tmp_path, database_url, system_database_url, store_models, zd, monkeypatch, webhook_body="full"
    ) as app:
        ada = fake.add_user("Ada", "ada@example.com")
        ticket = fake.create_ticket(ada, "Delivery", "hello")
        fake.add_comment(ticket, ada, AWKWARD)
        response = fake.deliver_webhook(app.webhook("zendesk"), ticket, kind="trigger")
        if escape:
            assert response.status_code == 202, response.text
            (stored,) = app.tickets("zendesk")
            assert _stored_text(app, stored["id"]) == AWKWARD
            assert app.processed(stored["id"])["status"] == "done"
            return
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert "not valid JSON" in error and "JSON-escaping" in error and 'webhook_body = "ids"' in error
        assert app.tickets("zendesk") == [] and app.ignored() == []
        assert not fake.calls("GET"), "nothing was read back for a body that could not be read"


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


@dataclass
class OnZendesk:
    """FakeZendesk as the shared delivery scenarios read it."""

    fake: FakeZendesk
    name = "zendesk"

    def open(self, text: str) -> str:
        return self.fake.create_ticket(self.fake.add_user("Ada", "ada@example.com"), "Delivery", text)

    def deliver(self, url: str, ref: str) -> httpx.Response:
        return self.fake.deliver_webhook(url, ref)

    def ours(self, ref: str, *, public: bool) -> list[str]:
        comments = self.fake.tickets[ref].comments
        return [c.body for c in comments if c.author_id == self.fake.agent and c.public == public]

    def tags(self, ref: str) -> list[str]:
        return list(self.fake.tickets[ref].tags)

    def assigned(self, ref: str) -> str | None:
        return self.fake.tickets[ref].group_id

    def status(self, ref: str) -> object:
        return self.fake.tickets[ref].status

    def rate_limit_reply(self, ref: str) -> float:
        self.fake.rate_limit(retry_after=1, times=1, path=f"/api/v2/tickets/{ref}.json")
        return 1.0

    def reply_calls(self, ref: str) -> list[Logged]:
        return self.fake.calls("PUT", f"/api/v2/tickets/{ref}.json")  # the comment rides on the ticket PUT


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_an_answer_lands_as_a_public_reply_with_the_tag_and_the_status(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    reply_lands(app, OnZendesk(zd[0]), status="pending")


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_handoff_lands_as_a_note_with_the_package_the_mapped_group_and_the_tag(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    fake = zd[0]
    handoff_lands(app, OnZendesk(fake), assigned=REFUND_GROUP)
    assert_stored_nowhere(app.database_url, app.system_database_url, fake.api_token, fake.signing_secret)


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
def test_a_429_is_retried_after_retry_after_and_one_comment_lands(
    app: Served, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    rate_limited_reply_lands(app, OnZendesk(zd[0]))


@pytest.mark.skipif(not sender_available, reason=NEEDS_SENDER)
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_sigkill_during_delivery_leaves_exactly_one_comment(
    tmp_path: Path, database_url: str, system_database_url: str, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    """The comment lands on Zendesk but its answer never reaches the server, which is killed then; the
    restarted worker must not post it again (Zendesk replies take no idempotency key)."""
    fake, server = zd
    ticket = fake.create_ticket(fake.add_user("Ada", "ada@example.com"), "Delivery", QUESTION)

    def is_delivery(request: Request) -> bool:
        return request.method == "PUT" and request.url.path.endswith(".json")

    killed = sigkill_during_delivery(
        tmp_path,
        database_url,
        system_database_url,
        desk="zendesk",
        fake_app=fake.app,
        is_delivery=is_delivery,
        environment={
            "TICKETFLOW_CHANNELS__ZENDESK__BASE_URL": server.url,
            "TICKETFLOW_CHANNELS__ZENDESK__EMAIL": fake.email,
            "TICKETFLOW_CHANNELS__ZENDESK__AUTHOR_ID": fake.agent,
            "TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN": fake.api_token,
            "TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET": fake.signing_secret,
        },
        deliver=lambda url: fake.deliver_webhook(url, ticket),
        ours=lambda: [c.id for c in fake.tickets[ticket].comments if c.author_id == fake.agent],
    )
    assert killed.after == killed.before
    assert_logged_nowhere(killed.log, fake.api_token, fake.signing_secret)
    assert_stored_nowhere(database_url, system_database_url, fake.api_token, fake.signing_secret)
