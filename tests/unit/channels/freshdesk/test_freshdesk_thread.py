"""Reading a Freshdesk thread: the customer's unanswered messages, and who wrote everything else since."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ticketflow.channels.freshdesk.thread import Authorship, Requester, read_thread
from ticketflow.domain.message import CustomerRef
from ticketflow.ports.channel import Author

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
REQUESTER, US, GRACE, STRANGER = 1001, 9001, 9002, 1002


def _ticket(**overrides: Any) -> dict[str, Any]:
    ticket = {
        "id": 42,
        "subject": "Parcel",
        "requester_id": REQUESTER,
        "requester": {"id": REQUESTER, "name": "Ada", "email": "ada@example.com"},
        "description": "<div>Where is my <b>parcel</b>?</div>",
        "description_text": "Where is my parcel?",
        "created_at": "2026-12-01T09:00:00Z",
    }
    ticket.update(overrides)
    return ticket


def _cv(
    id_: int, user: int, html: str, *, incoming: bool, private: bool = False, minute: int = 0
) -> dict[str, Any]:
    return {
        "id": id_,
        "user_id": user,
        "body": html,
        "body_text": html,
        "incoming": incoming,
        "private": private,
        "source": 2 if private else 0,
        "created_at": f"2026-12-01T10:{minute:02d}:00Z",
    }


WHO = Authorship("incoming", our_user_id=US)


def test_a_new_ticket_is_its_description_as_text() -> None:
    parsed = read_thread(_ticket(), [], WHO, now=NOW)
    [message] = parsed.messages
    assert message.external_id == "fd:42:desc"
    assert message.text == "Where is my parcel?"
    assert (message.subject, message.conversation_ref) == ("Parcel", "42")
    assert message.customer == CustomerRef(email="ada@example.com")
    assert message.received_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert parsed.ignored == ()


def test_after_our_reply_only_the_customers_new_message_is_answered() -> None:
    thread = [
        _cv(1, US, "<p>It ships today.</p>", incoming=False, minute=1),
        _cv(2, REQUESTER, "<p>Thanks, and the invoice?</p>", incoming=True, minute=2),
    ]
    parsed = read_thread(_ticket(), thread, WHO, now=NOW)
    assert [m.external_id for m in parsed.messages] == ["fd:42:cv:2"]
    assert parsed.messages[0].text == "Thanks, and the invoice?"
    [echo] = parsed.ignored
    assert (echo.external_id, echo.author) == ("fd:42:cv:1", Author.US)


def test_messages_are_ordered_by_time_whatever_order_the_api_lists_them_in() -> None:
    thread = [
        _cv(3, REQUESTER, "second", incoming=True, minute=5),
        _cv(2, REQUESTER, "first", incoming=True, minute=4),
    ]
    parsed = read_thread(_ticket(), thread, WHO, now=NOW)
    assert [m.external_id for m in parsed.messages] == ["fd:42:desc", "fd:42:cv:2", "fd:42:cv:3"]


def test_an_agents_reply_and_notes_are_ignored_with_their_authors() -> None:
    thread = [
        _cv(1, REQUESTER, "hello?", incoming=True, minute=1),
        _cv(2, GRACE, "On it.", incoming=False, minute=2),
        _cv(3, GRACE, "VIP, be nice", incoming=False, private=True, minute=3),
        _cv(4, US, "handoff package", incoming=False, private=True, minute=4),
    ]
    parsed = read_thread(_ticket(), thread, WHO, now=NOW)
    assert parsed.messages == (), "an agent answered: nothing is left for us"
    assert [(i.external_id, i.author) for i in parsed.ignored] == [
        ("fd:42:cv:2", Author.AGENT),
        ("fd:42:cv:3", Author.AGENT),
        ("fd:42:cv:4", Author.US),
    ]
    assert all(i.reason for i in parsed.ignored)
    assert "note" in parsed.ignored[1].reason


def test_a_note_does_not_count_as_an_answer() -> None:
    thread = [_cv(1, GRACE, "looking", incoming=False, private=True, minute=1)]
    parsed = read_thread(_ticket(), thread, WHO, now=NOW)
    assert [m.external_id for m in parsed.messages] == ["fd:42:desc"]


def test_without_our_agent_id_our_reply_is_still_known_by_the_conversations_we_created() -> None:
    thread = [_cv(7, US, "Hi", incoming=False, minute=1)]
    known = read_thread(_ticket(), thread, Authorship("incoming", None, {7}), now=NOW)
    unknown = read_thread(_ticket(), thread, Authorship("incoming", None, ()), now=NOW)
    assert known.ignored[0].author is Author.US
    assert unknown.ignored[0].author is Author.AGENT


def test_a_named_conversation_narrows_the_answer_to_it() -> None:
    thread = [
        _cv(1, REQUESTER, "one", incoming=True, minute=1),
        _cv(2, REQUESTER, "two", incoming=True, minute=2),
    ]
    assert [m.text for m in read_thread(_ticket(), thread, WHO, now=NOW, only=2).messages] == ["two"]
    [ignored] = read_thread(_ticket(), [_cv(3, US, "x", incoming=False)], WHO, now=NOW, only=3).ignored
    assert ignored.author is Author.US
    unknown = read_thread(_ticket(), thread, WHO, now=NOW, only=99)
    assert len(unknown.messages) == 3, "a conversation not (yet) listed falls back to the general rule"


def test_a_message_without_text_is_ignored_as_the_customers() -> None:
    parsed = read_thread(
        _ticket(description="<div><img src='x.png'></div>", description_text=""), [], WHO, now=NOW
    )
    assert parsed.messages == ()
    assert parsed.ignored[0].author is Author.CUSTOMER and "no text" in parsed.ignored[0].reason


def test_the_webhooks_email_stands_in_when_the_api_gives_none_and_else_the_requester_id() -> None:
    bare = _ticket(requester=None)
    [by_body] = read_thread(bare, [], WHO, now=NOW, requester=Requester("ada@example.com", "Ada")).messages
    assert by_body.customer == CustomerRef(email="ada@example.com")
    [by_id] = read_thread(bare, [], WHO, now=NOW).messages
    assert by_id.customer == CustomerRef(id="freshdesk:1001")


class TestWhoTheCustomerIs:
    """``incoming`` is unconfirmed as "from the customer": each rule, under each reading of it."""

    def _parse(self, rule: str, conversations: list[dict[str, Any]]) -> tuple[list[str], list[Author]]:
        agent_answered = [_cv(1, US, "ok", incoming=False, minute=1)]
        who = Authorship(rule, our_user_id=US)  # type: ignore[arg-type]
        parsed = read_thread(_ticket(), agent_answered + conversations, who, now=NOW)
        return [m.external_id for m in parsed.messages], [i.author for i in parsed.ignored[1:]]

    @pytest.mark.parametrize("rule", ["incoming", "requester"])
    def test_when_incoming_means_the_customer_both_rules_agree(self, rule: str) -> None:
        thread = [_cv(2, REQUESTER, "by email", incoming=True, minute=2)]
        assert self._parse(rule, thread) == (["fd:42:cv:2"], [])

    def test_when_incoming_means_by_email_the_requester_rule_takes_the_portal_reply_and_not_a_cc(
        self,
    ) -> None:
        thread = [
            _cv(2, REQUESTER, "from the portal", incoming=False, minute=2),
            _cv(3, STRANGER, "I was CC'd", incoming=True, minute=3),
        ]
        messages, others = self._parse("requester", thread)
        assert messages == ["fd:42:cv:2"]
        assert others == [Author.SYSTEM]

    def test_when_incoming_means_by_email_the_incoming_rule_would_answer_the_cc(self) -> None:
        thread = [_cv(3, STRANGER, "I was CC'd", incoming=True, minute=3)]
        assert self._parse("incoming", thread)[0] == ["fd:42:cv:3"], "why the requester rule exists"
