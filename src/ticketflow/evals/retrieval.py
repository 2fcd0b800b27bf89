"""Retrieval quality for ``ticketflow eval``: recall@3 and MRR of the articles a ticket should get.

The right articles are ``labels.relevant_docs`` when a record names them; otherwise, for a workspace whose
articles name intents in their front matter (the sample store), the articles naming the labelled intent.
Retrieval is re-run for every scored record exactly as the context stage runs it (the message plus the
routed intent, weighted by routing's confidence), so tickets that routing sent elsewhere are measured too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ticketflow.domain.context import Passage
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult

Retrieve = Callable[[str, str | None, int, float], list[Passage]]
"""``retrieve(text, routed intent, k, routing's confidence)``, as ``ContextBuilder.retrieve``."""
RetrievalScorer = Callable[[Sequence[EvalRecord], Sequence[TicketResult]], dict[str, Any] | None]
DEPTH = 10
"""How deep the ranking is read for MRR (recall is read at 3)."""


def relevant_docs(record: EvalRecord, articles_by_intent: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The articles ``record`` should retrieve: ``labels.relevant_docs``, else those naming its intent label.

    Empty when the record has neither; such a record is left out of the retrieval scores.
    """
    given = record.labels.get("relevant_docs")
    if isinstance(given, list | tuple) and given:
        return frozenset(str(d) for d in given)
    intent = record.labels.get("intent")
    return articles_by_intent.get(str(intent), frozenset()) if intent else frozenset()


def recall_and_rr(ranked: Sequence[str], relevant: frozenset[str], at: int = 3) -> tuple[float, float]:
    """(1.0 if a relevant id is in the first ``at``, else 0.0; the reciprocal rank of the first one)."""
    hit = 1.0 if any(d in relevant for d in ranked[:at]) else 0.0
    rr = next((1.0 / n for n, d in enumerate(ranked, start=1) if d in relevant), 0.0)
    return hit, rr


def score_retrieval(
    records: Sequence[EvalRecord],
    results: Sequence[TicketResult],
    retrieve: Retrieve,
    articles_by_intent: Mapping[str, frozenset[str]],
) -> dict[str, Any] | None:
    """``{"recall_at_3", "mrr", "records"}`` over records with known right articles, plus the same for
    records labelled ``route: auto`` under ``"auto"``; None when no record has right articles."""
    rows: list[tuple[str | None, float, float]] = []
    for record, result in zip(records, results, strict=True):
        relevant = relevant_docs(record, articles_by_intent)
        if not relevant:
            continue
        decision = result.decision
        ranked = [
            p.source_id for p in retrieve(result.ticket.text, decision.intent, DEPTH, decision.confidence)
        ]
        route = record.labels.get("route")
        rows.append((str(route) if route else None, *recall_and_rr(ranked, relevant)))
    if not rows:
        return None

    def summary(selected: list[tuple[str | None, float, float]]) -> dict[str, Any]:
        n = len(selected)
        return {
            "recall_at_3": sum(r[1] for r in selected) / n,
            "mrr": sum(r[2] for r in selected) / n,
            "records": n,
        }

    report = summary(rows)
    auto = [r for r in rows if r[0] == "auto"]
    if auto and len(auto) < len(rows):
        report["auto"] = summary(auto)
    return report


def articles_by_intent(articles: Sequence[tuple[str, Sequence[str]]]) -> dict[str, frozenset[str]]:
    """``{intent: ids of the articles whose front matter names it}`` from ``(id, intents)`` pairs."""
    found: dict[str, set[str]] = {}
    for article_id, intents in articles:
        for intent in intents:
            found.setdefault(intent, set()).add(article_id)
    return {intent: frozenset(ids) for intent, ids in found.items()}


def scorer(retrieve: Retrieve, articles: Sequence[tuple[str, Sequence[str]]]) -> RetrievalScorer:
    """A scorer bound to one workspace's retrieval and articles, for ``evals.runner.score``."""
    by_intent = articles_by_intent(articles)
    return lambda records, results: score_retrieval(records, results, retrieve, by_intent)
