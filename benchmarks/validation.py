"""The deterministic checks together, per draft, on the validation set (good and bad drafts)."""

from __future__ import annotations

from pathlib import Path

from ticketflow.domain.context import ContextPack, Passage
from ticketflow.domain.draft import Draft
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.wiring.engine import Engine

VALIDATION_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "validation_set.jsonl"


def validation_inputs(engine: Engine) -> list[tuple[object, ...]]:
    """(ticket, decision, context, draft) per draft of the validation set, prepared outside the timing."""
    inputs: list[tuple[object, ...]] = []
    for record in read_records(VALIDATION_SET):
        ticket = ticket_from_record(record)
        decision = engine.pipeline.router.run(ticket)
        customer = engine.workspace.customers.lookup(ticket.message.customer) if record.customer_id else None
        passages = tuple(Passage(d.id, d.id, d.text, 1.0) for d in record.documents)
        context = ContextPack(customer, (), passages, (), rendered="", tokens=0)
        action = "escalate" if record.draft_action == "escalate" else "reply"
        inputs.append((ticket, decision, context, Draft(record.draft or "", action=action)))
    return inputs
