"""Out-of-scope detection on CLINC150 as routing does it: train on train's in-scope queries, flag val's.

``PYTHONPATH=src python -m benchmarks.oos [--backend tfidf|embeddings]`` (reads
``../shared/datasets/clinc150/``; skips when absent). The figures of every candidate detector, shipped or
not, come from ``benchmarks.oos_detectors``.

Every operating point is fixed by a rule stated before looking at val, from the training queries alone
(no out-of-scope query is seen):

- ``unsure``: the intent model's calibrated probability below its own ``unsure`` cut (chosen by training
  from out-of-fold predictions: humans + 2 × wrong intents, minimised).
- ``tfidf`` backend, ``unsure+density``: also flag a query that routing's lexical density check
  (:class:`~ticketflow.knowledge.routing.scope.Neighbourhood`, word and character 3-5-gram TF-IDF cosine to
  the nearest training query) finds further than all but 2% of the training queries' own leave-one-out
  nearest neighbours.
- ``embeddings`` backend, ``unsure+familiarity``: also flag a query whose familiarity
  (:class:`~ticketflow.knowledge.routing.familiarity.Familiarity`: max margin and relative Mahalanobis
  distance, each standardised on the training queries' out-of-fold values and averaged) is below 2% of
  the training queries' out-of-fold familiarity.
  Routing with ``routing.backend = "embeddings"`` and ``[scope] detector = "familiarity"``.
- ``embeddings`` backend, ``unsure+familiarity+density``: the lexical density check as well, which is
  what ``detector = "auto"`` (the default) routes: density far is declined, unfamiliar goes to a person.

In-scope accuracy counts a query right only when its intent is right and it is not flagged; OOS recall is
the share of ``oos`` queries flagged; precision is given on val as it is (100 oos of 3,100) and reweighted to
the test split's balance (1,000 oos of 5,500), which is how the issue's held-out figures are counted.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from benchmarks import _clinc
from ticketflow.knowledge.routing.classifier import TextClassifier, _margins, _softmax
from ticketflow.knowledge.routing.scope import QUANTILE, Neighbourhood


def _tfidf(train: list[str], intents: list[str], val: list[str]) -> dict[str, np.ndarray]:
    model = TextClassifier.train(train, intents)
    probabilities = _softmax(_margins(model._fitted()[0], val), model.calibration.temperature)
    density = Neighbourhood.fit(train, QUANTILE)
    assert density is not None
    print(f"unsure cut {model.unsure_threshold:.4f}; density cut {density.cut:.4f} (training's)")
    unsure = probabilities.max(axis=1) < model.unsure_threshold
    far = np.array([density.far(t) is not None for t in val])
    return {
        "predicted": np.array([model.labels[int(b)] for b in probabilities.argmax(axis=1)]),
        "unsure": unsure,
        "unsure+density": unsure | far,
    }


def _embeddings(train: list[str], intents: list[str], val: list[str]) -> dict[str, np.ndarray]:
    from ticketflow.knowledge.routing.embeddings import EmbeddingClassifier
    from ticketflow.knowledge.routing.familiarity import FamiliarityScope

    texts, _ = _clinc.load("train")
    cached = dict(zip(texts, _clinc.vectors("train", texts), strict=True))
    val_texts, _ = _clinc.load("val")
    cached.update(zip(val_texts, _clinc.vectors("val", val_texts), strict=True))

    def encode(batch: Sequence[str]) -> np.ndarray:
        return np.stack([cached[t] for t in batch])

    model = EmbeddingClassifier.train(train, intents, encode=encode)
    assert model.familiarity is not None
    scope = FamiliarityScope(model, model.familiarity.cut(QUANTILE))
    print(f"unsure cut {model.unsure_threshold:.4f}; familiarity cut {scope.cut:.4f} (training's)")
    probabilities = np.stack([model.probabilities(t) for t in val])
    unsure = probabilities.max(axis=1) < model.unsure_threshold
    far = np.array([scope.far(t) is not None for t in val])
    density = Neighbourhood.fit(train, QUANTILE)
    assert density is not None
    lexical = np.array([density.far(t) is not None for t in val])
    return {
        "predicted": np.array([model.labels[int(b)] for b in probabilities.argmax(axis=1)]),
        "unsure": unsure,
        "unsure+familiarity": unsure | far,
        "unsure+familiarity+density": unsure | far | lexical,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("tfidf", "embeddings"), default="tfidf")
    args = parser.parse_args()
    if not (_clinc.DATA / "train.jsonl").exists():
        print(f"skipped: {_clinc.DATA} is absent")
        return
    texts, labels = _clinc.load("train")
    keep = labels != _clinc.OOS
    train = [t for t, k in zip(texts, keep, strict=True) if k]
    intents = [str(i) for i in labels[keep]]
    val, gold = _clinc.load("val")
    started = time.perf_counter()
    found = (_embeddings if args.backend == "embeddings" else _tfidf)(train, intents, val)
    print(
        f"{args.backend}: trained on {len(train)} in-scope queries in {time.perf_counter() - started:.0f} s"
    )
    oos = gold == _clinc.OOS
    correct = found.pop("predicted") == gold
    print(f"intent accuracy on in-scope val, nothing flagged: {correct[~oos].mean():.3f}")
    for name, flagged in found.items():
        _clinc.report(name, flagged, oos, correct)


if __name__ == "__main__":
    main()
