"""``StoreContract``: what every implementation of the store's ports does, inherited by each one's tests.

A subclass supplies a ``store`` fixture: an empty store with one attribute per port, ``tickets``
(``TicketStore``), ``conversations`` (``HistorySource``), ``outbox``, ``reviews``, ``ledger`` and ``audit``,
as ``storage.SqlStore`` and ``testing.MemoryStore`` have. The contract holds each to what the pipeline and
the runtime rely on: a repeated write (a resent message, a replayed delivery or record step) writes nothing,
history comes back in order, and a ticket reads back as it was recorded.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.context import ContextPack
from ticketflow.domain.customer import CustomerFetch
from ticketflow.domain.decision import Decision, Route, Trigger
from ticketflow.domain.draft import Draft, Usage
from ticketflow.domain.ids import TicketId, conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn
from ticketflow.domain.outcome import Delivery, Handoff, Outcome
from ticketflow.domain.result import TicketResult
from ticketflow.domain.views import TicketStatus
from ticketflow.errors import InputError

ARRIVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
RANDOM_ID = r"[tc]_[A-Za-z0-9_-]{22}"
"""``t_``/``c_`` + 16 random bytes, URL-safe base64."""
API_KEYS = {
    "id", "status", "channel", "external_id", "conversation_id", "received_at", "decision", "draft", "checks",
    "outcome", "outcome_reason", "reply", "handoff", "stage_latency_ms", "ledger", "fetches", "audit",
    "deliveries",
}  # fmt: skip
"""The keys of ``GET /v1/tickets/{id}``: clients read them, so they never change by accident."""


def message(
    external_id: str, text: str = "Where is my order?", *, thread: str | None = "thread-1"
) -> InboundMessage:
    return InboundMessage(
        "chat", external_id, CustomerRef(email="ana@example.com", id="C1"), text, "Order", thread, ARRIVED
    )


def result_for(ticket: Ticket, *, charged: float = 0.002, projected: float = 0.5) -> TicketResult:
    """A drafted, sent ticket: one charged model call, one projected, a judge call and a customer lookup."""
    generation = Usage("claude-sonnet-5-5", 450, 170, charged, latency_ms=812.5, request_id="req_1")
    offline = Usage("claude-opus-4-1", 450, 170, projected, projected=True, attempt=2)
    judged = Usage("claude-haiku-5-5", 90, 12, 0.0001, purpose="judge")
    fetch = CustomerFetch("files", 1.25, True, stale=("balance",))
    context = ContextPack(None, (), (), (), rendered="KNOWLEDGE: ...", tokens=3, customer_fetch=fetch)
    decision = Decision(
        Route.AUTO, "track_order", 0.82, reasons=("auto",), triggers=(Trigger("t", "r", "e"),), tone=0.1
    )
    checks = (
        CheckResult("length", Verdict.PASS),
        CheckResult("judge", Verdict.WARN, ("a bit stiff",), usage=(judged,)),
    )
    return TicketResult(
        ticket=ticket,
        decision=decision,
        delivery=Delivery(Outcome.SENT, body="It ships Monday."),
        context=context,
        draft=Draft("It ships Monday.", usage=(generation, offline)),
        checks=checks,
        timings_ms=(("intake", 0.5), ("routing", 1.5)),
        validation_calls=(judged,),
    )


class StoreContract:
    """Inherit and define a ``store`` fixture (an empty store, as described in the module docstring)."""

    def test_a_resent_message_is_the_same_ticket_and_accepted_once(self, store: Any) -> None:
        first = store.tickets.accept(message("m-1"))
        again = store.tickets.accept(message("m-1", "the same message, resent"))

        assert first.created and not again.created
        assert (again.ticket_id, again.conversation_id) == (first.ticket_id, first.conversation_id)
        assert first.workflow_id == "msg:chat:m-1"
        assert [t.ticket_id for t in store.tickets.unfinished()] == [first.ticket_id]
        assert [e.event for e in store.audit.trail(first.ticket_id)] == ["accepted"]

    def test_a_ticket_loads_as_it_was_accepted(self, store: Any) -> None:
        accepted = store.tickets.accept(message("m-2", thread=None))

        ticket = store.tickets.load_ticket(accepted.ticket_id)

        assert (ticket.id, ticket.conversation_id) == (accepted.ticket_id, accepted.conversation_id)
        assert ticket.message.text == "Where is my order?" and ticket.message.subject == "Order"
        assert ticket.message.customer == CustomerRef(email="ana@example.com", id="C1")
        assert ticket.message.conversation_ref == "ticket:m-2", "a message without a thread is its own"
        assert ticket.message.received_at == ARRIVED
        with pytest.raises(KeyError):
            store.tickets.load_ticket(TicketId("t_nope"))

    def test_a_finished_ticket_stays_finished(self, store: Any) -> None:
        accepted = store.tickets.accept(message("m-3"))
        store.tickets.mark(accepted.ticket_id, TicketStatus.PROCESSING)
        assert store.tickets.view(accepted.ticket_id).status is TicketStatus.PROCESSING

        store.tickets.finish(result_for(store.tickets.load_ticket(accepted.ticket_id)))
        store.tickets.mark(accepted.ticket_id, TicketStatus.PROCESSING)  # a late, replayed start step

        assert store.tickets.view(accepted.ticket_id).status is TicketStatus.DONE
        assert store.tickets.unfinished() == []

    def test_a_reply_is_sent_once_and_joins_the_conversation(self, store: Any) -> None:
        first = store.tickets.accept(message("m-4", "Where is my lamp?"))

        assert store.outbox.send(first.ticket_id, first.conversation_id, "chat", "It ships Monday.") is True
        assert store.outbox.send(first.ticket_id, first.conversation_id, "chat", "It ships Monday!") is False

        assert store.tickets.view(first.ticket_id).reply == "It ships Monday."
        assert [e.event for e in store.audit.trail(first.ticket_id)] == ["accepted", "sent"]
        second = store.tickets.accept(message("m-5", "Any news?"))
        turns = store.conversations.history(second.conversation_id, second.ticket_id, 8)
        assert [(t.role, t.text) for t in turns] == [
            ("customer", "Where is my lamp?"),
            ("agent", "It ships Monday."),
        ]

    def test_a_handoff_is_queued_once(self, store: Any) -> None:
        accepted = store.tickets.accept(message("m-6", "I want a refund"))
        handoff = Handoff("refund (0.93) via chat", "refund", tried=("intent: refund",), suggested_reply=None)

        assert store.reviews.queue_review(accepted.ticket_id, "refund", handoff) is True
        assert store.reviews.queue_review(accepted.ticket_id, "other", Handoff("again", "other")) is False

        view = store.tickets.view(accepted.ticket_id)
        assert view.handoff == handoff and view.reply is None
        assert [e.event for e in view.audit] == ["accepted", "handed_off"]
        assert view.audit[-1].detail == {"reason": "refund"}

    def test_recording_a_result_twice_writes_its_ledger_and_decision_once(self, store: Any) -> None:
        accepted = store.tickets.accept(message("m-7"))
        result = result_for(store.tickets.load_ticket(accepted.ticket_id))

        assert store.tickets.finish(result) is True
        assert store.tickets.finish(result) is False  # a replayed record step

        lines = store.ledger.lines(accepted.ticket_id)
        assert [(x.seq, x.model, x.purpose, x.projected) for x in lines] == [
            (1, "claude-sonnet-5-5", "generation", False),
            (2, "claude-opus-4-1", "generation", True),
            (3, "claude-haiku-5-5", "judge", False),
        ]
        assert (lines[0].input_tokens, lines[0].output_tokens, lines[0].request_id) == (450, 170, "req_1")
        assert lines[0].latency_ms == 812.5 and lines[1].attempt == 2
        [fetch] = store.ledger.fetches(accepted.ticket_id)
        assert (fetch.source, fetch.latency_ms, fetch.found, fetch.stale, fetch.error) == (
            "files", 1.25, True, ("balance",), None
        )  # fmt: skip
        trail = store.audit.trail(accepted.ticket_id)
        assert [e.event for e in trail].count("decided") == 1
        decided = next(e for e in trail if e.event == "decided")
        assert decided.detail["route"] == "auto" and decided.detail["model_calls"] == 3
        assert decided.detail["checks"] == {"length": "pass", "judge": "warn"}

    def test_a_finished_ticket_reads_back_as_recorded(self, store: Any) -> None:
        accepted = store.tickets.accept(message("m-8"))
        result = result_for(store.tickets.load_ticket(accepted.ticket_id))
        store.tickets.finish(result)

        view = store.tickets.view(accepted.ticket_id)

        assert view.decision == result.decision
        assert [(c.name, c.verdict, c.evidence) for c in view.checks] == [
            ("length", Verdict.PASS, ()),
            ("judge", Verdict.WARN, ("a bit stiff",)),
        ]
        assert (view.draft, view.outcome, view.outcome_reason) == ("It ships Monday.", "sent", None)
        assert dict(view.stage_latency_ms) == {"intake": 0.5, "routing": 1.5}
        assert view.received_at == ARRIVED and view.workflow_id == "msg:chat:m-8"
        assert all(line.at.tzinfo is not None for line in (*view.ledger, *view.fetches, *view.audit))
        body = view.to_json()
        assert set(body) == API_KEYS
        assert body["status"] == "done" and body["received_at"] == "2026-11-20T09:00:00+00:00"
        assert body["decision"]["route"] == "auto" and body["decision"]["triggers"][0]["id"] == "t"
        assert body["checks"][1] == {"name": "judge", "verdict": "warn", "evidence": ["a bit stiff"]}
        assert body["ledger"][0]["model"] == "claude-sonnet-5-5" and body["fetches"][0]["stale"] == [
            "balance"
        ]

    def test_an_unknown_ticket_has_no_view(self, store: Any) -> None:
        assert store.tickets.view(TicketId("t_nope")) is None

    def test_spent_today_counts_charged_calls_not_projections(self, store: Any) -> None:
        for n, charged in enumerate((0.002, 0.003)):
            accepted = store.tickets.accept(message(f"m-spend-{n}"))
            store.tickets.finish(result_for(store.tickets.load_ticket(accepted.ticket_id), charged=charged))

        assert store.ledger.spent_today() == pytest.approx(0.002 + 0.003 + 2 * 0.0001)

    def test_history_holds_what_came_before_and_every_reply(self, store: Any) -> None:
        first = store.tickets.accept(message("m-9", "Where is my lamp?"))
        second = store.tickets.accept(message("m-10", "Hello? Anyone?"))
        store.outbox.send(first.ticket_id, first.conversation_id, "chat", "It ships Monday.")

        before_first = store.conversations.history(first.conversation_id, first.ticket_id, 8)
        before_second = store.conversations.history(second.conversation_id, second.ticket_id, 8)

        assert [t.text for t in before_first] == ["It ships Monday."], "a later reply, never a later question"
        assert [t.text for t in before_second] == ["Where is my lamp?", "It ships Monday."]
        assert all(t.at is not None and t.at.tzinfo is not None for t in before_second)
        assert store.conversations.history(second.conversation_id, second.ticket_id, 1)[0].text == (
            "It ships Monday."
        ), "the limit keeps the latest turns"

    def test_the_audit_trail_is_kept_in_order(self, store: Any) -> None:
        accepted = store.tickets.accept(message("m-11"))
        store.audit.append(accepted.ticket_id, "reviewed", {"by": "kim"})
        store.audit.append(accepted.ticket_id, "reopened", {})

        trail = store.audit.trail(accepted.ticket_id)

        assert [(e.event, e.detail) for e in trail][1:] == [("reviewed", {"by": "kim"}), ("reopened", {})]
        assert store.audit.trail(TicketId("t_other")) == ()

    def test_ids_are_random_not_derived_from_what_the_channel_sent(self, store: Any) -> None:
        first = store.tickets.accept(message("m-12", thread="thread-12"))
        other = store.tickets.accept(message("m-13", thread="thread-13"))

        assert re.fullmatch(RANDOM_ID, first.ticket_id) and re.fullmatch(RANDOM_ID, first.conversation_id)
        assert first.ticket_id.startswith("t_") and first.conversation_id.startswith("c_")
        assert first.ticket_id != ticket_id_for("chat", "m-12"), "anyone could compute that one"
        assert first.conversation_id != conversation_id_for("chat", "thread-12")
        assert len({first.ticket_id, other.ticket_id}) == 2
        assert first.conversation_id != other.conversation_id
        assert first.workflow_id == "msg:chat:m-12", "the runtime's idempotency key stays derived"

    def test_the_same_message_id_on_another_channel_is_another_ticket(self, store: Any) -> None:
        chat = store.tickets.accept(message("m-14"))
        api = store.tickets.accept(dataclasses.replace(message("m-14"), channel="api"))

        assert api.created and api.ticket_id != chat.ticket_id
        assert api.conversation_id != chat.conversation_id, "threads are keyed by channel too"

    def test_seeded_history_is_found_by_the_channels_thread(self, store: Any) -> None:
        seeded = store.conversations.import_history(
            (Turn("customer", "Where is my lamp?", ARRIVED),), channel="chat", external_ref="thread-15"
        )
        accepted = store.tickets.accept(message("m-15", "Any news?", thread="thread-15"))

        assert accepted.conversation_id == seeded
        turns = store.conversations.history(accepted.conversation_id, accepted.ticket_id, 8)
        assert [t.text for t in turns] == ["Where is my lamp?"]

    def test_a_card_number_is_kept_with_its_last_four_digits_only(self, store: Any) -> None:
        store.conversations.import_history(
            (Turn("customer", "Charged twice on 5555-5555-5555-4444.", ARRIVED),),
            channel="chat",
            external_ref="t-30",
        )
        text = "My card 4111 1111 1111 1111 was charged; order 1234567890123."
        written = dataclasses.replace(message("m-30", text, thread="t-30"), subject="Card 4111111111111111")
        accepted = store.tickets.accept(written)

        ticket = store.tickets.load_ticket(accepted.ticket_id)
        assert ticket.message.text == "My card •••• •••• •••• 1111 was charged; order 1234567890123."
        assert ticket.message.subject == "Card ••••••••••••1111"
        turns = store.conversations.history(accepted.conversation_id, accepted.ticket_id, 8)
        assert [t.text for t in turns] == ["Charged twice on ••••-••••-••••-4444."]

    @pytest.mark.parametrize(
        ("where", "change"),
        [
            ("external_id", {"external_id": "m-16\x00"}),
            ("conversation_ref", {"conversation_ref": "ok\x00"}),
            ("customer.email", {"customer": CustomerRef(email="ana\x00@example.com")}),
            ("customer.id", {"customer": CustomerRef(id="C\ud800")}),
            ("subject", {"subject": "Order\x00"}),
            ("text", {"text": "Where\x00 is my order?"}),
            ("external_id", {"external_id": "x" * 256}),
            ("conversation_ref", {"conversation_ref": "x" * 513}),
        ],
    )
    def test_text_no_database_can_hold_is_refused_naming_the_field(
        self, store: Any, where: str, change: dict[str, Any]
    ) -> None:
        with pytest.raises(InputError, match=re.escape(where)) as refused:
            store.tickets.accept(dataclasses.replace(message("m-16"), **change))

        assert [e["where"] for e in refused.value.errors] == [where]
        assert store.tickets.unfinished() == [], "nothing of it was stored"

    def test_the_longest_message_id_opens_its_own_conversation(self, store: Any) -> None:
        longest = "a" * 255  # the conversation is then named ticket:{external_id}, 262 characters

        accepted = store.tickets.accept(message(longest, thread=None))

        assert store.tickets.load_ticket(accepted.ticket_id).message.conversation_ref == f"ticket:{longest}"

    @pytest.mark.parametrize("hostile", ["t_ok\x00", "t_\ud800", "t_" + "0" * 63])
    def test_an_id_that_cannot_name_a_ticket_names_none(self, store: Any, hostile: str) -> None:
        assert store.tickets.view(TicketId(hostile)) is None
        with pytest.raises(KeyError):
            store.tickets.load_ticket(TicketId(hostile))
