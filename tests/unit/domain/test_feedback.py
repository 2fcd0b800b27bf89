"""Feedback tokens: a signed ticket id and expiry that only the secret's holder can make, valid until then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from ticketflow.domain.feedback import (
    FeedbackLinks,
    Rating,
    TokenError,
    parse_rating,
    read_token,
    sign_token,
)
from ticketflow.domain.ids import TicketId

SECRET = b"a-test-secret-of-enough-bytes"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TICKET = TicketId("t_abcDEF-123_xyz")


def _reason(token: str, *, secret: bytes = SECRET, now: datetime = NOW) -> str:
    with pytest.raises(TokenError) as caught:
        read_token(token, secret, now)
    return caught.value.reason


def test_a_signed_token_names_its_ticket_until_it_expires() -> None:
    token = sign_token(TICKET, NOW + timedelta(days=1), SECRET)
    assert read_token(token, SECRET, NOW) == TICKET
    assert read_token(token, SECRET, NOW + timedelta(days=1) - timedelta(seconds=1)) == TICKET


def test_a_token_is_expired_from_the_second_it_names() -> None:
    token = sign_token(TICKET, NOW + timedelta(hours=1), SECRET)
    assert _reason(token, now=NOW + timedelta(hours=1)) == "expired"
    assert _reason(token, now=NOW + timedelta(days=400)) == "expired"


def test_changing_the_ticket_or_the_expiry_breaks_the_signature() -> None:
    ticket, expires, mac = sign_token(TICKET, NOW + timedelta(hours=1), SECRET).split(".")
    assert _reason(f"t_another.{expires}.{mac}") == "forged"
    assert _reason(f"{ticket}.{int(expires) + 86400}.{mac}") == "forged"
    flipped = mac[:-1] + ("B" if mac.endswith("A") else "A")
    assert _reason(f"{ticket}.{expires}.{flipped}") == "forged"
    assert _reason(f"{ticket}.{expires}.") == "forged"


def test_a_token_from_another_secret_is_forged_even_when_unexpired() -> None:
    token = sign_token(TICKET, NOW + timedelta(hours=1), b"some-other-secret-entirely")
    assert _reason(token) == "forged"
    assert _reason(token, secret=b"") == "forged"


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "a.b", "t_x.notanumber.sig", ".123.sig", "t_x.1.2.3", "t_\x00.123.sig", "x" * 500],
)
def test_malformed_tokens_are_named_so(token: str) -> None:
    assert _reason(token) == "malformed"


def test_signing_without_a_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        sign_token(TICKET, NOW, b"")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("good", (Rating.GOOD, None)),
        (" BAD ", (Rating.BAD, None)),
        (5, (Rating.GOOD, 5)),
        ("4", (Rating.GOOD, 4)),
        (3, (Rating.NEUTRAL, 3)),
        ("2", (Rating.BAD, 2)),
        (1, (Rating.BAD, 1)),
    ],
)
def test_ratings_on_either_scale(given: object, expected: tuple[Rating, int | None]) -> None:
    assert parse_rating(given) == expected


@pytest.mark.parametrize("given", [0, 6, "meh", "", True, 4.5, None, "neutral"])
def test_other_ratings_are_refused_saying_what_is_accepted(given: object) -> None:
    with pytest.raises(ValueError, match="'good', 'bad' or a score from 1 to 5"):
        parse_rating(given)


def test_the_link_appended_to_a_reply_carries_a_token_the_links_accept() -> None:
    links = FeedbackLinks("https://help.example.com/", SECRET, timedelta(days=30), "Rate us: {link}")
    body = links.append_to("Your order ships tomorrow.\n", TICKET, NOW)
    first, _, footer = body.partition("\n\n")
    assert first == "Your order ships tomorrow."
    url = footer.removeprefix("Rate us: ")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "help.example.com", "/feedback")
    token = parse_qs(parts.query)["t"][0]
    assert links.read(token, NOW + timedelta(days=29)) == TICKET
    with pytest.raises(TokenError):
        links.read(token, NOW + timedelta(days=30))
