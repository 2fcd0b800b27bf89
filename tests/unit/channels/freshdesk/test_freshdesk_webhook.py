"""The Freshdesk webhook: the shared secret is checked before the body; the rule's body is read strictly."""

from __future__ import annotations

import json

import pytest

from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE, read_body, verify_token
from ticketflow.errors import InputError, SignatureError, UnreadableInput
from ticketflow.ports.channel import ChannelRequest
from ticketflow.testing.fake_freshdesk import FakeFreshdesk

SECRET = "s3cret-token"


def _verify(request: ChannelRequest, *, header: str = "X-Ticketflow-Token", url: bool = True) -> None:
    verify_token(request, SECRET, header=header, allow_url_token=url)


def test_the_secret_in_the_header_is_accepted_whatever_the_header_case() -> None:
    _verify(ChannelRequest.of(b"{}", {"x-TICKETFLOW-token": SECRET}))


def test_a_configured_header_name_is_the_one_read() -> None:
    _verify(ChannelRequest.of(b"{}", {"X-Desk-Key": SECRET}), header="X-Desk-Key")
    with pytest.raises(SignatureError, match="X-Desk-Key"):
        _verify(ChannelRequest.of(b"{}", {"X-Ticketflow-Token": SECRET}), header="X-Desk-Key")


def test_the_secret_in_the_url_is_accepted_unless_turned_off() -> None:
    request = ChannelRequest(b"{}", query={"token": SECRET})
    _verify(request)
    with pytest.raises(SignatureError, match="no shared secret"):
        _verify(request, url=False)


@pytest.mark.parametrize(
    "request_",
    [
        ChannelRequest.of(b"{}", {}),
        ChannelRequest.of(b"{}", {"X-Ticketflow-Token": ""}),
        ChannelRequest(b"{}", query={"token": ""}),
    ],
)
def test_a_missing_secret_is_refused_saying_where_to_put_it(request_: ChannelRequest) -> None:
    with pytest.raises(SignatureError, match="X-Ticketflow-Token header or \\?token="):
        _verify(request_)


@pytest.mark.parametrize("wrong", ["s3cret-tokeN", "s3cret-token ", "s3cret", "x" * 200])
def test_a_wrong_secret_is_refused_and_the_error_does_not_echo_either_secret(wrong: str) -> None:
    with pytest.raises(SignatureError) as refused:
        _verify(ChannelRequest.of(b"{}", {"X-Ticketflow-Token": wrong}))
    assert SECRET not in str(refused.value) and wrong not in str(refused.value)


def test_a_wrong_header_is_not_rescued_by_a_right_url_token() -> None:
    with pytest.raises(SignatureError):
        _verify(ChannelRequest(b"{}", {"X-Ticketflow-Token": "nope"}, {"token": SECRET}))


def test_the_documented_template_rendered_by_freshdesk_reads_back_with_every_field() -> None:
    fake = FakeFreshdesk()
    ticket = fake.create_ticket(
        "ada@example.com", 'Ada "the Countess" Lovelace', subject='Order "NW-1" late', tags=["vip", "late"]
    )
    body = read_body(ChannelRequest.of(fake.render(BODY_TEMPLATE, ticket.id)))
    assert body.ticket_id == ticket.id
    assert body.subject == 'Order "NW-1" late'
    assert body.requester_email == "ada@example.com"
    assert body.requester_name == 'Ada "the Countess" Lovelace'
    assert body.body is not None and "Where is my parcel?" in body.body
    assert (body.status, body.source) == ("Open", "Email")
    assert body.tag_list() == ("vip", "late")
    assert body.conversation_id is None  # the template's "" means: not known


def test_a_conversation_id_when_supplied_is_read() -> None:
    assert (
        read_body(ChannelRequest.of(b'{"ticket_id":"7","conversation_id":"5000001"}')).conversation_id
        == 5000001
    )


def test_extra_placeholders_the_admin_added_are_ignored() -> None:
    assert read_body(ChannelRequest.of(b'{"ticket_id":7,"priority":"High"}')).ticket_id == 7


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"subject": "no id"}, "body.ticket_id"),
        ({"ticket_id": ""}, "body.ticket_id"),
        ({"ticket_id": "{{ticket.id}}"}, "body.ticket_id"),
        ({"ticket_id": "-3"}, "body.ticket_id"),
        ({"ticket_id": "7", "conversation_id": "abc"}, "body.conversation_id"),
        ({"ticket_id": "7", "tags": 5}, "body.tags"),
    ],
)
def test_a_malformed_body_is_refused_with_the_field_located(payload: dict[str, object], where: str) -> None:
    with pytest.raises(InputError) as refused:
        read_body(ChannelRequest.of(json.dumps(payload).encode()))
    assert where in [e["where"] for e in refused.value.errors]
    assert all(e["problem"] for e in refused.value.errors)


def test_a_body_that_is_not_a_json_object_is_refused() -> None:
    with pytest.raises(InputError) as refused:
        read_body(ChannelRequest.of(b"[1,2]"))
    assert [e["where"] for e in refused.value.errors] == ["body"]


@pytest.mark.parametrize("raw", [b'{"ticket_id": 7', b"\xff\xfe{}"])
def test_a_body_that_is_not_json_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableInput) as refused:
        read_body(ChannelRequest.of(raw))
    assert refused.value.errors[0]["where"].startswith("body")
