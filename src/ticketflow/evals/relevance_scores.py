"""Scores of the relevance check on labelled drafts (``labels.relevant``), beside a word-overlap baseline.

The positive class is *off-topic* (``relevant: false``), what the check must catch: precision, recall and
balanced accuracy of ``relevance`` failing, and of the baseline the length check used before (off-topic
when the reply shares no content word with the question or the routed intent's name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ticketflow.checks.length import shares_no_word
from ticketflow.domain.checks import Verdict
from ticketflow.domain.records import EvalRecord
from ticketflow.domain.result import TicketResult
from ticketflow.evals import metrics


def relevance_scores(pairs: Sequence[tuple[EvalRecord, TicketResult]]) -> dict[str, Any] | None:
    """The relevance check against ``labels.relevant`` on records with a draft; None when none has both."""
    rows = [(r, res) for r, res in pairs if isinstance(r.labels.get("relevant"), bool) and r.draft]
    if not rows:
        return None
    gold = [not r.labels["relevant"] for r, _ in rows]
    pred = [any(c.name == "relevance" and c.verdict is Verdict.FAIL for c in res.checks) for _, res in rows]
    baseline = [shares_no_word(r.text, r.draft or "", res.decision.intent) for r, res in rows]
    return {
        **metrics.binary_scores(gold, pred),
        "records": len(rows),
        "off_topic": sum(gold),
        "baseline_shared_word": metrics.binary_scores(gold, baseline),
    }
