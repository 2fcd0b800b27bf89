"""Out-of-scope detection on CLINC150: train on train's in-scope queries only, flag val's queries.

``PYTHONPATH=src python -m benchmarks.oos`` (reads ``../shared/datasets/clinc150/``; skips when absent).

Two detectors, both with operating points fixed by a rule stated before looking at val, from the training
queries alone (no out-of-scope query is seen):

- ``confidence``: the intent model's calibrated probability below its own ``unsure`` cut (chosen by
  training from out-of-fold predictions: humans + 2 × wrong intents, minimised). This is what routing does.
- ``confidence+density``: also flag a query that routing's density check
  (:class:`~ticketflow.knowledge.routing.scope.Neighbourhood`, word and character 3-5-gram TF-IDF cosine to
  the nearest training query) finds further than all but ``DENSITY_QUANTILE`` of the training queries'
  own leave-one-out nearest neighbours.

In-scope accuracy counts a query right only when its intent is right and it is not flagged; OOS recall is
the share of ``oos`` queries flagged; precision is given on val as it is (100 oos of 3,100) and reweighted to
the test split's balance (1,000 oos of 5,500), which is how the issue's held-out figures are counted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ticketflow.knowledge.routing.classifier import TextClassifier, _margins, _softmax
from ticketflow.knowledge.routing.scope import Neighbourhood

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "clinc150"
DENSITY_QUANTILE = 0.02
"""Stated in advance: 2% of in-scope training queries would be flagged by density alone."""
TEST_OOS, TEST_IN = 1000, 4500


def _load(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["messages"][0]["text"], str(r["labels"]["intent"])) for r in rows]


def _report(name: str, flagged: np.ndarray, oos: np.ndarray, correct: np.ndarray) -> None:
    tp = int((flagged & oos).sum())
    fp = int((flagged & ~oos).sum())
    recall = tp / int(oos.sum())
    in_acc = float((correct & ~flagged & ~oos).sum() / (~oos).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    weight = (TEST_OOS / TEST_IN) / (oos.sum() / (~oos).sum())
    balanced = tp * weight / (tp * weight + fp) if tp + fp else 0.0
    print(
        f"{name:<22} oos_recall={recall:.3f}  in_scope_accuracy={in_acc:.3f}  "
        f"oos_precision={precision:.3f} (val)  {balanced:.3f} (test balance)  flagged_in_scope={fp}"
    )


def main() -> None:
    if not (DATA / "train.jsonl").exists():
        print(f"skipped: {DATA} is absent")
        return
    train = [(t, i) for t, i in _load(DATA / "train.jsonl") if i != "oos"]
    val = _load(DATA / "val.jsonl")
    started = time.perf_counter()
    model = TextClassifier.train([t for t, _ in train], [i for _, i in train])
    print(f"trained on {len(train)} in-scope queries in {time.perf_counter() - started:.1f} s")
    pipeline = model._fitted()[0]
    started = time.perf_counter()
    density = Neighbourhood.fit([t for t, _ in train], DENSITY_QUANTILE)
    assert density is not None
    cut = density.cut
    nearest = np.array([density.nearness(t) for t, _ in val])
    print(f"density fitted in {time.perf_counter() - started:.1f} s; cut {cut:.4f}")
    probabilities = _softmax(_margins(pipeline, [t for t, _ in val]), model.calibration.temperature)
    confidence = probabilities.max(axis=1)
    predicted = [model.labels[int(b)] for b in probabilities.argmax(axis=1)]
    gold = [i for _, i in val]
    oos = np.array([g == "oos" for g in gold])
    correct = np.array([p == g for p, g in zip(predicted, gold, strict=True)])
    print(f"unsure cut {model.unsure_threshold:.4f} (training's)")
    print(f"intent accuracy on in-scope val, nothing flagged: {correct[~oos].mean():.3f}")
    unsure = confidence < model.unsure_threshold
    _report("confidence", unsure, oos, correct)
    _report("confidence+density", unsure | (nearest < cut), oos, correct)


if __name__ == "__main__":
    main()
