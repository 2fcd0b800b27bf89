"""Tests for ticketflow.evals.retrieval: recall@3 and MRR against labelled or intent-named articles."""

from __future__ import annotations

from ticketflow.domain.context import Passage
from ticketflow.domain.decision import Decision, Route
from ticketflow.domain.ids import conversation_id_for, ticket_id_for
from ticketflow.domain.message import CustomerRef, InboundMessage, Ticket
from ticketflow.domain.outcome import Delivery, Outcome
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.evals.retrieval import recall_and_rr, scorer

RANKING = {
    "where is my parcel": ["track", "returns", "gifts"],
    "refund please": ["gifts", "track", "faq", "returns"],
    "gift card balance": ["faq", "gifts"],
}


def _retrieve(text: str, intent: str | None, k: int, confidence: float) -> list[Passage]:
    return [Passage(d, d, "", 1.0) for d in RANKING[text][:k]]


def _pair(
    text: str, labels: dict[str, object], decision: Decision | None = None
) -> tuple[EvalRecord, TicketResult]:
    record = EvalRecord(id=text, channel="api", messages=(), labels=labels)
    message = InboundMessage("api", text, CustomerRef(email="a@example.com"), text)
    ticket = Ticket(ticket_id_for("api", text), conversation_id_for("api", text), message)
    routed = decision or Decision(Route.AUTO, None, 0.0)
    result = TicketResult(ticket, routed, Delivery(Outcome.SENT))
    return record, result


def test_recall_at_3_and_reciprocal_rank() -> None:
    assert recall_and_rr(["a", "b", "c", "d"], frozenset({"c"})) == (1.0, 1 / 3)
    assert recall_and_rr(["a", "b", "c", "d"], frozenset({"d"})) == (0.0, 0.25)
    assert recall_and_rr(["a"], frozenset({"z"})) == (0.0, 0.0)


def test_labelled_docs_win_over_intent_articles_and_auto_records_are_reported_apart() -> None:
    pairs = [
        _pair("where is my parcel", {"intent": "track_order", "route": "auto"}),
        _pair("refund please", {"intent": "get_refund", "route": "escalate"}),
        _pair("gift card balance", {"intent": "track_order", "relevant_docs": ["gifts"], "route": "auto"}),
    ]
    score = scorer(_retrieve, [("track", ["track_order"]), ("returns", ["get_refund"])])

    report = score([r for r, _ in pairs], [res for _, res in pairs])

    assert report is not None
    assert report["records"] == 3
    assert report["recall_at_3"] == 2 / 3  # returns is 4th for the refund
    assert report["mrr"] == (1 + 1 / 4 + 1 / 2) / 3
    assert report["auto"] == {"recall_at_3": 1.0, "mrr": 0.75, "records": 2}


def test_no_record_with_right_articles_means_no_retrieval_section() -> None:
    record, result = _pair("where is my parcel", {"route": "auto"})

    assert scorer(_retrieve, [("track", ["track_order"])])([record], [result]) is None


def test_retrieval_is_rerun_with_the_routed_intent_and_routings_confidence() -> None:
    calls: list[tuple[str, str | None, int, float]] = []

    def retrieve(text: str, intent: str | None, k: int, confidence: float) -> list[Passage]:
        calls.append((text, intent, k, confidence))
        return _retrieve(text, intent, k, confidence)

    record, result = _pair(
        "where is my parcel", {"intent": "track_order"}, Decision(Route.AUTO, "get_refund", 0.42)
    )

    scorer(retrieve, [("track", ["track_order"])])([record], [result])

    assert calls == [("where is my parcel", "get_refund", 10, 0.42)]
