"""Scores of the validation checks on given drafts, of PII detection on labelled spans, and of grounding.

- Records with a ``draft`` skip generation: the draft is validated against ``context.documents`` (the
  documents stand in for retrieved passages) and the router's decision for the message.
- ``validation``: on records labelled with ``labels.checks`` (the checks that must fire; empty for a good
  draft), the share of bad drafts with at least one failure, of good drafts with any, and per check its
  recall (on drafts labelled with it) and false-flag rate (on good drafts).
- ``pii``: span-level, from ``labels.pii_spans`` on ``messages[0].text``; a prediction counts when it
  overlaps a gold span of the same type (``ADDRESS`` is scored as ``STREET_ADDRESS``).
- ``grounding``: from ``labels.grounded``; the positive class is *ungrounded* (what the check must catch),
  beside a token-overlap baseline (ungrounded when under half the draft's content words are in the context).
  Both are also cross-validated (``cross_validated``): record ``i`` is in fold ``i % 5``, each fold is
  scored at the threshold that does best on the other four, so neither figure is tuned on what it scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ticketflow.checks.grounding import support_score
from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.context import ContextPack, Passage
from ticketflow.domain.draft import Draft
from ticketflow.domain.pii import PiiSpan
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.evals import metrics
from ticketflow.evals.records import ticket_from_record
from ticketflow.evals.relevance_scores import relevance_scores
from ticketflow.pipeline.delivery import Deliverer
from ticketflow.wiring.engine import Engine

ALIASES = {"ADDRESS": "STREET_ADDRESS"}
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "them",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "not",
        "no",
        "so",
    ]
)


def validate_draft(engine: Engine, record: EvalRecord) -> TicketResult:
    """Validate ``record.draft`` as the pipeline would, with the record's documents as the context."""
    ticket = ticket_from_record(record)
    pipeline = engine.pipeline
    decision = pipeline.router.run(ticket)
    customer = engine.workspace.customers.lookup(ticket.message.customer) if record.customer_id else None
    passages = tuple(Passage(d.id, d.id, d.text, 1.0, kind="kb") for d in record.documents)
    rendered = "\n\n".join(p.text for p in passages)
    context = ContextPack(customer, (), passages, ticket.history, rendered=rendered, tokens=0)
    draft = Draft(record.draft or "", action="escalate" if record.draft_action == "escalate" else "reply")
    checks = pipeline.validator.run(ticket, decision, context, draft)
    delivery = Deliverer().run(ticket, decision, context, draft, checks)
    return TicketResult(ticket, decision, delivery, context, draft, checks)


def _failed(checks: Sequence[CheckResult], name: str | None = None) -> bool:
    return any(c.verdict is Verdict.FAIL and (name is None or c.name == name) for c in checks)


def validation_scores(pairs: Sequence[tuple[EvalRecord, TicketResult]]) -> dict[str, Any] | None:
    """How well the checks catch the bad drafts of ``labels.checks`` and spare the good ones, overall and per
    check; None when no record is labelled.
    """
    labelled = [
        (list(r.labels["checks"]), res.checks) for r, res in pairs if isinstance(r.labels.get("checks"), list)
    ]
    if not labelled:
        return None
    bad = [checks for expected, checks in labelled if expected]
    good = [checks for expected, checks in labelled if not expected]
    names = sorted(
        {n for expected, _ in labelled for n in expected} | {c.name for _, cs in labelled for c in cs}
    )
    by_check: dict[str, dict[str, float]] = {}
    for name in names:
        should = [checks for expected, checks in labelled if name in expected]
        should_not = good  # bad drafts often trip a second check legitimately; only good ones count
        by_check[name] = {
            "recall": sum(_failed(c, name) for c in should) / len(should) if should else 0.0,
            "false_flag_rate": sum(_failed(c, name) for c in should_not) / len(should_not)
            if should_not
            else 0.0,
            "support": len(should),
        }
    return {
        "drafts": len(labelled),
        "catch_rate": sum(_failed(c) for c in bad) / len(bad) if bad else 0.0,
        "false_flag_rate": sum(_failed(c) for c in good) / len(good) if good else 0.0,
        "by_check": by_check,
    }


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float]:
    precision = tp_pred / n_pred if n_pred else 0.0
    recall = tp_gold / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def pii_scores(
    records: Sequence[EvalRecord], found: Sequence[list[PiiSpan]], detected: Sequence[str]
) -> dict[str, Any]:
    """Span-level precision/recall per type; ``micro`` pools the types the detector can emit."""
    counts: dict[str, list[int]] = {}  # type -> [tp_pred, n_pred, tp_gold, n_gold]
    for record, spans in zip(records, found, strict=True):
        gold = [
            (ALIASES.get(str(g["type"]), str(g["type"])), int(g["start"]), int(g["end"]))
            for g in record.labels["pii_spans"]
        ]
        for kind, start, end in gold:
            c = counts.setdefault(kind, [0, 0, 0, 0])
            c[3] += 1
            c[2] += any(s.type == kind and s.start < end and start < s.end for s in spans)
        for s in spans:
            c = counts.setdefault(s.type, [0, 0, 0, 0])
            c[1] += 1
            c[0] += any(kind == s.type and s.start < end and start < s.end for kind, start, end in gold)
    by_type = {kind: {**_prf(*c), "support": c[3]} for kind, c in sorted(counts.items())}
    pooled = [sum(counts.get(k, [0, 0, 0, 0])[i] for k in detected) for i in range(4)]
    return {"micro": _prf(*pooled), "micro_types": list(detected), "by_type": by_type}


def token_overlap(draft: str, source: str) -> float:
    """The share of ``draft``'s content words found in ``source`` (1.0 when it has none), the baseline that
    the grounding check must beat.
    """
    words = [w for w in _WORD.findall(draft.lower()) if w not in _STOP]
    known = set(_WORD.findall(source.lower()))
    return sum(w in known for w in words) / len(words) if words else 1.0


def _best_threshold(gold: Sequence[bool], scores: Sequence[float]) -> float:
    """The threshold (positive when the score is under it) with the best balanced accuracy on these rows."""
    positives = sum(gold) or 1
    negatives = (len(gold) - sum(gold)) or 1
    ranked = sorted(zip(scores, gold, strict=True))
    best, best_value = ranked[0][0], -1.0
    true_pos = false_pos = 0  # of the rows under the threshold so far
    for i, (score, is_positive) in enumerate(ranked):
        true_pos += is_positive
        false_pos += not is_positive
        if i + 1 < len(ranked) and ranked[i + 1][0] == score:
            continue  # a threshold falls between distinct scores only
        value = true_pos / positives + 1 - false_pos / negatives
        if value > best_value:
            upper = ranked[i + 1][0] if i + 1 < len(ranked) else score + 1.0
            best, best_value = (score + upper) / 2, value
    return best


def cross_validated(gold: Sequence[bool], scores: Sequence[float], folds: int = 5) -> dict[str, Any]:
    """Balanced accuracy of "positive when the score is under a threshold" on held-out folds: record ``i``
    is in fold ``i % folds``, whose threshold is the best one on the other folds. The thresholds are
    returned too, so a reader sees how stable they are.
    """
    pred = [False] * len(gold)
    thresholds = []
    for fold in range(folds):
        train = [i for i in range(len(gold)) if i % folds != fold]
        threshold = _best_threshold([gold[i] for i in train], [scores[i] for i in train])
        thresholds.append(round(threshold, 3))
        for i in range(fold, len(gold), folds):
            pred[i] = scores[i] < threshold
    return {**metrics.binary_scores(list(gold), pred), "thresholds": thresholds}


def grounding_scores(pairs: Sequence[tuple[EvalRecord, TicketResult]]) -> dict[str, Any] | None:
    """The grounding check against ``labels.grounded`` (ungrounded is the positive class), beside the
    token-overlap baseline; None when no record has the label, a draft and documents.
    """
    rows = [(r, res) for r, res in pairs if "grounded" in r.labels and r.draft is not None and r.documents]
    if not rows:
        return None
    gold = [not bool(r.labels["grounded"]) for r, _ in rows]
    pred = [_failed(res.checks, "grounding") for _, res in rows]
    sources = [" ".join(d.text for d in r.documents) + " " + r.text for r, _ in rows]
    overlap = [token_overlap(r.draft or "", source) for (r, _), source in zip(rows, sources, strict=True)]
    support = [support_score(r.draft or "", source) for (r, _), source in zip(rows, sources, strict=True)]
    return {
        **metrics.binary_scores(gold, pred),
        "records": len(rows),
        "cross_validated": cross_validated(gold, support),
        "baseline_token_overlap": {
            **metrics.binary_scores(gold, [o < 0.5 for o in overlap]),
            "cross_validated": cross_validated(gold, overlap),
        },
    }


def check_scores(engine: Engine, pairs: Sequence[tuple[EvalRecord, TicketResult]]) -> dict[str, Any]:
    """Everything this module scores that the records carry labels for."""
    report: dict[str, Any] = {}
    validation = validation_scores(pairs)
    if validation is not None:
        report["validation"] = validation
    with_pii = [r for r, _ in pairs if isinstance(r.labels.get("pii_spans"), list)]
    if with_pii:
        detector = engine.pii_detector
        found = [detector.find(r.messages[0].text) for r in with_pii]
        report["pii"] = pii_scores(
            with_pii,
            found,
            detector.entities,
        )
    grounding = grounding_scores(pairs)
    if grounding is not None:
        report["grounding"] = grounding
    relevance = relevance_scores(pairs)
    if relevance is not None:
        report["relevance"] = relevance
    return report
