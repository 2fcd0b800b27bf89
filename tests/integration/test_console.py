"""The console over HTTP (FastAPI's TestClient, SQLite and PostgreSQL): sign-in, sessions and their expiry,
CSRF on every form, the sign-in throttle, roles, the audit of every opening, and each queue action."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from ticketflow.api.app import create_app
from ticketflow.api.throttle import RateLimit
from ticketflow.console.app import mount
from ticketflow.domain.access import SESSION_COOKIE, Role, Scope
from ticketflow.domain.ids import TicketId
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.runtime.reviews import ReviewDesk
from ticketflow.runtime.service import Runtime
from ticketflow.wiring.engine import Engine

PASSWORD = "a long enough password"
DRAFT = "Hello Ines,\nWe are sorry the blender arrived broken.\nWe will refund it once it is back with us."
CARD = "Hello Ines, we refunded the card 4111 1111 1111 1111 today."


@dataclass
class Outbox:
    """What the desk handed to the sender."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, ticket_id: str, conversation_id: str, body: str) -> None:
        with self.lock:
            self.sent.append((ticket_id, conversation_id, body))


@dataclass
class Console:
    engine: Engine
    runtime: Runtime
    outbox: Outbox
    app: object

    def client(self, base_url: str = "https://testserver") -> TestClient:
        return TestClient(self.app, base_url=base_url, follow_redirects=False)  # type: ignore[arg-type]


@pytest.fixture
def console(engine: Engine) -> Console:
    assert engine.store is not None
    for name, role in (("ann", Role.AGENT), ("bob", Role.AGENT), ("vic", Role.VIEWER), ("ada", Role.ADMIN)):
        engine.store.users.create(name, role, PASSWORD)
    runtime = Runtime(engine)
    outbox = Outbox()
    runtime.reviews = ReviewDesk(
        engine.store.review_desk,
        runtime.tickets,
        engine.pipeline,
        engine.settings.reviews,
        engine.workspace.rules.business_hours,
        dispatch=outbox,
    )
    app = create_app(runtime, manage_runtime=False)
    mount(app, runtime)
    return Console(engine, runtime, outbox, app)


def held(
    engine: Engine,
    external_id: str = "zd-1",
    draft: str | None = DRAFT,
    text: str = "The blender arrived broken. I want my money back.",
) -> TicketId:
    """A ticket handed off with ``draft`` as its suggested reply, as the delivery stage queues it."""
    assert engine.store is not None
    message = InboundMessage(
        "zendesk",
        external_id,
        CustomerRef(email="ines@example.com"),
        text,
        conversation_ref=f"th-{external_id}",
    )
    ticket_id = engine.store.accept(message).ticket_id
    engine.store.queue_review(
        ticket_id, "refund", Handoff("refund for a broken blender", "refund", (), "", draft)
    )
    return ticket_id


def hidden(html: str, name: str = "csrf") -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name!r} field in the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; the session's CSRF token, read from the next page."""
    form = client.get("/console/login")
    assert form.status_code == 200
    done = client.post(
        "/console/login", data={"username": username, "password": password, "csrf": hidden(form.text)}
    )
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"])
    assert page.status_code == 200, page.text
    return hidden(page.text)


def test_signing_in_sets_a_secure_http_only_strict_session_cookie_and_opens_the_queue(
    console: Console,
) -> None:
    client = console.client()
    form = client.get("/console/login")
    done = client.post(
        "/console/login", data={"username": "ann", "password": PASSWORD, "csrf": hidden(form.text)}
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/queue"
    cookie = next(h for h in done.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite"} <= flags and "samesite=strict" in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    assert token not in str(console.engine.store.counts())  # type: ignore[union-attr]
    queue = client.get("/console/queue")
    assert queue.status_code == 200 and "Review queue" in queue.text and "Signed in as" in queue.text
    assert queue.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in queue.headers["content-security-policy"]


def test_on_plain_http_loopback_the_cookie_is_not_secure_so_the_browser_sends_it_back(
    console: Console,
) -> None:
    client = console.client("http://127.0.0.1:8000")
    form = client.get("/console/login")
    done = client.post(
        "/console/login", data={"username": "ann", "password": PASSWORD, "csrf": hidden(form.text)}
    )
    cookie = next(h for h in done.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "secure" not in cookie.lower() and "httponly" in cookie.lower()


def test_a_wrong_password_and_an_unknown_user_get_the_same_refusal(console: Console) -> None:
    client = console.client()
    for username, password in (("ann", "not the password"), ("nobody", PASSWORD)):
        form = client.get("/console/login")
        refused = client.post(
            "/console/login", data={"username": username, "password": password, "csrf": hidden(form.text)}
        )
        assert refused.status_code == 401 and "wrong username or password" in refused.text
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


def test_a_sign_in_form_not_issued_here_is_refused(console: Console) -> None:
    client = console.client()
    client.get("/console/login")
    forged = client.post("/console/login", data={"username": "ann", "password": PASSWORD, "csrf": "made-up"})
    assert forged.status_code == 403 and "not valid" in forged.text
    blank = console.client().post("/console/login", data={"username": "ann", "password": PASSWORD})
    assert blank.status_code == 403


def test_sign_ins_are_throttled_per_account_even_with_the_right_password_after_a_burst(
    console: Console,
) -> None:
    client = console.client()
    statuses = []
    for _ in range(console.engine.settings.console.login_attempts_per_account + 1):
        form = client.get("/console/login")
        statuses.append(
            client.post(
                "/console/login",
                data={"username": "bob", "password": "guess " * 3, "csrf": hidden(form.text)},
            )
        )
    assert [r.status_code for r in statuses[:-1]] == [401] * (len(statuses) - 1)
    throttled = statuses[-1]
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    assert "too many sign-in attempts" in throttled.text
    form = client.get("/console/login")
    right = client.post(
        "/console/login", data={"username": "bob", "password": PASSWORD, "csrf": hidden(form.text)}
    )
    assert right.status_code == 429  # the throttle answers before the password is even checked
    form = client.get("/console/login")
    other = client.post(
        "/console/login", data={"username": "ann", "password": PASSWORD, "csrf": hidden(form.text)}
    )
    assert other.status_code == 303  # another account from the same address is not locked out


def test_sign_ins_are_throttled_per_client_address_across_accounts(console: Console) -> None:
    limit = 3
    console.app.state.console.by_address = RateLimit(1, burst=limit)  # type: ignore[attr-defined]
    client = console.client()
    codes = []
    for n in range(limit + 1):
        form = client.get("/console/login")
        data = {"username": f"user{n}", "password": "guess " * 3, "csrf": hidden(form.text)}
        codes.append(client.post("/console/login", data=data).status_code)
    assert codes[:-1] == [401] * limit and codes[-1] == 429


def test_pages_need_a_session_and_an_expired_one_is_told_so(console: Console) -> None:
    anonymous = console.client()
    page = anonymous.get("/console/queue")
    assert page.status_code == 401 and "Sign in" in page.text and 'value="/console/queue"' in page.text
    client = console.client()
    sign_in(client, "ann")
    console.app.state.guard.idle = timedelta(0)  # type: ignore[attr-defined]
    expired = client.get("/console/queue")
    assert expired.status_code == 401 and "your session expired; sign in again" in expired.text


def test_signing_out_ends_the_session_on_the_server(console: Console) -> None:
    client = console.client()
    csrf = sign_in(client, "ann")
    token = client.cookies.get(SESSION_COOKIE)
    out = client.post("/console/logout", data={"csrf": csrf})
    assert out.status_code == 200 and "signed out" in out.text
    replayed = console.client()
    replayed.cookies.set(SESSION_COOKIE, token or "")
    assert replayed.get("/console/queue").status_code == 401


def test_disabling_an_account_ends_its_open_sessions(console: Console) -> None:
    client = console.client()
    sign_in(client, "bob")
    assert console.engine.store.users.disable("bob")  # type: ignore[union-attr]
    assert client.get("/console/queue").status_code == 401


def test_a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    ticket = held(console.engine)
    ann, bob = console.client(), console.client()
    sign_in(ann, "ann")
    bobs_token = sign_in(bob, "bob")
    for data in ({}, {"csrf": "forged"}, {"csrf": bobs_token}):
        refused = ann.post(f"/console/tickets/{ticket}/claim", data=data)
        assert refused.status_code == 403 and "CSRF token" in refused.text
    item = console.runtime.reviews.item(ticket)
    assert item.lease_holder is None


def test_an_agent_claims_checks_and_sends_an_edited_reply_and_a_second_agent_is_refused(
    console: Console,
) -> None:
    ticket = held(console.engine)
    ann, bob = console.client(), console.client()
    csrf = sign_in(ann, "ann")
    page = ann.get(f"/console/tickets/{ticket}")
    assert page.status_code == 200 and "We are sorry the blender arrived broken." in page.text
    assert "The blender arrived broken. I want my money back." in page.text  # the conversation
    claimed = ann.post(f"/console/tickets/{ticket}/claim", data={"csrf": csrf})
    assert claimed.status_code == 200 and "You hold this review until" in claimed.text
    bob_csrf = sign_in(bob, "bob")
    second = bob.post(f"/console/tickets/{ticket}/claim", data={"csrf": bob_csrf})
    assert second.status_code == 409 and "user:ann holds the review" in second.text
    checked = ann.post(f"/console/tickets/{ticket}/check", data={"csrf": csrf, "body": CARD})
    assert (
        checked.status_code == 422 and "This reply would be refused" in checked.text and "pii" in checked.text
    )
    leak = ann.post(f"/console/tickets/{ticket}/send", data={"csrf": csrf, "body": CARD})
    assert leak.status_code == 422 and "blocks the send" in leak.text
    assert "4111 1111 1111 1111" in leak.text  # the edit stays in the box, nothing lost
    assert console.outbox.sent == []
    edited = DRAFT.replace("once it is back with us", "today")
    sent = ann.post(f"/console/tickets/{ticket}/send", data={"csrf": csrf, "body": edited})
    assert sent.status_code == 200 and "Sent your reply." in sent.text
    assert [body for _, _, body in console.outbox.sent] == [edited]
    again = ann.post(f"/console/tickets/{ticket}/approve", data={"csrf": csrf})
    assert again.status_code == 409 and len(console.outbox.sent) == 1


def test_a_viewer_reads_a_ticket_but_cannot_act_on_it(console: Console) -> None:
    ticket = held(console.engine)
    viewer = console.client()
    csrf = sign_in(viewer, "vic")
    page = viewer.get(f"/console/tickets/{ticket}")
    assert page.status_code == 200 and "can read this review but not act on it" in page.text
    assert f"/console/tickets/{ticket}/send" not in page.text
    for action, data in (("claim", {}), ("send", {"body": "Hello"}), ("approve", {})):
        refused = viewer.post(f"/console/tickets/{ticket}/{action}", data={"csrf": csrf, **data})
        assert refused.status_code == 403 and "your role does not allow this" in refused.text
    assert console.outbox.sent == []


def test_every_opening_of_a_ticket_page_is_in_its_audit_trail(console: Console) -> None:
    ticket = held(console.engine)
    viewer = console.client()
    sign_in(viewer, "vic")
    before = datetime.now(UTC)
    viewer.get(f"/console/tickets/{ticket}")
    viewer.get(f"/console/tickets/{ticket}")
    trail = console.engine.store.audit.trail(ticket)  # type: ignore[union-attr]
    opened = [e for e in trail if e.event == "opened"]
    assert len(opened) == 2 and all(e.detail == {"by": "user:vic", "name": "vic"} for e in opened)
    assert all(e.at >= before - timedelta(seconds=1) for e in opened)


def test_reject_needs_a_reason_and_reassign_a_person(console: Console) -> None:
    ticket = held(console.engine)
    ann = console.client()
    csrf = sign_in(ann, "ann")
    ann.post(f"/console/tickets/{ticket}/claim", data={"csrf": csrf})
    empty = ann.post(f"/console/tickets/{ticket}/reject", data={"csrf": csrf, "reason": "  "})
    assert empty.status_code == 422 and "the reason is empty" in empty.text
    moved = ann.post(f"/console/tickets/{ticket}/reassign", data={"csrf": csrf, "to": "user:bob"})
    assert moved.status_code == 200 and "Reassigned to user:bob" in moved.text
    assert console.runtime.reviews.item(ticket).assignee == "user:bob"


def test_the_queue_lists_held_tickets_and_refuses_a_bad_filter_with_a_message(console: Console) -> None:
    ticket = held(console.engine)
    client = console.client()
    sign_in(client, "vic")
    page = client.get("/console/queue")
    assert page.status_code == 200 and f"/console/tickets/{ticket}" in page.text and "refund" in page.text
    bad = client.get("/console/queue", params={"older_than": "soon"})
    assert bad.status_code == 422 and "older than must be a number of hours" in bad.text
    none = client.get("/console/queue", params={"reason": "billing"})
    assert f"/console/tickets/{ticket}" not in none.text


def test_an_unknown_ticket_is_a_404_page(console: Console) -> None:
    client = console.client()
    sign_in(client, "ann")
    assert client.get("/console/tickets/nope").status_code == 404


def test_the_dashboard_charts_what_the_store_counted(console: Console) -> None:
    engine = console.engine
    engine.handle(
        InboundMessage(
            "api",
            "d-1",
            CustomerRef(email="a@example.com"),
            "How long does standard delivery take to Germany?",
            conversation_ref="d1",
        )
    )
    engine.handle(
        InboundMessage(
            "api", "d-2", CustomerRef(email="b@example.com"), "transfer me to an agent", conversation_ref="d2"
        )
    )
    held(engine, "zd-9")
    figures = engine.store.dashboard.figures(7)  # type: ignore[union-attr]
    assert figures.finished == 2 and figures.queue_depth == 2
    assert figures.days[-1].outcomes.get("sent") == 1 and figures.automation_rate == 0.5
    client = console.client()
    sign_in(client, "vic")
    page = client.get("/console/dashboard")
    assert page.status_code == 200 and page.text.count("<svg") == 7
    assert "2 tickets finished in 14 days" in page.text
    assert "verified resolution (0 resolved of 0 decided; 1 still in the window" in page.text
    # the alert rules and their states, as GET /v1/alerts shows them (none evaluated yet: all ok)
    assert 'id="alerts-heading"' in page.text and "escalation-rate" in page.text
    assert "escalation_rate &gt; 0.4 over 1h" in page.text and "<strong>firing</strong>" not in page.text


def test_api_keys_still_work_and_cookies_do_not_reach_key_only_api_routes(console: Console) -> None:
    ticket = held(console.engine)
    client = console.client()
    sign_in(client, "ada")
    assert client.get(f"/v1/tickets/{ticket}").status_code == 401  # a session is not an API key
    _, token = console.engine.api_keys.create("reader", frozenset({Scope.READ}))
    assert (
        client.get(f"/v1/tickets/{ticket}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )


def test_what_a_customer_wrote_is_shown_as_text_never_as_markup(console: Console) -> None:
    ticket = held(console.engine, text='<script>alert("x")</script><img src=x onerror=alert(1)>')
    client = console.client()
    sign_in(client, "vic")
    page = client.get(f"/console/tickets/{ticket}")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_an_edit_posted_after_the_session_expired_is_refused_and_handed_back(console: Console) -> None:
    ticket = held(console.engine)
    client = console.client()
    csrf = sign_in(client, "ann")
    client.post(f"/console/tickets/{ticket}/claim", data={"csrf": csrf})
    console.app.state.guard.idle = timedelta(0)  # type: ignore[attr-defined]
    late = client.post(f"/console/tickets/{ticket}/send", data={"csrf": csrf, "body": "Hello Ines, sorted."})
    assert late.status_code == 401 and "your session expired" in late.text
    assert "Hello Ines, sorted." in late.text and f'value="/console/tickets/{ticket}"' in late.text
    assert console.outbox.sent == []
    forged = client.post(
        f"/console/tickets/{ticket}/send", data={"csrf": "forged", "body": "Call 555-0100 now"}
    )
    assert forged.status_code == 401 and "Call 555-0100" not in forged.text
