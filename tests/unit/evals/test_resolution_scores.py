"""``ticketflow eval`` reports verified resolution beside automation when records say what came next."""

from __future__ import annotations

from typing import Any

from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket, Turn
from ticketflow.domain.outcome import Delivery, Outcome
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.evals.resolution import resolution_scores
from ticketflow.evals.runner import score


def _pair(
    rid: str, labels: dict[str, Any], outcome: Outcome = Outcome.SENT
) -> tuple[EvalRecord, TicketResult]:
    record = EvalRecord(rid, "api", (Turn("customer", "where is my parcel"),), labels)
    message = InboundMessage("api", rid, CustomerRef(email="a@example.com"), "where is my parcel")
    ticket = Ticket(ticket_id_for("api", rid), conversation_id_for("api", rid), message)
    return record, TicketResult(ticket, Decision(Route.AUTO, None, 0.0), Delivery(outcome))


def test_without_the_labels_there_is_no_verified_resolution() -> None:
    assert resolution_scores([_pair("a", {"intent": "track_order"})]) is None


def test_follow_ups_and_resolved_labels_are_judged_once_the_window_closes() -> None:
    pairs = [
        _pair("quiet", {"follow_up": None}),  # sent, never came back: resolved
        _pair("thanks", {"follow_up": "thanks, that worked"}),  # confirmed: resolved
        _pair("asks", {"follow_up": "it has still not arrived"}),  # reopened
        _pair("late", {"follow_up": "another question", "follow_up_after_hours": 100}),  # outside: resolved
        _pair("labelled-no", {"resolved": False, "follow_up": "thanks!"}),  # the label decides: reopened
        _pair("escalated", {"resolved": True}, Outcome.ESCALATED),  # not sent: not an automated resolution
    ]
    verified = resolution_scores(pairs)
    assert verified is not None
    assert (verified["labelled"], verified["sent"], verified["resolved"], verified["reopened"]) == (
        6,
        5,
        3,
        2,
    )
    assert verified["automation_rate"] == 5 / 6 and verified["verified_resolution_rate"] == 3 / 6
    assert (
        verified["follow_up_agreement"] == 0.0
    )  # the one record with both labels: "thanks!" judged resolved


def test_the_eval_report_carries_it() -> None:
    records, results = zip(*[_pair("x", {"resolved": True}), _pair("y", {"resolved": False})], strict=True)
    report = score(records, results)
    assert report["verified_resolution"]["resolved"] == 1 and report["verified_resolution"]["sent"] == 2
