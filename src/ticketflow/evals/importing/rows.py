"""The rows of a CSV or JSONL export, each with the line it starts on; malformed rows raise by line.

A CSV's separator is read from its header line (``,`` ``;`` tab or ``|``: the one it has most of), so an
export saved by a spreadsheet in a comma-decimal locale reads the same. A JSONL row that is a ticket-eval
record (it has ``messages``) is read as one: its last customer turn, its ``labels.intent``, its first agent
turn after that as the reply.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ticketflow.domain.records import RecordError, parse_record
from ticketflow.errors import InputError
from ticketflow.evals.importing.lines import ExportLines

csv.field_size_limit(1 << 26)  # a long email thread in one cell is still one ticket

_SEPARATORS = (",", ";", "\t", "|")
EVAL_KEYS = ("id", "created_at", "subject", "body", "email", "intent", "reply", "channel")
"""The columns a ticket-eval row is given (already named as fields)."""


@dataclass(slots=True)
class Row:
    """One row: its values by column, and where it starts."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)


class RowError(InputError):
    """A row that cannot be read at all (ragged, not JSON); the message names the file and line."""


def export_format(path: Path, given: str | None) -> str:
    """``csv`` or ``jsonl``: as given, else from the file name (``.gz`` looked through)."""
    if given is not None:
        if given not in ("csv", "jsonl"):
            raise InputError(f"--format {given!r}: expected csv or jsonl")
        return given
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in (".csv", ".tsv", ".txt"):
        return "csv"
    if last in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise InputError(f"{path}: cannot tell CSV from JSONL by its name; pass --format csv or --format jsonl")


def csv_rows(lines: ExportLines) -> Iterator[Row | RowError]:
    """Rows keyed by the header's columns; a row with another number of fields is yielded as its
    ``RowError`` (naming the line it starts on), so the caller may skip it and go on."""
    numbered = iter(lines)
    consumed = 0

    def text_lines() -> Iterator[str]:
        nonlocal consumed
        for number, text in numbered:
            consumed = number
            yield text

    source = text_lines()
    first = next(source, None)
    if first is None:
        return
    delimiter = max(_SEPARATORS, key=first.count)

    def chained() -> Iterator[str]:
        yield first
        yield from source

    reader = csv.reader(chained(), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RowError(f"{lines.path}:1: not a CSV header ({exc})") from exc
    while True:
        start = consumed + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(f"{lines.path}:{start}: not valid CSV ({exc})")
            continue
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            yield RowError(
                f"{lines.path}:{start}: {len(record)} fields where the header has {len(header)} "
                "(an unclosed quote, or a separator inside an unquoted value?)"
            )
            continue
        yield Row(start, dict(zip(header, record, strict=True)))


def json_rows(lines: ExportLines) -> Iterator[Row | RowError]:
    """One JSON object per line, nested objects flattened to dotted keys (``source.author.email``).

    A row that is not a JSON object is yielded as its ``RowError``, so the caller may skip it and go on.
    """
    for number, text in lines:
        if not text.strip():
            continue
        where = f"{lines.path}:{number}"
        if number == 1 and text.lstrip().startswith("["):
            raise RowError(
                f"{where}: a JSON array, not JSON Lines (one object per line); convert it first, "
                "e.g. jq -c '.[]' FILE > FILE.jsonl"
            )
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield RowError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield RowError(f"{where}: each line must be a JSON object")
            continue
        if isinstance(obj.get("messages"), list):
            try:
                yield Row(number, _from_eval_record(obj, where))
            except RecordError as exc:
                yield RowError(str(exc))
            continue
        yield Row(number, flatten(obj))


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"source": {"body": …}}`` → ``{"source.body": …}``; lists stay values (tags may be one)."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat[name] = value
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _from_eval_record(obj: dict[str, Any], where: str) -> dict[str, Any]:
    record = parse_record(obj, where)
    at = record.messages[record.last_customer_index].at
    later = record.messages[record.last_customer_index + 1 :]
    reply = next((t.text for t in later if t.role == "agent"), None)
    intent = record.labels.get("intent")
    values = (
        record.id,
        at.isoformat() if at else None,
        None,
        record.text,
        record.customer_email,
        str(intent) if intent else None,
        reply,
        record.channel,
    )
    return dict(zip(EVAL_KEYS, values, strict=True))
