"""The fields an export is read into, and the column names helpdesks export them under.

A column is matched after normalising its header: lower case, every run of other characters than letters and
digits becomes ``_`` (``"Ticket ID"`` → ``ticket_id``, ``source.author.email`` → ``source_author_email``).
Each field takes the first of its aliases that the export has; ``--map field=column`` names the column
instead (``--map intent=`` ignores a column that would otherwise be read as the label).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ticketflow.errors import InputError

FIELDS: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "ticket_id",
        "ticket_number",
        "conversation_id",
        "case_id",
        "case_number",
        "external_id",
        "number",
    ),
    "created_at": (
        "created_at",
        "created",
        "created_time",
        "created_date",
        "creation_date",
        "date_created",
        "opened_at",
        "submitted_at",
        "date",
        "timestamp",
    ),
    "subject": ("subject", "title", "conversation_title", "raw_subject", "source_subject", "summary"),
    "body": (
        "body",
        "description_text",
        "description",
        "message",
        "first_message",
        "initial_message",
        "source_body",
        "customer_message",
        "question",
        "text",
        "content",
        "comment",
    ),
    "email": (
        "requester_email",
        "customer_email",
        "contact_email",
        "email",
        "from_email",
        "from",
        "author_email",
        "source_author_email",
        "requester_email_address",
        "user_email",
    ),
    "name": (
        "requester_name",
        "customer_name",
        "contact_name",
        "full_name",
        "requester",
        "name",
        "source_author_name",
    ),
    "status": ("status", "state", "ticket_status"),
    "tags": ("tags", "tag_list", "tags_tags", "ticket_tags"),
    "intent": (
        "intent",
        "contact_reason",
        "reason_for_contact",
        "category",
        "ticket_category",
        "topic",
        "issue_type",
        "labels_intent",
    ),
    "reply": (
        "first_agent_reply",
        "first_reply",
        "first_response",
        "agent_reply",
        "first_response_text",
        "reply",
        "response",
        "answer",
    ),
    "channel": ("channel", "via_channel", "source_type", "ticket_channel"),
}
"""Each field and the normalised column names it is read from, most specific first."""

TEXT_FIELDS = ("subject", "body")
"""At least one of these must be found, or there is nothing to learn from."""

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_header(header: str) -> str:
    """``"Ticket ID"`` → ``ticket_id``; ``source.author.email`` → ``source_author_email``."""
    return _NOT_WORD.sub("_", header.strip().lstrip("\ufeff").lower()).strip("_")


def parse_overrides(pairs: Sequence[str]) -> dict[str, str | None]:
    """``--map field=column`` options as ``{field: column}``; an empty column means "do not read it"."""
    overrides: dict[str, str | None] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field = field.strip()
        if not sep or field not in FIELDS:
            raise InputError(f"--map {pair!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
        overrides[field] = column.strip() or None
    return overrides


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column (as the export spells it) each field is read from."""

    columns: Mapping[str, str]

    def describe(self) -> str:
        """``subject ← Subject, body ← Description, …`` for the user to check."""
        return ", ".join(f"{field} ← {column}" for field, column in self.columns.items())


def resolve(headers: Iterable[str], overrides: Mapping[str, str | None], where: str) -> ColumnMap:
    """The column of each field among ``headers``: an override first, else the first alias present.

    Raises ``InputError`` naming ``where`` when an override names a missing column, or when neither a
    subject nor a body column is found (with the headers seen, so the user can write ``--map``).
    """
    headers = list(headers)
    by_name: dict[str, str] = {}
    for header in headers:
        by_name.setdefault(normalise_header(header), header)
    exact = {h.strip(): h for h in headers}
    taken: set[str] = set()
    columns: dict[str, str] = {}
    for field, column in overrides.items():
        if column is None:
            continue
        found = exact.get(column) or by_name.get(normalise_header(column))
        if found is None:
            raise InputError(f"{where}: --map {field}={column}: no such column (columns: {_listed(headers)})")
        columns[field] = found
        taken.add(found)
    for field, aliases in FIELDS.items():
        if field in overrides:
            continue
        for alias in aliases:
            match = by_name.get(alias)
            if match is not None and match not in taken:
                columns[field] = match
                taken.add(match)
                break
    if not any(f in columns for f in TEXT_FIELDS):
        raise InputError(
            f"{where}: no subject or body column (columns: {_listed(headers)}); "
            "name one with --map body=COLUMN"
        )
    return ColumnMap({f: columns[f] for f in FIELDS if f in columns})


def _listed(headers: Sequence[str]) -> str:
    shown = ", ".join(repr(h) for h in headers[:30])
    return shown + (f", … ({len(headers)} in all)" if len(headers) > 30 else "") if headers else "none"
