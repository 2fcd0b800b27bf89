"""Scores of the relevance check on labelled drafts (``labels.relevant``), beside a word-overlap baseline.

The positive class is *off-topic* (``relevant: false``), what the check must catch: precision, recall and
balanced accuracy of ``relevance`` failing, and of the baseline the length check used before (off-topic
when the reply shares no content word with the question or the routed intent's name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ticketflow.domain.checks import Verdict
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.evals import metrics

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "our",
        "with",
        "this",
        "that",
        "have",
        "has",
        "are",
        "was",
        "what",
        "how",
        "can",
        "when",
        "where",
    ]
)


def _content(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) > 3 and w not in _STOP}


def shares_no_word(question: str, reply: str, intent: str | None) -> bool:
    """The baseline: off-topic when the reply shares no content word with the question (or intent name)."""
    asked = _content(question) | (_content(intent.replace("_", " ")) if intent else set())
    return bool(asked) and not asked & _content(reply)


def _binary(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    pr = metrics.binary_pr(gold, pred)
    positives = sum(gold)
    negatives = len(gold) - positives
    tpr = sum(g and p for g, p in zip(gold, pred, strict=True)) / positives if positives else 0.0
    tnr = sum(not g and not p for g, p in zip(gold, pred, strict=True)) / negatives if negatives else 0.0
    return {"balanced_accuracy": (tpr + tnr) / 2, "precision": pr.precision, "recall": pr.recall}


def relevance_scores(pairs: Sequence[tuple[EvalRecord, TicketResult]]) -> dict[str, Any] | None:
    """The relevance check against ``labels.relevant`` on records with a draft; None when none has both."""
    rows = [(r, res) for r, res in pairs if isinstance(r.labels.get("relevant"), bool) and r.draft]
    if not rows:
        return None
    gold = [not r.labels["relevant"] for r, _ in rows]
    pred = [any(c.name == "relevance" and c.verdict is Verdict.FAIL for c in res.checks) for _, res in rows]
    baseline = [shares_no_word(r.text, r.draft or "", res.decision.intent) for r, res in rows]
    return {
        **_binary(gold, pred),
        "records": len(rows),
        "off_topic": sum(gold),
        "baseline_shared_word": _binary(gold, baseline),
    }
