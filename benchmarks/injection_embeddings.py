"""Leave-one-family-out estimate of an injection scorer on sentence embeddings (not shipped: it did not
generalise; see "Injection: sentence-embedding scorer" in ``docs/benchmarks.md``).

``PYTHONPATH=src:. python -m benchmarks.injection_embeddings`` (needs the embeddings extra; a few minutes on
two busy cores: it embeds every sentence of the bitext and twitter-airline dev files, for evaluation only).

The corpus is ``tests/data/injection/corpus.jsonl`` (written by ``make_corpus.py``, our own sentences: 9
attack families addressed to an assistant, 9 benign families of customer sentences, trigger words used
innocently among them). A logistic regression (balanced, C=1) on MiniLM embeddings of single sentences; a
message's score is its highest-scoring sentence (routing's segmentation). For each attack family, a model
trained without that family (and without one benign family, in turn) is cut at the 98th percentile of its
message scores on real customer text (bitext + twitter-airline dev: 2% false positives), and the held-out
family's recall at that cut is reported, alone and OR the existing rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from ticketflow.knowledge.encoder import sentence_encoder
from ticketflow.pipeline.routing.injection import _segments, injection_finding

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests/data/injection/corpus.jsonl"
REAL = (
    ROOT.parent / "shared/datasets/bitext/dev.jsonl",
    ROOT.parent / "shared/datasets/twitter-airline/dev.jsonl",
)
FALSE_POSITIVES = 0.02


def _customer_text(line: str) -> str:
    record = json.loads(line)
    return " ".join(m["text"] for m in record["messages"] if m["role"] == "customer")


def main() -> None:
    """Print per-family recall at 2% false positives on real customer messages."""
    encode = sentence_encoder()
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    x = encode([r["text"] for r in rows])
    y = np.array([r["injection"] for r in rows])
    family = np.array([r["family"] for r in rows])
    segments, owner = [], []
    for path in REAL:
        for i, line in enumerate(path.read_text().splitlines()):
            text = _customer_text(line)
            for segment in _segments(text) or [text]:
                segments.append(segment)
                owner.append(f"{path.parent.name}:{i}")
    real = np.vstack([encode(segments[i : i + 4000]) for i in range(0, len(segments), 4000)])
    _, message = np.unique(np.array(owner), return_inverse=True)
    rules = np.array([injection_finding(r["text"]) is not None for r in rows])
    attacks, benign = sorted(set(family[y])), sorted(set(family[~y]))
    recall, with_rules = {}, {}
    for i, held in enumerate(attacks):
        train = (family != held) & (family != benign[i % len(benign)])
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(x[train], y[train])
        per_message = np.full(message.max() + 1, -np.inf)
        np.maximum.at(per_message, message, model.decision_function(real))
        cut = np.quantile(per_message, 1 - FALSE_POSITIVES)
        flagged = model.decision_function(x[family == held]) > cut
        recall[held] = float(flagged.mean())
        with_rules[held] = float((flagged | rules[family == held]).mean())
    for name, figures in (("embeddings", recall), ("embeddings OR rules", with_rules)):
        shown = ", ".join(f"{k} {v:.2f}" for k, v in figures.items())
        print(f"{name}: {shown}; mean {np.mean(list(figures.values())):.3f}")
    shown = ", ".join(f"{a} {rules[family == a].mean():.2f}" for a in attacks)
    print(f"rules alone on the corpus: {shown}")


if __name__ == "__main__":
    main()
