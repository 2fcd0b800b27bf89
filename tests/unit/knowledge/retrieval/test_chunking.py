"""Tests for knowledge.retrieval.chunking.chunk_markdown: sections by heading, paragraph groups, overlap."""

from __future__ import annotations

from ticketflow.knowledge.retrieval.chunking import chunk_markdown


def _words(prefix: str, n: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_each_heading_starts_its_own_chunk_with_that_heading() -> None:
    body = (
        "Intro text before any heading.\n\n"
        "# Shipping\nWe ship in 3 days.\n\n"
        "## Returns\nReturn within 30 days.\n"
    )

    chunks = chunk_markdown("faq", "FAQ", body, kind="kb", intents=("track_order",))

    assert [(c.heading, c.text) for c in chunks] == [
        ("", "Intro text before any heading."),
        ("Shipping", "We ship in 3 days."),
        ("Returns", "Return within 30 days."),
    ]
    assert all(c.source_id == "faq" and c.title == "FAQ" for c in chunks)
    assert all(c.kind == "kb" and c.intents == ("track_order",) for c in chunks)


def test_empty_sections_produce_no_chunks() -> None:
    chunks = chunk_markdown("doc", "Doc", "# Empty\n\n# Full\nSomething here.\n", kind="policy")

    assert [c.heading for c in chunks] == ["Full"]


def test_short_paragraphs_of_a_section_share_one_chunk() -> None:
    body = "# Payment\nWe take cards.\n\nWe take PayPal.\n"

    (chunk,) = chunk_markdown("pay", "Payment", body, kind="kb")

    assert chunk.text == "We take cards. We take PayPal."


def test_long_section_is_split_and_next_chunk_repeats_the_overlap() -> None:
    body = "\n\n".join([_words("a", 6), _words("b", 6), _words("c", 6)])

    chunks = chunk_markdown("doc", "Doc", body, kind="kb", max_words=10, overlap_words=3)

    assert [c.text for c in chunks] == [
        _words("a", 6),
        "a3 a4 a5 " + _words("b", 6),
        "b3 b4 b5 " + _words("c", 6),
    ]


def test_no_overlap_when_overlap_is_zero() -> None:
    body = "\n\n".join([_words("a", 6), _words("b", 6)])

    chunks = chunk_markdown("doc", "Doc", body, kind="kb", max_words=10, overlap_words=0)

    assert [c.text for c in chunks] == [_words("a", 6), _words("b", 6)]


def test_a_long_paragraph_is_cut_at_sentence_ends() -> None:
    body = " ".join(f"Sentence {i} says a few plain words here." for i in range(60))
    chunks = chunk_markdown("doc", "Doc", body, kind="kb", max_words=120, overlap_words=20)
    assert len(chunks) > 1
    assert all(len(c.text.split()) <= 120 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
