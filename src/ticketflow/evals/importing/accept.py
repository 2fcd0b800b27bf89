"""Accepted tickets written into the workspace's ``examples.jsonl``, PII masked, in the ticket-eval format.

Each example is ``{"id", "source": "import", "channel", "messages", "labels": {"intent"}}``: the customer's
message (with the time it was written) and, when the export had one, the first agent reply after it. Email
addresses, phone numbers, card and account numbers, street addresses and names (the requester's own name and
address always, other names with the ``ner`` extra) become placeholders such as ``<EMAIL_ADDRESS_1>``: the
workspace is versioned and shared, the export is not. No ``customer`` is written. Tickets already in the
file (by id, or by the same words) are left as they are, so accepting twice writes nothing twice.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ticketflow.domain.records import RecordError, parse_lines
from ticketflow.errors import InputError
from ticketflow.evals.importing.export import ExportRead, PastTicket, read_exports, text_key
from ticketflow.evals.importing.proposal import Labelling, Proposal
from ticketflow.evals.importing.propose import Mask

SOURCE = "import"


@dataclass(slots=True)
class Accepted:
    """What accepting wrote, and what it found on the way."""

    written: Counter[str] = field(default_factory=Counter)
    """Examples written per intent."""
    already: int = 0
    """Accepted tickets that examples.jsonl already had (by id or by text)."""
    changed: list[str] = field(default_factory=list)
    """Exports whose bytes differ from when the proposal was made (members are still found by id)."""


def example(ticket: PastTicket, intent: str, mask: Mask, prefix: str) -> dict[str, Any]:
    """One ticket as a ticket-eval record labelled ``intent``, its texts masked."""
    known = tuple(v for v in (ticket.email, ticket.name) if v)
    customer: dict[str, Any] = {"role": "customer", "text": mask(ticket.text, known)}
    if ticket.created_at is not None:
        customer["at"] = ticket.created_at.isoformat()
    messages = [customer]
    if ticket.reply:
        messages.append({"role": "agent", "text": mask(ticket.reply, known)})
    return {
        "id": f"{prefix}{ticket.id}",
        "source": SOURCE,
        "channel": ticket.channel,
        "messages": messages,
        "labels": {"intent": intent},
    }


def accept(
    proposal: Proposal,
    labelling: Labelling,
    examples_path: Path,
    *,
    mask: Mask,
    prefix: str = "import-",
) -> Accepted:
    """Read the proposal's exports again, and append each accepted ticket to ``examples_path``.

    Raises ``InputError`` when an accepted ticket is no longer in the exports (nothing is written then).
    """
    done = Accepted()
    have_ids, have_texts = _existing(examples_path)
    wanted: Mapping[str, str] = labelling.intents
    read = ExportRead()
    paths = [Path(f.path) for f in proposal.files]
    found: set[str] = set()
    lines: list[str] = []
    encoding, fmt = proposal.encoding, proposal.format
    tickets = read_exports(paths, proposal.overrides, read=read, encoding=encoding, format=fmt, skip_bad=True)
    for ticket in tickets:
        intent = wanted.get(ticket.id)
        if intent is None:
            continue
        found.add(ticket.id)
        record = example(ticket, intent, mask, prefix)
        key = text_key(record["messages"][0]["text"])
        if record["id"] in have_ids or key in have_texts:
            done.already += 1
            continue
        have_ids.add(record["id"])
        have_texts.add(key)
        lines.append(json.dumps(record, ensure_ascii=False))
        done.written[intent] += 1
    missing = [m for m in wanted if m not in found]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5])
        raise InputError(
            f"{len(missing)} accepted tickets are not in the exports any more ({shown}…): were "
            f"{', '.join(str(p) for p in paths)} moved or changed? Nothing was written"
        )
    done.changed = [f.path for f, r in zip(proposal.files, read.files, strict=True) if f.sha256 != r.sha256]
    _append(examples_path, lines)
    return done


def _existing(path: Path) -> tuple[set[str], set[bytes]]:
    """The ids and texts examples.jsonl already has; a malformed line raises naming file and line."""
    if not path.exists():
        return set(), set()
    try:
        with path.open(encoding="utf-8") as handle:
            records = list(parse_lines(handle, str(path)))
    except RecordError as exc:
        raise InputError(f"{exc}; fix it before importing more examples") from exc
    return {r.id for r in records}, {text_key(r.text) for r in records}


def _append(path: Path, lines: list[str]) -> None:
    """Append whole lines, replacing the file in one step, so a crash never leaves half a record."""
    if not lines:
        return
    before = path.read_bytes() if path.exists() else b""
    if before and not before.endswith(b"\n"):
        before += b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".examples-", suffix=".jsonl")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(before + ("\n".join(lines) + "\n").encode("utf-8"))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
