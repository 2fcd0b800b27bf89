"""The console in a real browser (headless Chromium driven by Playwright), over a started runtime with the
Zendesk fake as the ticket's channel: an agent signs in, opens a held ticket, edits the draft and sends it,
and the reply lands on the Zendesk ticket; a second agent is refused the same ticket; a viewer cannot send."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from console_support import CHROMIUM, CHROMIUM_ARGS, browser_missing

from support import STORE, wait_until
from ticketflow.api.app import create_app
from ticketflow.console.app import mount
from ticketflow.domain.access import Role
from ticketflow.domain.ids import TicketId
from ticketflow.domain.outcome import Outcome
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.testing.fake_zendesk import FakeZendesk
from ticketflow.testing.server import LoopbackServer, serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing())),
]

PASSWORD = "a long enough password"
QUESTION = "Where is my order NW-100305? It is late."


@pytest.fixture
def zd() -> Iterator[tuple[FakeZendesk, LoopbackServer]]:
    fake = FakeZendesk()
    with serve(fake.app) as server:
        yield fake, server


@pytest.fixture
def site(
    tmp_path: Path,
    database_url: str,
    system_database_url: str,
    store_models: TrainedModels,
    zd: tuple[FakeZendesk, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, Runtime]]:
    """The API and the console over a started runtime on a loopback port; drafts over 20 words are held."""
    fake, server = zd
    monkeypatch.setenv("TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN", fake.api_token)
    monkeypatch.setenv("TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET", fake.signing_secret)
    settings = Settings.load(
        STORE,
        data_dir=tmp_path / "var",
        database_url=database_url,
        system_database_url=system_database_url,
        validation={"max_words": 20},
        channels={"zendesk": {"base_url": server.url, "email": fake.email, "author_id": fake.agent}},
    )
    engine = Engine.from_workspace(settings=settings, models=store_models)
    assert engine.store is not None
    for name, role in (("ann", Role.AGENT), ("bob", Role.AGENT), ("vic", Role.VIEWER)):
        engine.store.users.create(name, role, PASSWORD)
    runtime = Runtime(engine)
    runtime.start()
    try:
        app = create_app(runtime, manage_runtime=False)
        mount(app, runtime)
        with serve(app) as served:
            yield served.url, runtime
    finally:
        runtime.stop()
        engine.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _sign_in(browser: Any, url: str, username: str) -> Any:
    page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
    page.goto(f"{url}/console/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(username)  # by keyboard alone: the username box has the focus, Tab, Enter submits
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/console/queue")
    return page


def test_an_agent_edits_and_sends_a_held_draft_that_lands_on_zendesk_and_others_are_refused(
    site: tuple[str, Runtime], browser: Any, zd: tuple[FakeZendesk, LoopbackServer]
) -> None:
    url, runtime = site
    fake, _ = zd
    ticket = fake.create_ticket(fake.add_user("Ines", "ines@example.com"), "Late order", QUESTION)
    accepted = fake.deliver_webhook(f"{url}/webhooks/zendesk", ticket).json()["accepted"][0]
    ticket_id = TicketId(accepted["ticket_id"])
    with ThreadPoolExecutor(1) as pool:  # Playwright's loop runs on this thread; DBOS's sync calls refuse it
        result = pool.submit(runtime.result, ticket_id).result()
    assert result.delivery.outcome is Outcome.REVIEW and result.delivery.body  # a draft held for review

    ann = _sign_in(browser, url, "ann")
    ann.keyboard.press("Tab")
    assert ann.evaluate("document.activeElement.textContent") == "Skip to content"
    ann.get_by_role("link", name=ticket_id).click()
    ann.wait_for_url(re.compile(f"/console/tickets/{ticket_id}$"))
    box = ann.get_by_label(re.compile("Reply to the customer"))
    assert box.input_value().strip() == result.delivery.body.strip()
    ann.get_by_role("button", name="Claim").click()
    assert "You hold this review until" in ann.locator("#result").inner_text()

    bob = _sign_in(browser, url, "bob")
    bob.goto(f"{url}/console/tickets/{ticket_id}")
    bob.get_by_role("button", name="Claim").click()
    assert "user:ann holds the review" in bob.locator("#result").inner_text()

    edited = "Hello Ines, your order NW-100305 left our warehouse yesterday; it arrives within two days."
    ann.get_by_label(re.compile("Reply to the customer")).fill(edited)
    ann.get_by_role("button", name="Send the reply").click()
    assert "Sent your reply." in ann.locator("#result").inner_text()

    def public_replies() -> list[str]:
        state = fake.tickets[ticket]
        return [c.body.strip() for c in state.comments if c.author_id == fake.agent and c.public]

    wait_until(lambda: public_replies() == [edited], "the edited reply on the Zendesk ticket")

    vic = _sign_in(browser, url, "vic")
    vic.goto(f"{url}/console/tickets/{ticket_id}")
    assert vic.get_by_role("button", name="Send the reply").count() == 0
    csrf = vic.locator('input[name="csrf"]').first.get_attribute("value")
    forged = vic.request.post(f"{url}/console/tickets/{ticket_id}/send", form={"csrf": csrf, "body": "hi"})
    assert forged.status == 403 and "your role does not allow this" in forged.text()
    assert public_replies() == [edited]  # nothing else went out
