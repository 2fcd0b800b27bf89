"""Mail that never gets an answer (auto-replies, bounces, lists, our own), each with the signal named."""

from __future__ import annotations

import pytest

from conftest import Build
from ticketflow.channels.email.loops import ReplyRateLimit, noise
from ticketflow.channels.email.parse import decode
from ticketflow.ports.channel import Author

OWN = ("support@northwind.example",)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated; owner-email=x@y"}, "auto-submitted: auto-generated"),
        ({"Precedence": "bulk"}, "precedence: bulk"),
        ({"Precedence": "junk"}, "precedence: junk"),
        ({"Precedence": "list"}, "precedence: list"),
        ({"Return-Path": "<>"}, "return-path: null"),
        ({"X-Auto-Response-Suppress": "DR, RN, NRN"}, "x-auto-response-suppress: DR"),
        ({"X-Auto-Response-Suppress": "All"}, "x-auto-response-suppress: All"),
        ({"X-Auto-Response-Suppress": "AutoReply"}, "x-auto-response-suppress: AutoReply"),
        ({"List-Id": "<shop.lists.example>"}, "list-id:"),
        ({"List-Unsubscribe": "<mailto:u@example.com>"}, "list-unsubscribe:"),
        ({"Feedback-ID": "1:campaign:ses"}, "feedback-id:"),
        ({"X-Autoreply": "yes"}, "x-autoreply:"),
        ({"X-Autorespond": "yes"}, "x-autorespond:"),
        ({"X-Mailer": "vacation/1.2.7"}, "x-mailer: vacation"),
        ({"From": "MAILER-DAEMON@mx.example.com"}, "sender: mailer-daemon@mx.example.com"),
        ({"From": "LISTSERV@lists.example.com"}, "sender: listserv@"),
        ({"From": "majordomo@lists.example.com"}, "sender: majordomo@"),
        ({"From": "shop-request@lists.example.com"}, "sender: shop-request@"),
        ({"From": "owner-shop@lists.example.com"}, "sender: owner-shop@"),
        (
            {"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
            "report: delivery-status",
        ),
    ],
)
def test_each_signal_gets_no_answer_and_names_itself(
    build: Build, headers: dict[str, str], reason: str
) -> None:
    found = noise(decode(build(headers=headers)), own=OWN)
    assert found is not None
    assert found.author is Author.SYSTEM
    assert found.reason.startswith(reason)


def test_a_null_envelope_sender_is_a_bounce(build: Build) -> None:
    found = noise(decode(build()), envelope_from="<>", own=OWN)
    assert found is not None and found.reason.startswith("envelope sender: null")


def test_our_own_address_in_from_is_our_own_message(build: Build) -> None:
    found = noise(decode(build(headers={"From": "Northwind <Support@Northwind.example>"})), own=OWN)
    assert found is not None
    assert found.author is Author.US and "support@northwind.example" in found.reason


@pytest.mark.parametrize(
    "headers",
    [{}, {"Auto-Submitted": "no"}, {"Precedence": "normal"}, {"X-Auto-Response-Suppress": "OOF"}],
)
def test_a_person_writing_is_answered(build: Build, headers: dict[str, str]) -> None:
    assert noise(decode(build(headers=headers)), envelope_from="ada@example.com", own=OWN) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limit_stops_replies_to_one_sender_within_the_hour() -> None:
    clock = Clock()
    limit = ReplyRateLimit(2, clock=clock)
    for _ in range(2):
        assert limit.allows("ada@example.com")
        limit.record("Ada@Example.com")
    assert not limit.allows("ada@example.com")
    assert limit.allows("bob@example.com"), "another sender has an allowance of their own"
    clock.now += 3599
    assert not limit.allows("ada@example.com")
    clock.now += 2
    assert limit.allows("ada@example.com"), "an hour later the allowance is back"


def test_asking_does_not_use_up_the_allowance() -> None:
    limit = ReplyRateLimit(1, clock=Clock())
    assert limit.allows("ada@example.com") and limit.allows("ada@example.com")
