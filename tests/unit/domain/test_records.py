"""Tests for ticketflow.domain.records: ticket-eval JSONL parsing, with errors that name the line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ticketflow.domain.records import RecordError, parse_lines, parse_record


def _line(obj: object) -> str:
    return json.dumps(obj)


def test_parse_lines_reads_records_and_skips_blank_lines() -> None:
    lines = [
        _line({"id": "a", "messages": [{"text": "Where is my parcel?"}]}),
        "",
        "   ",
        _line({"id": "b", "channel": "email", "messages": [{"role": "customer", "text": "Refund please"}]}),
    ]

    records = list(parse_lines(lines, "tickets.jsonl"))

    assert [r.id for r in records] == ["a", "b"]
    assert records[0].channel == "api"
    assert records[1].channel == "email"
    assert records[1].text == "Refund please"


def test_invalid_json_names_source_and_line_number_counting_blank_lines() -> None:
    lines = [_line({"messages": [{"text": "hi"}]}), "", "{not json"]

    with pytest.raises(RecordError, match=r"^tickets\.jsonl:3: not valid JSON"):
        list(parse_lines(lines, "tickets.jsonl"))


def test_records_before_a_broken_line_are_still_yielded() -> None:
    parsed = parse_lines([_line({"id": "ok", "messages": [{"text": "hi"}]}), "[1, 2"], "f.jsonl")

    assert next(parsed).id == "ok"
    with pytest.raises(RecordError, match=r"f\.jsonl:2:"):
        next(parsed)


def test_non_object_record_is_rejected_with_its_line() -> None:
    with pytest.raises(RecordError, match=r"^data\.jsonl:1: a record must be a JSON object"):
        list(parse_lines(["[1, 2, 3]"], "data.jsonl"))


@pytest.mark.parametrize("messages", [None, [], "hello"])
def test_missing_or_empty_messages_is_rejected(messages: object) -> None:
    line = _line({"id": "x", "messages": messages})

    with pytest.raises(RecordError, match=r"^in\.jsonl:1: 'messages' must be a non-empty list"):
        list(parse_lines([line], "in.jsonl"))


def test_message_without_text_names_its_index() -> None:
    line = _line({"messages": [{"text": "fine"}, {"role": "agent"}]})

    with pytest.raises(RecordError, match=r"in\.jsonl:1: messages\[1\] needs a 'text' string"):
        list(parse_lines([line], "in.jsonl"))


def test_unknown_role_is_rejected_with_the_role_named() -> None:
    line = _line({"messages": [{"role": "bot", "text": "hi"}]})

    with pytest.raises(RecordError, match=r"messages\[0\]\.role must be 'customer' or 'agent', not 'bot'"):
        list(parse_lines([line], "in.jsonl"))


def test_bad_timestamp_is_rejected_with_the_value() -> None:
    line = _line({"messages": [{"text": "hi", "at": "yesterday"}]})

    with pytest.raises(
        RecordError, match=r"in\.jsonl:1: messages\[0\]: 'at' is not an ISO-8601 time: 'yesterday'"
    ):
        list(parse_lines([line], "in.jsonl"))


def test_non_string_timestamp_is_rejected() -> None:
    with pytest.raises(RecordError, match=r"'at' must be an ISO-8601 string"):
        parse_record({"messages": [{"text": "hi", "at": 1700000000}]}, "r")


def test_zulu_timestamp_is_parsed_as_utc() -> None:
    record = parse_record({"messages": [{"text": "hi", "at": "2025-03-01T10:00:00Z"}]}, "r")

    assert record.messages[0].at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_labels_must_be_an_object() -> None:
    with pytest.raises(RecordError, match=r"r: 'labels' must be an object"):
        parse_record({"messages": [{"text": "hi"}], "labels": ["refund"]}, "r")


def test_context_document_without_text_is_rejected() -> None:
    obj = {"messages": [{"text": "hi"}], "context": {"documents": [{"id": "d1"}]}}

    with pytest.raises(RecordError, match=r"context\.documents\[0\] needs a 'text' string"):
        parse_record(obj, "r")


def test_last_customer_turn_is_the_text_and_earlier_turns_are_history() -> None:
    obj = {
        "id": "conv",
        "messages": [
            {"role": "customer", "text": "My order is late"},
            {"role": "agent", "text": "We are checking"},
            {"role": "customer", "text": "Any news?"},
            {"role": "agent", "text": "Still checking"},
        ],
        "labels": {"intent": "track_order"},
        "context": {"documents": [{"text": "Shipping takes 3 days"}, {"id": "kb-2", "text": "Returns"}]},
        "customer": {"id": "C1", "email": "a@b.com"},
        "draft": "Your parcel ships today.",
    }

    record = parse_record(obj, "r")

    assert record.text == "Any news?"
    assert [t.text for t in record.history] == ["My order is late", "We are checking"]
    assert record.labels == {"intent": "track_order"}
    assert [(d.id, d.text) for d in record.documents] == [
        ("doc-0", "Shipping takes 3 days"),
        ("kb-2", "Returns"),
    ]
    assert record.customer_id == "C1"
    assert record.customer_email == "a@b.com"
    assert record.draft == "Your parcel ships today."


def test_record_without_id_is_named_after_where_it_came_from() -> None:
    (record,) = parse_lines([_line({"messages": [{"text": "hi"}]})], "eval.jsonl")

    assert record.id == "eval.jsonl:1"
