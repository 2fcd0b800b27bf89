"""Past tickets read from helpdesk exports: mapped, cleaned, checked, and each kept once.

::

    read = ExportRead()
    tickets = list(read_exports([Path("tickets.csv")], {}, read=read))
    read.files[0].columns.describe()       # "id ← Ticket ID, subject ← Subject, body ← Description, …"
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ticketflow.evals.importing import fields
from ticketflow.evals.importing.lines import ExportLines
from ticketflow.evals.importing.rows import Row, RowError, csv_rows, export_format, json_rows
from ticketflow.evals.importing.values import (
    ValueProblem,
    as_text,
    clean_message,
    compose,
    parse_tags,
    parse_time,
)

DEFAULT_CHANNEL = "email"


@dataclass(frozen=True, slots=True)
class PastTicket:
    """One past ticket: the customer's words as routing would read them, and what the export says about it."""

    id: str
    text: str
    where: str
    """``file:line`` it was read from."""
    created_at: datetime | None = None
    email: str | None = None
    name: str | None = None
    status: str | None = None
    tags: tuple[str, ...] = ()
    intent: str | None = None
    reply: str | None = None
    channel: str = DEFAULT_CHANNEL


@dataclass(slots=True)
class FileRead:
    """What was read from one file: its format, the columns used, its digest, and lines not in UTF-8."""

    path: Path
    format: str
    columns: fields.ColumnMap | None = None
    rows: int = 0
    sha256: str = ""
    fallback_lines: int = 0


@dataclass(slots=True)
class ExportRead:
    """Counts over every file read: the user is told what was kept, skipped and why."""

    files: list[FileRead] = field(default_factory=list)
    kept: int = 0
    duplicate_ids: int = 0
    repeated_texts: int = 0
    empty: int = 0
    bad: list[str] = field(default_factory=list)
    """With ``skip_bad``: the error of each row skipped."""


def text_key(text: str) -> bytes:
    """Two texts that differ only in case and spacing are the same message."""
    return hashlib.blake2b(" ".join(text.casefold().split()).encode(), digest_size=12).digest()


def read_exports(
    paths: Iterable[Path],
    overrides: Mapping[str, str | None],
    *,
    read: ExportRead,
    encoding: str = "auto",
    format: str | None = None,
    skip_bad: bool = False,
) -> Iterator[PastTicket]:
    """Stream the tickets of every file, in order; a repeated id or text is counted in ``read`` and skipped.

    A row that cannot be used raises ``InputError`` naming the file, the line and, for a bad value, the
    column; with ``skip_bad`` its message goes to ``read.bad`` instead and reading goes on.
    """
    seen_ids: set[str] = set()
    seen_texts: set[bytes] = set()
    for path in paths:
        lines = ExportLines(path, encoding)
        done = FileRead(path, export_format(path, format))
        read.files.append(done)
        rows = csv_rows(lines) if done.format == "csv" else json_rows(lines)
        for row in rows:
            try:
                if isinstance(row, RowError):
                    raise row
                if done.columns is None:
                    done.columns = fields.resolve(row.values, overrides, str(path))
                ticket = to_ticket(row, done.columns, path)
            except RowError as exc:
                if not skip_bad:
                    raise
                read.bad.append(str(exc))
                continue
            done.rows += 1
            if ticket is None:
                read.empty += 1
            elif ticket.id in seen_ids:
                read.duplicate_ids += 1
            elif (key := text_key(ticket.text)) in seen_texts:
                read.repeated_texts += 1
            else:
                seen_ids.add(ticket.id)
                seen_texts.add(key)
                read.kept += 1
                yield ticket
        done.sha256, done.fallback_lines = lines.sha256, lines.fallback_lines


def to_ticket(row: Row, columns: fields.ColumnMap, path: Path) -> PastTicket | None:
    """The row as a ticket, or None when it has no words of the customer's (a call log, an empty form)."""
    where = f"{path}:{row.line}"

    def value(name: str) -> Any:
        column = columns.columns.get(name)
        return row.values.get(column) if column is not None else None

    def read(name: str, parse: Any) -> Any:
        try:
            return parse(value(name))
        except ValueProblem as exc:
            raise RowError(f"{where}: column {columns.columns[name]!r}: {exc}") from exc

    body = clean_message(as_text(value("body")))
    text = compose(as_text(value("subject")), body)
    if not text:
        return None
    given_id = as_text(value("id"))
    reply = clean_message(as_text(value("reply"))) or None
    channel = (as_text(value("channel")) or DEFAULT_CHANNEL).lower()
    return PastTicket(
        id=given_id or "t" + text_key(text).hex()[:16],
        text=text,
        where=where,
        created_at=read("created_at", parse_time),
        email=as_text(value("email")),
        name=as_text(value("name")),
        status=(as_text(value("status")) or "").lower() or None,
        tags=read("tags", parse_tags),
        intent=as_text(value("intent")),
        reply=reply,
        channel=channel,
    )


def describe(read: ExportRead) -> list[str]:
    """What reading did, one line per fact, for the terminal and the proposal's header."""
    said = []
    for done in read.files:
        columns = done.columns.describe() if done.columns else "no rows"
        said.append(f"{done.path}: {done.rows} rows as {done.format}; {columns}")
        if done.fallback_lines:
            said.append(f"{done.path}: {done.fallback_lines} lines not in UTF-8 were read as Windows-1252")
    said.append(
        f"kept {read.kept}; skipped {read.duplicate_ids} repeated ids, {read.repeated_texts} repeated texts, "
        f"{read.empty} without a message, {len(read.bad)} bad rows"
    )
    return said
