"""Card numbers keep their last four digits; other numbers are left as they are."""

from __future__ import annotations

import pytest

from ticketflow.domain.cards import luhn_ok, truncate_cards


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("4111 1111 1111 1111", "•••• •••• •••• 1111"),
        ("card 4111-1111-1111-1111.", "card ••••-••••-••••-1111."),
        ("amex 378282246310005 please", "amex •••••••••••0005 please"),
        ("two: 4242424242424242 and 5555 5555 5555 4444", "two: ••••••••••••4242 and •••• •••• •••• 4444"),
        ("nineteen: 6011 1111 1111 1111 110", "nineteen: •••• •••• •••• •••1 110"),
        ("4111 1111 1111 1111 09/27", "•••• •••• •••• 1111 09/27"),
        ("4111-1111-1111-1111-0927", "••••-••••-••••-1111-0927"),
        ("cvv after it: 4111 1111 1111 1111 123", "cvv after it: •••• •••• •••• 1111 123"),
        ("4111111111111111 09/27", "••••••••••••1111 09/27"),
        ("amex 3782 822463 10005 04/28", "amex •••• •••••• •0005 04/28"),
        ("paid 19 4111 1111 1111 1111", "paid 19 •••• •••• •••• 1111"),
        ("4111 1111 1111 1111 4242 4242 4242 4242", "•••• •••• •••• 1111 •••• •••• •••• 4242"),
    ],
)
def test_a_card_number_keeps_only_its_last_four_digits(written: str, kept: str) -> None:
    assert truncate_cards(written) == kept


@pytest.mark.parametrize(
    "text",
    [
        "order 4111 1111 1111 1112 (fails Luhn)",
        "tracking 1Z999AA10123456784",
        "call +44 20 7946 0970",
        "on 2026-11-24T07:51:00Z",
        "IBAN GB82 WEST 1234 5698 7654 32",
        "an 11-digit 41111111111 number",
        "v1.4111111111111111",
        "ref 1234 5678 9012 3456 7890 12",
        "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 x",
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert truncate_cards(text) == text


def test_the_checksum_tells_a_card_from_any_sixteen_digits() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
