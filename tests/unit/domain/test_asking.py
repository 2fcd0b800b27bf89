"""Tests for ticketflow.domain.asking: questions and requests in a message."""

from __future__ import annotations

from ticketflow.domain.asking import asked, asks_anything, only_thanks


def test_questions_requests_and_statements() -> None:
    assert asked("@shop Is your phone line down? Called 10x.") == ["Is your phone line down?"]
    assert asks_anything("Please send me the invoice.")
    assert not asks_anything("Your service is atrocious.")


def test_requests_worded_as_statements_ask_something() -> None:
    assert asks_anything("problem with checking the delivery period")
    assert asks_anything("I have to cancel order 1234")
    assert not asks_anything("@airline you guys are the worst, never again.")


def test_only_thanks_is_thanks_and_courtesy_in_any_of_several_languages() -> None:
    for text in (
        "thanks so much!",
        "Thank you for your help!",
        "@shop great, cheers 👍",
        "vielen Dank!",
        "谢谢",
        "thanks, that’s sorted",
        "ok great, thank you! have a nice day",
        "Thanks, take care. Bye!",
    ):
        assert only_thanks(text), text


def test_thanks_with_anything_more_is_not_only_thanks() -> None:
    for text in ("thanks, but the refund is wrong", "thanks for nothing", "thanks?", "Thanks Anna!", "ok"):
        assert not only_thanks(text), text
    assert not only_thanks("Thanks. Can you also send the invoice?")
    assert not only_thanks("thanks, I have a week to pay")
