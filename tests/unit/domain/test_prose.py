"""Tests for ticketflow.domain.prose: sentences of a Markdown document, hard-wrapped or not."""

from __future__ import annotations

from ticketflow.domain.prose import prose_sentences


def test_a_wrapped_sentence_is_one_sentence() -> None:
    text = "Ridden bikes cannot be\nreturned, but can be exchanged. Return shipping is\nfree."

    assert prose_sentences(text) == [
        "Ridden bikes cannot be returned, but can be exchanged.",
        "Return shipping is free.",
    ]


def test_headings_list_items_and_paragraphs_stand_apart() -> None:
    text = "# Returns\nWithin 30 days\n\n- unused items\n- with the receipt\n1. pack it\n2) post it\n> quoted"

    assert prose_sentences(text) == [
        "# Returns",
        "Within 30 days",
        "- unused items",
        "- with the receipt",
        "1. pack it",
        "2) post it",
        "> quoted",
    ]


def test_each_table_row_stands_apart() -> None:
    text = "| Option | Price |\n|---|---|\n| Express | 12.95 EUR |\nFree over 60 EUR."

    assert prose_sentences(text) == [
        "| Option | Price |",
        "|---|---|",
        "| Express | 12.95 EUR |",
        "Free over 60 EUR.",
    ]


def test_blank_and_empty_text_give_no_sentences() -> None:
    assert prose_sentences("") == []
    assert prose_sentences("\n \n\n") == []
