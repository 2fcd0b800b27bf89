"""``webhook_body`` under both readings of the unconfirmed placeholder escaping (FACTS-channels §7.3).

Escaped or not, the ids-only trigger body is valid JSON and the comment is read from the API intact; the full
body works when Zendesk escapes and, when it does not, is refused as unreadable with a message naming the
cause and the setting. The fake's ``escape_placeholders`` switch is checked to really differ.
"""

from __future__ import annotations

import json

import pytest
from zendesk_desk import Desk

from ticketflow.channels.zendesk.settings_model import ZendeskSettings
from ticketflow.channels.zendesk.webhook import (
    IDS_TRIGGER_BODY_TEMPLATE,
    MISSING_COMMENT_RETRY_S,
    TRIGGER_BODY_TEMPLATE,
)
from ticketflow.errors import ChannelUnavailable, UnreadableInput
from ticketflow.ports.channel import Author, ChannelRequest, Parsed
from ticketflow.settings import ChannelsSettings
from ticketflow.testing.fake_zendesk import COMMENTS_PER_PAGE
from ticketflow.wiring.desks import read_back_patience, setup

AWKWARD = 'She wrote "where is it?"\nand then: C:\\temp\\order.txt\n\n\tTwice.'
"""Quotes, line breaks, backslashes and a tab: everything unescaped rendering breaks."""


def _trigger(desk: Desk, *, escape: bool, template: str, text: str = AWKWARD) -> tuple[str, str, bytes]:
    desk.fake.escape_placeholders = escape
    desk.fake.trigger_template = template
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, 'Parcel "NW-1" late', "first")
    comment = desk.fake.add_comment(ticket, ada, text)
    return ticket, comment, desk.fake.webhook_body(ticket, kind="trigger")


def _parse(desk: Desk, body: bytes, mode: str) -> Parsed:
    return desk.channel(webhook_body=mode).parse(ChannelRequest.of(body, desk.fake.sign(body)))


def test_the_default_is_ids() -> None:
    assert ZendeskSettings().webhook_body == "ids"


# the fake's switch


def test_the_fakes_two_readings_really_differ(desk: Desk) -> None:
    *_, escaped = _trigger(desk, escape=True, template=TRIGGER_BODY_TEMPLATE)
    assert json.loads(escaped)["body"] == AWKWARD
    *_, raw = _trigger(desk, escape=False, template=TRIGGER_BODY_TEMPLATE)
    assert f'"body": "{AWKWARD}"'.encode() in raw  # put in as it is: quotes and line breaks unescaped
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


@pytest.mark.parametrize("escape", [True, False])
def test_the_ids_template_renders_as_the_same_valid_json_either_way(desk: Desk, escape: bool) -> None:
    ticket, comment, body = _trigger(desk, escape=escape, template=IDS_TRIGGER_BODY_TEMPLATE)
    payload = json.loads(body)
    assert set(payload) == set(json.loads(IDS_TRIGGER_BODY_TEMPLATE))
    assert (payload["ticket_id"], payload["comment_id"]) == (ticket, comment)
    assert payload["requester_id"] == desk.fake.tickets[ticket].requester_id


# full


def test_escaped_placeholders_with_the_full_body_are_read_from_the_body(desk: Desk) -> None:
    _, comment, body = _trigger(desk, escape=True, template=TRIGGER_BODY_TEMPLATE)
    [message] = _parse(desk, body, "full").messages
    assert message.text == AWKWARD.strip() and message.external_id.endswith(f":c:{comment}")
    assert not desk.fake.calls("GET"), "the full body carries the comment: nothing is read back"


def test_unescaped_placeholders_with_the_full_body_are_unreadable_naming_the_cause_and_the_setting(
    desk: Desk,
) -> None:
    *_, body = _trigger(desk, escape=False, template=TRIGGER_BODY_TEMPLATE)
    with pytest.raises(UnreadableInput) as refused:
        _parse(desk, body, "full")
    message = str(refused.value)
    assert "not valid JSON" in message and "JSON-escaping" in message
    assert "{{ticket.latest_comment}}" in message
    assert 'webhook_body = "ids"' in message and "ticketflow channels check" in message
    assert refused.value.errors[0]["type"] == "json_invalid"
    assert not desk.fake.calls("GET")


def test_a_full_body_pasted_while_the_setting_says_ids_is_refused_with_the_ids_advice(desk: Desk) -> None:
    *_, body = _trigger(desk, escape=False, template=TRIGGER_BODY_TEMPLATE)
    with pytest.raises(UnreadableInput) as refused:
        _parse(desk, body, "ids")
    assert "paste the ids-only body" in str(refused.value)


# ids


@pytest.mark.parametrize("escape", [True, False], ids=["escaped", "unescaped"])
def test_with_ids_the_comment_is_read_from_the_api_intact(desk: Desk, escape: bool) -> None:
    ticket, comment, body = _trigger(desk, escape=escape, template=IDS_TRIGGER_BODY_TEMPLATE)
    parsed = _parse(desk, body, "ids")
    [message] = parsed.messages
    assert parsed.ignored == ()
    assert message.text == AWKWARD.strip()
    assert message.external_id == f"zd:{ticket}:c:{comment}"
    assert message.customer.email == "ada@example.com"
    assert message.subject == 'Parcel "NW-1" late'
    assert message.conversation_ref == ticket
    assert desk.fake.calls("GET", f"/api/v2/tickets/{ticket}/comments.json")
    assert desk.fake.calls("GET", f"/api/v2/users/{desk.fake.tickets[ticket].requester_id}.json")


def test_with_ids_a_text_in_the_body_is_not_trusted(desk: Desk) -> None:
    """The full template pasted, the setting ids: what the comment says comes from Zendesk's API."""
    _, _, body = _trigger(desk, escape=True, template=TRIGGER_BODY_TEMPLATE, text="the real words")
    payload = json.loads(body)
    payload.update(body="forged words", body_html="<p>forged words</p>", author_role="End-user")
    [message] = _parse(desk, json.dumps(payload).encode(), "ids").messages
    assert message.text == "the real words"


def test_with_ids_the_comment_is_found_past_the_first_page(desk: Desk) -> None:
    desk.fake.trigger_template = IDS_TRIGGER_BODY_TEMPLATE
    ada = desk.fake.add_user("Ada", "ada@example.com")
    ticket = desk.fake.create_ticket(ada, "Long thread", "first")
    for n in range(COMMENTS_PER_PAGE + 20):
        desk.fake.add_comment(ticket, ada, f"comment {n}")
    latest = desk.fake.add_comment(ticket, ada, AWKWARD)
    [message] = _parse(desk, desk.fake.webhook_body(ticket, kind="trigger"), "ids").messages
    assert message.external_id.endswith(f":c:{latest}") and message.text == AWKWARD.strip()
    assert len(desk.fake.calls("GET", f"/api/v2/tickets/{ticket}/comments.json")) == 2


@pytest.mark.parametrize("escape", [True, False])
def test_with_ids_an_agents_comment_or_a_note_is_ignored_by_the_apis_author(desk: Desk, escape: bool) -> None:
    desk.fake.escape_placeholders, desk.fake.trigger_template = escape, IDS_TRIGGER_BODY_TEMPLATE
    ada = desk.fake.add_user("Ada", "ada@example.com")
    grace = desk.fake.add_user("Grace", "grace@acme.example", "agent")
    ticket = desk.fake.create_ticket(ada, "Delivery", "hi")
    note = desk.fake.add_comment(ticket, grace, 'check "the" warehouse\nnow', public=False)
    body = desk.fake.webhook_body(ticket, note, kind="trigger")
    parsed = _parse(desk, body, "ids")
    assert parsed.messages == ()
    [ignored] = parsed.ignored
    assert ignored.author is Author.AGENT and ignored.external_id == f"zd:{ticket}:c:{note}"
    assert not desk.fake.calls("GET", f"/api/v2/tickets/{ticket}.json"), "no subject needed for a note"


def test_with_ids_a_redelivery_brings_the_same_message(desk: Desk) -> None:
    *_, body = _trigger(desk, escape=False, template=IDS_TRIGGER_BODY_TEMPLATE)
    channel = desk.channel(webhook_body="ids")
    first = channel.parse(ChannelRequest.of(body, desk.fake.sign(body)))
    again = channel.parse(ChannelRequest.of(body, desk.fake.sign(body)))
    assert first.messages == again.messages and len(first.messages) == 1


def test_with_ids_a_comment_not_listed_yet_asks_for_a_redelivery(desk: Desk) -> None:
    ticket, comment, body = _trigger(desk, escape=True, template=IDS_TRIGGER_BODY_TEMPLATE)
    desk.fake.tickets[ticket].comments.pop()  # as if Zendesk had not listed the new comment yet
    with pytest.raises(ChannelUnavailable) as busy:
        _parse(desk, body, "ids")
    assert busy.value.retry_after == MISSING_COMMENT_RETRY_S and comment in str(busy.value)


def test_with_ids_a_long_429_on_the_comments_is_passed_on_not_slept_through(desk: Desk) -> None:
    """The read-back budget the webhook route sets: a Retry-After over 2 s becomes the 503's."""
    ticket, _, body = _trigger(desk, escape=False, template=IDS_TRIGGER_BODY_TEMPLATE)
    desk.fake.rate_limit(retry_after=30, times=1, path="/comments.json")
    with read_back_patience(), pytest.raises(ChannelUnavailable) as busy:
        _parse(desk, body, "ids")
    assert busy.value.retry_after == 30
    assert len(desk.fake.calls("GET", f"/api/v2/tickets/{ticket}/comments.json")) == 1
    assert desk.slept == []


def test_with_ids_a_short_429_is_retried_once(desk: Desk) -> None:
    ticket, _, body = _trigger(desk, escape=False, template=IDS_TRIGGER_BODY_TEMPLATE)
    desk.fake.rate_limit(retry_after=1, times=1, path="/comments.json")
    with read_back_patience():
        [message] = _parse(desk, body, "ids").messages
    assert message.text == AWKWARD.strip() and desk.slept == [1.0]
    desk.fake.rate_limit(retry_after=1, times=2, path="/comments.json")
    with read_back_patience(), pytest.raises(ChannelUnavailable):
        _parse(desk, body, "ids")
    assert len(desk.fake.calls("GET", f"/api/v2/tickets/{ticket}/comments.json")) == 2 + 2


# channels check


@pytest.mark.parametrize(
    ("mode", "template"), [("ids", IDS_TRIGGER_BODY_TEMPLATE), ("full", TRIGGER_BODY_TEMPLATE)]
)
def test_channels_check_prints_the_template_of_the_setting(mode: str, template: str) -> None:
    channels = ChannelsSettings(zendesk=ZendeskSettings(subdomain="acme", webhook_body=mode))  # type: ignore[arg-type]
    printed = setup("zendesk", channels, "https://tickets.acme.test")
    [(label, text)] = printed.paste
    assert text == template and f'webhook_body = "{mode}"' in label
    assert any(step.startswith(f'webhook_body = "{mode}"') for step in printed.steps)
    assert any("poll_every_s" in step and "503" in step for step in printed.steps)
