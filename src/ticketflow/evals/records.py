"""Ticket-eval files as the pipeline's inputs: read a JSONL file, and turn a record into a ticket."""

from __future__ import annotations

from pathlib import Path

from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.records import EvalRecord, RecordError, parse_lines
from ticketflow.errors import InputError


def read_records(path: Path) -> list[EvalRecord]:
    """A ticket-eval JSONL file; a malformed line raises ``InputError`` naming the file and line."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8") as handle:
            return list(parse_lines(handle, str(path)))
    except RecordError as exc:
        raise InputError(str(exc)) from exc


def customer_ref(record: EvalRecord) -> CustomerRef:
    """The record's customer, or a stand-in address unique to the record when it names none."""
    if record.customer_id or record.customer_email:
        return CustomerRef(email=record.customer_email, id=record.customer_id)
    return CustomerRef(email=f"{record.id}@eval.invalid")


def message_from_record(record: EvalRecord) -> InboundMessage:
    """The record's last customer message, as a channel would deliver it."""
    return InboundMessage(
        channel=record.channel,
        external_id=record.id,
        customer=customer_ref(record),
        text=record.text,
        conversation_ref=record.id,
        received_at=record.messages[record.last_customer_index].at,
    )


def ticket_from_record(record: EvalRecord) -> Ticket:
    """An evaluation record as a ticket: its last customer message, the earlier turns as history."""
    return Ticket(
        ticket_id_for(record.channel, record.id),
        conversation_id_for(record.channel, record.id),
        message_from_record(record),
        record.history,
    )
