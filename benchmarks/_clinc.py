"""CLINC150 for the out-of-scope benchmarks: the queries, and their sentence embeddings cached on disk.

Encoding CLINC's 18,200 queries with all-MiniLM-L6-v2 takes about ten minutes on two busy cores, so each
split's vectors are written once under ``TICKETFLOW_BENCH_CACHE`` (default ``/tmp/ticketflow-bench``), next
to a digest of the texts they belong to; a cache whose digest differs is re-encoded.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "clinc150"
OOS = "oos"
TEST_OOS, TEST_IN = 1000, 4500
"""The held-out test split's balance (never read here): precision is reweighted to it."""


def load(split: str) -> tuple[list[str], np.ndarray]:
    """``split``'s query texts and intents (``oos`` for out of scope)."""
    rows = [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r["messages"][0]["text"] for r in rows], np.array([str(r["labels"]["intent"]) for r in rows])


def vectors(split: str, texts: list[str]) -> np.ndarray:
    """The unit-length MiniLM embeddings of ``texts``, from the cache when it holds exactly these texts."""
    from ticketflow.knowledge.encoder import MODEL_NAME, sentence_encoder

    folder = Path(os.environ.get("TICKETFLOW_BENCH_CACHE", "/tmp/ticketflow-bench"))
    digest = hashlib.sha256(json.dumps([MODEL_NAME, texts]).encode()).hexdigest()[:16]
    path = folder / f"clinc150-{split}-{digest}.npy"
    if path.exists():
        return np.load(path).astype(float)
    encode = sentence_encoder()
    found = np.concatenate([encode(texts[i : i + 500]) for i in range(0, len(texts), 500)])
    folder.mkdir(parents=True, exist_ok=True)
    np.save(path, found.astype(np.float32))
    return found.astype(np.float32).astype(float)


def report(name: str, flagged: np.ndarray, oos: np.ndarray, correct: np.ndarray) -> None:
    """One detector's line: OOS recall, in-scope accuracy (right and not flagged), precision (val and at the
    test split's balance), and how many in-scope queries it flagged."""
    tp = int((flagged & oos).sum())
    fp = int((flagged & ~oos).sum())
    recall = tp / int(oos.sum())
    in_acc = float((correct & ~flagged & ~oos).sum() / (~oos).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    weight = (TEST_OOS / TEST_IN) / (oos.sum() / (~oos).sum())
    balanced = tp * weight / (tp * weight + fp) if tp + fp else 0.0
    print(
        f"{name:<30} oos_recall={recall:.3f}  in_scope_accuracy={in_acc:.3f}  "
        f"oos_precision={precision:.3f} (val)  {balanced:.3f} (test balance)  flagged_in_scope={fp}"
    )
