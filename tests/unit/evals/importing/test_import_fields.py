"""Which column each field is read from: helpdesk names, ``--map`` overrides, and the errors that say why."""

from __future__ import annotations

import pytest

from ticketflow.errors import InputError
from ticketflow.evals.importing.fields import normalise_header, parse_overrides, resolve

FRESHDESK = [
    "Ticket ID",
    "Subject",
    "Description",
    "Status",
    "Requester Email",
    "Created time",
    "Tags",
    "Type",
]
INTERCOM = ["id", "created_at", "state", "source.subject", "source.body", "source.author.email", "tags.tags"]


def test_headers_are_compared_without_case_spaces_or_dots() -> None:
    assert normalise_header("\ufeffTicket ID ") == "ticket_id"
    assert normalise_header("source.author.email") == "source_author_email"


def test_freshdesk_style_headers_map_to_the_fields() -> None:
    columns = resolve(FRESHDESK, {}, "x.csv").columns
    assert columns["id"] == "Ticket ID"
    assert columns["body"] == "Description"
    assert columns["email"] == "Requester Email"
    assert columns["created_at"] == "Created time"
    assert "intent" not in columns  # Freshdesk's Type is question/incident, never taken for an intent


def test_intercom_style_nested_keys_map_to_the_fields() -> None:
    columns = resolve(INTERCOM, {}, "x.jsonl").columns
    assert columns["body"] == "source.body"
    assert columns["subject"] == "source.subject"
    assert columns["email"] == "source.author.email"
    assert columns["status"] == "state"


def test_an_override_wins_and_an_empty_one_ignores_the_column() -> None:
    headers = ["id", "text", "Notes", "category"]
    assert resolve(headers, {}, "x.csv").columns["intent"] == "category"
    columns = resolve(headers, parse_overrides(["body=notes", "intent="]), "x.csv").columns
    assert columns["body"] == "Notes"
    assert "intent" not in columns


def test_no_text_column_names_the_file_and_the_columns_seen() -> None:
    with pytest.raises(InputError, match=r"x\.csv: no subject or body column \(columns: 'Id', 'When'\)"):
        resolve(["Id", "When"], {}, "x.csv")


def test_an_override_of_a_missing_column_or_unknown_field_is_refused() -> None:
    with pytest.raises(InputError, match="--map body=Message: no such column"):
        resolve(["id", "subject"], {"body": "Message"}, "x.csv")
    with pytest.raises(InputError, match="FIELD one of id, created_at"):
        parse_overrides(["text=Message"])
