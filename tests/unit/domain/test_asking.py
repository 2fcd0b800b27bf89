"""Tests for ticketflow.domain.asking: questions and requests in a message."""

from __future__ import annotations

from ticketflow.domain.asking import asked, asks_anything


def test_questions_requests_and_statements() -> None:
    assert asked("@shop Is your phone line down? Called 10x.") == ["Is your phone line down?"]
    assert asks_anything("Please send me the invoice.")
    assert not asks_anything("Your service is atrocious.")


def test_requests_worded_as_statements_ask_something() -> None:
    assert asks_anything("problem with checking the delivery period")
    assert asks_anything("I have to cancel order 1234")
    assert not asks_anything("@airline you guys are the worst, never again.")
