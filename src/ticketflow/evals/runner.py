"""``ticketflow eval``: run the pipeline in-process over a ticket-eval file and score every labelled metric.

With ``cv=K`` the file itself is split into K stratified folds: models are trained on K-1 and tested on
the held-out one, so a taxonomy the workspace has never seen can be measured honestly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sklearn.model_selection import KFold, StratifiedKFold

from ticketflow.domain.decision import Route
from ticketflow.domain.outcome import Outcome
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.evals import metrics
from ticketflow.evals.records import ticket_from_record
from ticketflow.evals.resolution import resolution_scores
from ticketflow.evals.retrieval import RetrievalScorer, scorer
from ticketflow.evals.validation_scores import check_scores, validate_draft
from ticketflow.pipeline import STAGES
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels, train_models

Progress = Callable[[int], None]


def run_records(
    engine: Engine, records: Sequence[EvalRecord], progress: Progress | None = None
) -> list[TicketResult]:
    """Process ``records`` in-process, in order, calling ``progress(1)`` after each.

    A record that carries a draft is only validated (against its own documents), not generated.
    """
    results = []
    for record in records:
        # A record carrying a draft skips generation: the draft is validated against its own documents.
        if record.draft is not None:
            results.append(validate_draft(engine, record))
        else:
            results.append(engine.process(ticket_from_record(record)))
        if progress:
            progress(1)
    return results


def folds(records: Sequence[EvalRecord], k: int) -> list[tuple[list[int], list[int]]]:
    """``k`` (train, test) index splits of ``records``, stratified by intent (or sentiment) label when every
    record has one and each label has at least ``k`` records, else plain shuffled folds; seeded."""
    labels = [str(r.labels.get("intent") or r.labels.get("sentiment") or "") for r in records]
    counts = {label: labels.count(label) for label in set(labels)}
    if all(labels) and min(counts.values()) >= k:
        splitter: Any = StratifiedKFold(n_splits=k, shuffle=True, random_state=13)
        split = splitter.split(labels, labels)
    else:
        split = KFold(n_splits=k, shuffle=True, random_state=13).split(labels)
    return [(list(train), list(test)) for train, test in split]


def evaluate(
    engine: Engine,
    records: Sequence[EvalRecord],
    *,
    cv: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Score ``records``; with ``cv`` train and test in folds of the file itself."""
    if cv is None:
        results = run_records(engine, records, progress)
        ordered = list(records)
    else:
        if cv < 2 or cv > len(records):
            raise ValueError(f"--cv must be between 2 and the number of records ({len(records)})")
        results, ordered = [], []
        for train, test in folds(records, cv):
            trained = train_models(
                [records[i] for i in train],
                rules=engine.workspace.rules,
                backend=engine.settings.routing.backend,
            )
            models = TrainedModels(trained.intent or engine.models.intent, trained.tone or engine.models.tone)
            fold_engine = engine.with_models(models)
            held_out = [records[i] for i in test]
            results += run_records(fold_engine, held_out, progress)
            ordered += held_out
    articles = [(a.id, a.intents) for a in engine.workspace.articles]
    report = score(
        ordered,
        results,
        retrieval=scorer(engine.pipeline.context.retrieve, articles),
    )
    report.update(check_scores(engine, list(zip(ordered, results, strict=True))))
    if cv is not None:
        report["cv"] = cv
    return report


def score(
    records: Sequence[EvalRecord],
    results: Sequence[TicketResult],
    *,
    retrieval: RetrievalScorer | None = None,
) -> dict[str, Any]:
    """The report on ``results`` against their ``records`` (same order): each metric the records have labels
    for, then tokens, stage latency (ms) and outcomes, every float rounded to 4 places.

    ``retrieval`` re-runs retrieval for the retrieval metrics (:func:`~ticketflow.evals.retrieval.scorer`).
    """
    report: dict[str, Any] = {"records": len(records)}
    pairs = list(zip(records, results, strict=True))

    with_intent = [
        (str(r.labels["intent"]), res.decision.intent or "") for r, res in pairs if r.labels.get("intent")
    ]
    if with_intent:
        gold, pred = zip(*with_intent, strict=True)
        report["intent"] = {
            "accuracy": metrics.accuracy(gold, pred),
            "macro_f1": metrics.macro_f1(gold, pred),
        }

    with_route = [(r, res) for r, res in pairs if r.labels.get("route")]
    if with_route:
        gold_routes = [str(r.labels["route"]) for r, _ in with_route]
        pred_routes = [res.decision.route.value for _, res in with_route]
        report["route"] = {
            "accuracy": metrics.accuracy(gold_routes, pred_routes),
            "confusion": metrics.confusion(gold_routes, pred_routes),
        }
        rule_share = sum(1 for p in pred_routes if p == Route.RULE.value) / len(pred_routes)
        report["rule_share"] = rule_share
        report["escalation"] = metrics.escalation_scores(
            gold_routes,
            pred_routes,
            [r.labels.get("escalation_reason") for r, _ in with_route],
            [
                res.decision.primary_reason if res.decision.route is Route.ESCALATE else None
                for _, res in with_route
            ],
        )

    with_sentiment = [(r, res) for r, res in pairs if r.labels.get("sentiment")]
    if with_sentiment:
        # "negative" is the decision's sentiment, not the anger score at the escalation threshold: most
        # unhappy customers are not abusive, and the escalation threshold is set for abuse.
        pr = metrics.binary_pr(
            [r.labels["sentiment"] == "negative" for r, _ in with_sentiment],
            [res.decision.sentiment == "negative" for _, res in with_sentiment],
        )
        report["sentiment"] = {
            "negative_precision": pr.precision,
            "negative_recall": pr.recall,
            "negative_f1": pr.f1,
        }

    with_injection = [(r, res) for r, res in pairs if "injection" in r.labels]
    if with_injection:
        gold_inj = [bool(r.labels["injection"]) for r, _ in with_injection]
        pred_inj = [res.decision.injection for _, res in with_injection]
        positives = sum(gold_inj)
        negatives = len(gold_inj) - positives
        tp = sum(1 for g, p in zip(gold_inj, pred_inj, strict=True) if g and p)
        fp = sum(1 for g, p in zip(gold_inj, pred_inj, strict=True) if not g and p)
        report["injection"] = {
            "tpr": tp / positives if positives else 0.0,
            "fpr": fp / negatives if negatives else 0.0,
        }

    if retrieval is not None and (retrieved := retrieval(records, results)) is not None:
        report["retrieval"] = retrieved

    generated = [res for res in results if res.draft is not None]
    report["tokens"] = {
        "input_p50": metrics.percentile([r.input_tokens for r in generated], 50),
        "input_p95": metrics.percentile([r.input_tokens for r in generated], 95),
    }
    stage_times: dict[str, list[float]] = {}
    for res in results:
        for stage, ms in res.timings_ms:
            stage_times.setdefault(stage, []).append(ms)
    report["latency_ms"] = {s: metrics.p50_p95(stage_times[s]) for s in STAGES if s in stage_times}
    if (verified := resolution_scores(pairs)) is not None:
        report["verified_resolution"] = verified
    outcomes: dict[str, int] = {}
    for res in results:
        outcomes[res.delivery.outcome.value] = outcomes.get(res.delivery.outcome.value, 0) + 1
    report["outcomes"] = outcomes
    report["canned"] = canned_scores(pairs)
    return metrics.round_floats(report, 4)  # type: ignore[return-value]


def canned_scores(pairs: Sequence[tuple[EvalRecord, TicketResult]]) -> dict[str, Any]:
    """Canned answers (route ``rule``): how many were sent and how many their checks held back for a
    person; with ``route`` labels, the share of labelled ``rule`` tickets that got one sent."""
    canned = [res for _, res in pairs if res.decision.route is Route.RULE]
    sent = sum(1 for res in canned if res.delivery.outcome is Outcome.SENT)
    scores: dict[str, Any] = {"routed": len(canned), "sent": sent, "held": len(canned) - sent}
    gold = [res for r, res in pairs if r.labels.get("route") == Route.RULE.value]
    if gold:
        got = sum(
            1 for res in gold if res.decision.route is Route.RULE and res.delivery.outcome is Outcome.SENT
        )
        scores["sent_recall"] = got / len(gold)
    return scores
