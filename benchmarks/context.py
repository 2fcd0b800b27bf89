"""Retrieval and context figures: BM25 over synthetic chunks, and the context's size against a naive prompt.

The synthetic corpus is generated here (seeded, made-up words drawn with a Zipf-like skew, like real text)
so the figures do not depend on any dataset; run twice and compare, do not assert.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ticketflow.domain.tokens import estimate_tokens
from ticketflow.evals.metrics import percentile
from ticketflow.wiring.engine import Engine

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "qui", "bel", "tor", "an"]


def _vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic_chunks(n: int, seed: int = 5) -> list[object]:
    """``n`` chunks of 60-120 words, 8 chunks per article, with titles and headings."""
    from ticketflow.knowledge.retrieval.chunking import Chunk  # benchmarks may reach adapters; src may not

    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    chunks = []
    for i in range(n):
        words = rng.choices(vocab, weights=weights, k=rng.randint(60, 120))
        title = " ".join(rng.choices(vocab, k=3))
        chunks.append(
            Chunk(f"doc-{i // 8}", title, " ".join(rng.choices(vocab, k=2)), " ".join(words), "kb", ())
        )
    return chunks


def synthetic_questions(chunks: list[object], per_document: int = 20, seed: int = 9) -> dict[str, list[str]]:
    """``per_document`` short questions (6-14 words of the document's own chunks) per document."""
    rng = random.Random(seed)
    words: dict[str, list[str]] = {}
    for c in chunks:
        words.setdefault(c.source_id, []).extend(c.text.split())  # type: ignore[attr-defined]
    return {
        doc: [" ".join(rng.choices(pool, k=rng.randint(6, 14))) for _ in range(per_document)]
        for doc, pool in words.items()
    }


def _timed(label: str, search: Callable[[str], object], queries: list[str]) -> None:
    for q in queries[:20]:
        search(q)
    times = []
    for q in queries:
        started = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - started) * 1000)
    p50, p95 = percentile(times, 50), percentile(times, 95)
    print(f"{label:<48} n={len(times):>5}  p50={p50:7.3f} ms  p95={p95:7.3f} ms")


def bench_retrieval(queries: int = 500) -> None:
    from ticketflow.knowledge.retrieval.bm25 import Bm25Index
    from ticketflow.knowledge.retrieval.questions import NearestQuestions
    from ticketflow.pipeline.context import ContextBuilder

    chunks = synthetic_chunks(1000)
    rng = random.Random(7)
    texts = [c.text for c in chunks]  # type: ignore[attr-defined]
    qs = [" ".join(rng.sample(rng.choice(texts).split(), 6)) for _ in range(queries)]
    questions = synthetic_questions(chunks)
    plain = Bm25Index(chunks, [])  # type: ignore[arg-type]
    asked = Bm25Index(chunks, [], questions=questions)  # type: ignore[arg-type]
    _timed("BM25 search, 1,000 chunks, k=3", lambda q: plain.search(q, 3), qs)
    _timed("BM25 search, 1,000 chunks + questions, k=3", lambda q: asked.search(q, 3), qs)
    first: dict[str, object] = {}
    for c in chunks:
        first.setdefault(c.source_id, c)  # type: ignore[attr-defined]
    nearest = NearestQuestions(questions, first)  # type: ignore[arg-type]
    _timed("nearest questions (2,500), k=20", lambda q: nearest.rank(q, 20), qs)
    fused = ContextBuilder(asked, None, rankers=(nearest,))
    _timed("retrieve: BM25 fused with nearest questions, k=3", lambda q: fused.retrieve(q, None, 3), qs)


def bench_build(n: int = 10_000) -> None:
    from ticketflow.knowledge.retrieval.bm25 import Bm25Index

    chunks = synthetic_chunks(n)
    started = time.perf_counter()
    Bm25Index(chunks, [])  # type: ignore[arg-type]
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        Bm25Index(chunks, [], cache_dir=Path(folder))  # type: ignore[arg-type]
        stored = time.perf_counter() - started
        started = time.perf_counter()
        loaded = Bm25Index(chunks, [], cache_dir=Path(folder))  # type: ignore[arg-type]
        loaded.search("first search reads the stored index", k=1)
        load = time.perf_counter() - started
        assert loaded.loaded_from is not None
    questions = synthetic_questions(chunks)  # type: ignore[arg-type]
    started = time.perf_counter()
    Bm25Index(chunks, [], questions=questions)  # type: ignore[arg-type]
    with_questions = time.perf_counter() - started
    print(
        f"index build, {n:,} chunks: {built:.2f} s in memory; {stored:.2f} s building and storing;"
        f" {load:.2f} s loading the stored index (hash check and chunking not included);"
        f" {with_questions:.2f} s in memory with 20 questions per document"
    )


def naive_ratio(engine: Engine, contexts: list[object]) -> None:
    """The labelled context against a naive prompt that holds every policy and every article."""
    ws = engine.workspace
    everything = "\n\n".join(d.body for d in (*ws.policies, *ws.articles))
    naive = estimate_tokens(everything)
    sizes = [c.tokens for c in contexts]  # type: ignore[attr-defined]
    p50, p95 = percentile(sizes, 50), percentile(sizes, 95)
    print(
        f"context (variable part) tokens: p50 {p50:.0f}, p95 {p95:.0f} over {len(sizes)} drafted tickets;"
        f" naive prompt (all {len(ws.policies)} policies + {len(ws.articles)} articles): {naive} + message"
        f" -> ratio {p50 / naive:.3f} at p50 ({naive / p50:.1f}x smaller)"
    )
