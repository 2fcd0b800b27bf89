"""How well ``ticketflow import`` proposes intents: its clusters against labelled data it is not shown.

``PYTHONPATH=src python -m benchmarks.import_clusters`` (reads ``../shared/datasets/``; skips when absent).

Each file is read by the import's own reader; the labels are set aside, every message is clustered as an
unlabelled ticket would be (the number of clusters by the command's rule: best silhouette over
``2 … 2·√n``), and the clusters are scored against the labels: adjusted Rand index, V-measure (with its
homogeneity and completeness) and purity (the share of messages in their cluster's commonest intent). The
row ``k = true`` cuts the same tree at the real number of intents, which no user knows in advance: it
shows what the rule's choice costs. Nothing here is tuned to these files.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure

from ticketflow.evals.importing.clusters import cluster
from ticketflow.evals.importing.export import ExportRead, read_exports
from ticketflow.evals.importing.features import featurise
from ticketflow.wiring.importing import message_encoder

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FILES = {
    "bitext dev": (DATA / "bitext" / "dev.jsonl", False),
    "clinc150 val (in scope)": (DATA / "clinc150" / "val.jsonl", True),
}


def purity(gold: Sequence[str], predicted: Sequence[int]) -> float:
    """The share of messages whose cluster's commonest gold intent is their own."""
    by_cluster: dict[int, Counter[str]] = {}
    for g, p in zip(gold, predicted, strict=True):
        by_cluster.setdefault(p, Counter())[g] += 1
    return sum(c.most_common(1)[0][1] for c in by_cluster.values()) / len(gold)


def _row(name: str, gold: Sequence[str], labels: np.ndarray, k: int, seconds: float) -> None:
    homogeneity, completeness, v = homogeneity_completeness_v_measure(gold, labels)
    print(
        f"  {name:<22} k={k:>4}  ARI={adjusted_rand_score(gold, labels):.3f}  V={v:.3f} "
        f"(homogeneity {homogeneity:.3f}, completeness {completeness:.3f})  "
        f"purity={purity(gold, list(labels)):.3f}  {seconds:5.1f} s"
    )


def main() -> None:
    encode = message_encoder("auto")
    kinds = [("tfidf", None)] + ([("embeddings", encode)] if encode is not None else [])
    if encode is None:
        print("the embeddings extra is not installed: TF-IDF only")
    for title, (path, in_scope_only) in FILES.items():
        if not path.exists():
            print(f"skipped {title}: {path} is absent")
            continue
        read = ExportRead()
        tickets = list(read_exports([path], {}, read=read))
        if in_scope_only:
            tickets = [t for t in tickets if t.intent != "oos"]
        gold = [str(t.intent) for t in tickets]
        texts = [t.text for t in tickets]
        truth = len(set(gold))
        skipped = f"{read.repeated_texts} repeated texts skipped"
        print(f"{title}: {len(tickets)} messages ({skipped}), {truth} intents")
        rows = np.arange(len(tickets))
        for kind, encoder in kinds:
            started = time.perf_counter()
            features = featurise(texts, encoder)
            chosen = cluster(features, rows)
            _row(f"{kind}, rule", gold, chosen.labels, chosen.k, time.perf_counter() - started)
            started = time.perf_counter()
            fixed = cluster(features, rows, k=truth)
            _row(f"{kind}, k = true", gold, fixed.labels, fixed.k, time.perf_counter() - started)


if __name__ == "__main__":
    main()
