"""Reading exports: errors by file, line and column, encodings, streaming formats, duplicates."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ticketflow.errors import InputError
from ticketflow.evals.importing.export import ExportRead, read_exports

HEADER = "Ticket ID,Subject,Description,Requester email,Created at\r\n"


def _read(*paths: Path, **options: object) -> tuple[list[object], ExportRead]:
    read = ExportRead()
    tickets = list(read_exports(paths, {}, read=read, **options))  # type: ignore[arg-type]
    return tickets, read


def test_a_ragged_row_names_the_file_and_the_line_it_starts_on(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    # the first record spans lines 2-3 (a quoted line break), so the bad one starts on line 4
    path.write_text(HEADER + '1,Hi,"two\nlines",a@x.com,2026-01-01\r\n2,Hi,no,comma,here,at,all\r\n')
    with pytest.raises(InputError, match=rf"{path}:4: 7 fields where the header has 5"):
        _read(path)


def test_a_bad_value_names_its_column_and_skip_bad_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "1,Hi,first,a@x.com,yesterday\r\n2,Hi,second,b@x.com,2026-01-02 10:00\r\n")
    with pytest.raises(InputError, match=rf"{path}:2: column 'Created at': not a time: 'yesterday'"):
        _read(path)
    tickets, read = _read(path, skip_bad=True)
    assert [t.id for t in tickets] == ["2"]  # type: ignore[attr-defined]
    assert len(read.bad) == 1 and ":2:" in read.bad[0]


def test_repeated_ids_across_files_and_repeated_texts_are_skipped_and_counted(tmp_path: Path) -> None:
    first, second = tmp_path / "jan.csv", tmp_path / "feb.csv"
    first.write_text(HEADER + "1,,Where is my parcel,a@x.com,\r\n2,,Refund please,b@x.com,\r\n")
    second.write_text(
        HEADER + "2,,Refund please,b@x.com,\r\n3,,  where IS my   parcel ,c@x.com,\r\n4,,,,\r\n"
    )
    tickets, read = _read(first, second)
    assert [t.id for t in tickets] == ["1", "2"]  # type: ignore[attr-defined]
    assert (read.duplicate_ids, read.repeated_texts, read.empty, read.kept) == (1, 1, 1, 2)


def test_bom_semicolons_utf16_gzip_and_windows_1252_lines_all_read(tmp_path: Path) -> None:
    rows = "Ticket ID;Description\r\n1;Le colis n’est pas arrivé\r\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + rows.encode())
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text(rows, encoding="utf-16")
    zipped = tmp_path / "zipped.csv.gz"
    zipped.write_bytes(gzip.compress(rows.encode()))
    for path in (bom, utf16, zipped):
        tickets, _ = _read(path)
        assert [(t.id, t.text) for t in tickets] == [("1", "Le colis n’est pas arrivé")]  # type: ignore[attr-defined]
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"id,body\n1,caf\xe9 closed\n2,fine\n")
    tickets, read = _read(mixed)
    assert tickets[0].text == "café closed"  # type: ignore[attr-defined]
    assert read.files[0].fallback_lines == 1


def test_a_named_encoding_is_strict_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,body\n1,fine\n2,caf\xe9\n")
    with pytest.raises(InputError, match=rf"{path}:3: not utf-8"):
        _read(path, encoding="utf-8")


def test_jsonl_rows_flatten_nested_objects_and_bad_lines_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "conversations.jsonl"
    row = {
        "id": "c1",
        "created_at": 1767225600,
        "source": {
            "body": "<p>My card was charged twice.</p><p>Please help</p>",
            "author": {"email": "a@x.com"},
        },
        "tags": {"tags": [{"name": "Billing"}]},
    }
    path.write_text(json.dumps(row) + "\n\n[1, 2]\n")
    with pytest.raises(InputError, match=rf"{path}:3: each line must be a JSON object"):
        _read(path)
    tickets, _ = _read(path, skip_bad=True)
    ticket = tickets[0]
    assert ticket.text == "My card was charged twice.\nPlease help"  # type: ignore[attr-defined]
    assert ticket.email == "a@x.com" and ticket.tags == ("billing",)  # type: ignore[attr-defined]
    assert ticket.created_at.year == 2026  # type: ignore[attr-defined]


def test_a_json_array_file_is_refused_with_how_to_convert_it(tmp_path: Path) -> None:
    path = tmp_path / "tickets.json"
    path.write_text('[{"id": 1, "description": "hi"}]\n')
    with pytest.raises(InputError, match="a JSON array, not JSON Lines"):
        _read(path)


def test_quoted_earlier_mail_is_cut_and_the_subject_goes_first(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    body = (
        "The zip is broken on my jacket.\n\nOn Mon, 2 Mar 2026, Support <s@shop.example> wrote:\n> Thanks for"
    )
    path.write_text("id,subject,description\r\n" + f'9,Broken zip,"{body}"\r\n')
    tickets, _ = _read(path)
    assert tickets[0].text == "Broken zip\nThe zip is broken on my jacket."  # type: ignore[attr-defined]


def test_ticket_eval_records_keep_their_labels_and_first_agent_reply(tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    record = {
        "id": "r1",
        "messages": [{"role": "customer", "text": "cancel my order"}, {"role": "agent", "text": "Done."}],
        "labels": {"intent": "cancel_order"},
    }
    path.write_text(json.dumps(record) + "\n")
    tickets, _ = _read(path)
    assert (tickets[0].intent, tickets[0].reply) == ("cancel_order", "Done.")  # type: ignore[attr-defined]
