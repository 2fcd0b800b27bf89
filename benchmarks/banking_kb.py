"""Retrieval on a foreign knowledge base: the context stage against plain BM25 and TF-IDF.

``../shared/datasets/banking-kb`` (a public banking help centre, MIT, from tau2-bench: 698 articles and 30
development tickets, each with the ~10 articles it needs) is written into a fresh workspace's ``kb/`` as a new
company would load it (front matter ``id`` and ``title``, no intents, no examples), and each ticket's opening
message is retrieved with the workspace's own context stage, exactly as the pipeline calls it with no routed
intent. Baselines read the same articles: plain BM25 (bm25s, one document per article, title + body) and
TF-IDF cosine (scikit-learn, word 1-2-grams, sublinear tf).

Figures: hit@3 and hit@5 (a relevant article in the top k), recall@5 and recall@10 (share of the relevant
articles found; ~10 per ticket caps it well below 1) and MRR over the top 10. Cost: the time to load the
workspace and build its rankers (embedding the articles, unless ``--workspace`` kept them from an earlier
run under its ``var/index``), and ``ContextBuilder.run`` per ticket, p50 and p95.

    PYTHONPATH=src:. python -m benchmarks.banking_kb [--rankers NAME ...] [--unrouted-rankers NAME ...]
        [--article-embeddings auto|on|off] [--workspace DIR] [--dense-articles]

With 30 tickets a gain is uncertain: for recall@5 and MRR the benchmark also prints the 95% paired-bootstrap
interval of the ratio to the best baseline (:func:`ratio_interval`).

Nothing here is tuned to the articles' wording; the data set is read only to measure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ticketflow.domain.decision import Decision
from ticketflow.domain.records import EvalRecord, parse_lines
from ticketflow.evals.records import ticket_from_record
from ticketflow.knowledge.retrieval.articles import ArticleRanker
from ticketflow.pipeline.context import ContextBuilder

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "banking-kb"
DEPTH = 10

Ranker = Callable[[str], list[str]]


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_workspace(documents: Sequence[dict[str, object]], root: Path) -> Path:
    """A workspace with only ``kb/`` articles (and the scaffold's defaults for everything else)."""
    kb = root / "kb"
    kb.mkdir(parents=True)
    for n, doc in enumerate(documents):
        title = str(doc["title"]).replace("\n", " ")
        front = f"---\nid: {json.dumps(str(doc['id']))}\ntitle: {json.dumps(title)}\n---\n"
        (kb / f"{n:04d}.md").write_text(front + str(doc["content"]) + "\n", encoding="utf-8")
    return root


@dataclass
class Stage:
    """The context stage as the pipeline builds it, with what building it and running it cost."""

    builder: ContextBuilder
    label: str
    build_s: float
    """Loading the workspace (BM25 index) and building the rankers (embeddings, unless stored)."""
    run_ms: list[float] = field(default_factory=list)
    """``ContextBuilder.run`` per ticket (retrieval, policies, the pack), in milliseconds."""

    def rank(self, record: EvalRecord) -> list[str]:
        """The articles the context stage retrieves for ``record`` with no routed intent, best first; the
        stage's full run for the same ticket is timed."""
        ticket = ticket_from_record(record)
        started = time.perf_counter()
        self.builder.run(ticket, UNROUTED)
        self.run_ms.append((time.perf_counter() - started) * 1000)
        return [p.source_id for p in self.builder.retrieve(ticket.text, None, DEPTH)]


UNROUTED = Decision(route="auto", intent=None, confidence=0.0)
"""A workspace without labelled tickets routes nothing: retrieval reads the customer's words alone."""


def context_stage(
    root: Path,
    rankers: Sequence[str] | None,
    unrouted: Sequence[str] | None,
    article_embeddings: str | None,
) -> Stage:
    """The workspace's context stage with ``context.rankers``, ``context.unrouted_rankers`` and
    ``context.article_embeddings`` overridden (None: the workspace's own settings), its index stored under
    the workspace's ``var/index``."""
    from ticketflow.knowledge.workspace.loader import load_workspace
    from ticketflow.settings import Settings
    from ticketflow.wiring.adapters import document_rankers

    settings = Settings.load(root)
    update: dict[str, object] = {}
    if rankers is not None:
        update["rankers"] = tuple(rankers)
    if unrouted is not None:
        update["unrouted_rankers"] = tuple(unrouted)
    if article_embeddings is not None:
        update["article_embeddings"] = article_embeddings
    settings = settings.model_copy(update={"context": settings.context.model_copy(update=update)})
    started = time.perf_counter()
    workspace = load_workspace(root, index_dir=settings.var_dir / "index")
    built = document_rankers(settings, workspace)
    unrouted_built = document_rankers(settings, workspace, settings.context.unrouted_rankers)
    build_s = time.perf_counter() - started
    label = f"context stage {list(settings.context.rankers)} + {list(settings.context.unrouted_rankers)}"
    for ranker in (*built, *unrouted_built):
        if isinstance(ranker, ArticleRanker):
            how = "loaded" if ranker.loaded_from else f"{ranker.embedded} embedded"
            label += f", articles {'embedded (' + how + ')' if ranker.dense else 'by words only'}"
    builder = ContextBuilder(workspace.index, None, rankers=built, unrouted_rankers=unrouted_built)
    return Stage(builder, label, build_s)


def bm25_ranker(documents: Sequence[dict[str, object]]) -> Ranker:
    """Plain BM25 over whole articles (title and body), English stemming and stop words."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = [str(d["id"]) for d in documents]
    corpus = [f"{d['title']}\n{d['content']}" for d in documents]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False
    )

    def rank(text: str) -> list[str]:
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        docs, _ = retriever.retrieve(tokens, k=DEPTH, show_progress=False)
        return [ids[int(i)] for i in docs[0]]

    return rank


def tfidf_ranker(documents: Sequence[dict[str, object]], *, tuned: bool = False) -> Ranker:
    """TF-IDF cosine over whole articles: scikit-learn's defaults, or (``tuned``) word 1-2-grams,
    sublinear tf and English stop words, the stronger of the two here."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = [str(d["id"]) for d in documents]
    options: dict[str, object] = {"ngram_range": (1, 2), "sublinear_tf": True, "stop_words": "english"}
    vectorizer = TfidfVectorizer(**(options if tuned else {}))  # type: ignore[arg-type]
    matrix = vectorizer.fit_transform([f"{d['title']}\n{d['content']}" for d in documents])

    def rank(text: str) -> list[str]:
        scores = (matrix @ vectorizer.transform([text]).T).toarray().ravel()
        return [ids[int(i)] for i in np.argsort(-scores)[:DEPTH]]

    return rank


def dense_articles_ranker(documents: Sequence[dict[str, object]]) -> Ranker:
    """Experiment (the embeddings extra): all-MiniLM-L6-v2 over each whole article (title and body, cut at
    the model's 256 word pieces), cosine to the message."""
    import numpy as np

    from ticketflow.knowledge.encoder import sentence_encoder

    encode = sentence_encoder(("this experiment", "leave out --dense-articles"))
    ids = [str(d["id"]) for d in documents]
    vectors = encode([f"{d['title']}. {d['content']}" for d in documents])

    def rank(text: str) -> list[str]:
        scores = vectors @ encode([text])[0]
        return [ids[int(i)] for i in np.argsort(-scores)[:DEPTH]]

    return rank


def per_ticket(
    ranker: Callable[[EvalRecord], list[str]], tickets: Sequence[EvalRecord]
) -> dict[str, list[float]]:
    """Each ticket's hit@3, hit@5, recall@5, recall@10 and reciprocal rank (top 10) under ``ranker``."""
    rows: dict[str, list[float]] = {"hit@3": [], "hit@5": [], "recall@5": [], "recall@10": [], "mrr": []}
    for ticket in tickets:
        relevant = set(ticket.labels["relevant_docs"])
        ranked = ranker(ticket)[:DEPTH]
        rows["hit@3"].append(float(any(d in relevant for d in ranked[:3])))
        rows["hit@5"].append(float(any(d in relevant for d in ranked[:5])))
        rows["recall@5"].append(len(relevant & set(ranked[:5])) / len(relevant))
        rows["recall@10"].append(len(relevant & set(ranked[:10])) / len(relevant))
        rows["mrr"].append(next((1 / n for n, d in enumerate(ranked, 1) if d in relevant), 0.0))
    return rows


def means(rows: dict[str, list[float]]) -> dict[str, float]:
    """Each figure's mean over the tickets, to three places."""
    return {name: round(statistics.fmean(values), 3) for name, values in rows.items()}


def score(ranker: Callable[[EvalRecord], list[str]], tickets: Sequence[EvalRecord]) -> dict[str, float]:
    """Mean hit@3, hit@5, recall@5, recall@10 and MRR@10 of ``ranker`` over ``tickets``."""
    return means(per_ticket(ranker, tickets))


def ratio_interval(
    ours: Sequence[float], theirs: Sequence[float], *, draws: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """The 95% paired-bootstrap interval of mean(``ours``) / mean(``theirs``) over the same tickets.

    Tickets are drawn with replacement and both rankers are scored on the same draw, so a ticket that is
    hard for both moves both means (Efron and Tibshirani, 1993; Sakai, 2006, for IR metrics). With 30
    tickets the interval is wide: it says how far a measured gain can be trusted.
    """
    import numpy as np

    a, b = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    picks = np.random.default_rng(seed).integers(0, len(a), size=(draws, len(a)))
    top, bottom = a[picks].mean(axis=1), b[picks].mean(axis=1)
    kept = bottom > 0
    low, high = np.percentile(top[kept] / bottom[kept], [2.5, 97.5])
    return float(low), float(high)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    """Print each ranker's figures, the context stage's gain over the better baseline, and its cost."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--rankers", nargs="*", default=None, help="context.rankers (default: the workspace's)"
    )
    parser.add_argument(
        "--unrouted-rankers",
        nargs="*",
        default=None,
        help="context.unrouted_rankers, fused too since no ticket is routed (default: the workspace's)",
    )
    parser.add_argument(
        "--article-embeddings",
        choices=("auto", "on", "off"),
        default=None,
        help="context.article_embeddings (default: the workspace's)",
    )
    parser.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="write the workspace here and keep it, with its stored index (default: a temporary folder)",
    )
    parser.add_argument(
        "--dense-articles", action="store_true", help="add the whole-article embedding experiment"
    )
    args = parser.parse_args()
    documents = _read(args.data / "documents.jsonl")
    path = args.data / "dev.jsonl"
    tickets = list(parse_lines(path.read_text(encoding="utf-8").splitlines(), str(path)))
    with tempfile.TemporaryDirectory() as tmp:
        root = args.workspace or Path(tmp) / "bank"
        if not (root / "kb").is_dir():
            write_workspace(documents, root)
        plain = {
            "bm25 (plain)": bm25_ranker(documents),
            "tf-idf (plain)": tfidf_ranker(documents),
            "tf-idf (1-2-grams)": tfidf_ranker(documents, tuned=True),
        }
        rows = {name: per_ticket(lambda r, f=f: f(r.text), tickets) for name, f in plain.items()}
        baselines = {name: means(figures) for name, figures in rows.items()}
        stage = context_stage(root, args.rankers, args.unrouted_rankers, args.article_embeddings)
        rows[stage.label] = per_ticket(stage.rank, tickets)
        if args.dense_articles:
            dense = dense_articles_ranker(documents)
            rows["articles, embedded (experiment)"] = per_ticket(lambda r: dense(r.text), tickets)
    results = {name: means(figures) for name, figures in rows.items()}
    width = max(len(name) for name in results)
    names = list(next(iter(results.values())))
    print(f"{len(documents)} articles, {len(tickets)} tickets".ljust(width), *(f"{n:>9}" for n in names))
    for name, figures in results.items():
        print(name.ljust(width), *(f"{figures[n]:>9.3f}" for n in names))
    best = {n: max(baselines, key=lambda b, n=n: baselines[b][n]) for n in names}
    for name in [r for r in results if r not in baselines]:
        gains = " ".join(
            f"{n} {100 * (results[name][n] / baselines[best[n]][n] - 1):+.0f}%"
            for n in names
            if baselines[best[n]][n]
        )
        print(f"{name} over the best baseline: {gains}")
        spans = []
        for n in ("recall@5", "mrr"):
            low, high = ratio_interval(rows[name][n], rows[best[n]][n])
            spans.append(f"{n} {100 * (low - 1):+.0f}% to {100 * (high - 1):+.0f}%")
        print(f"  95% paired-bootstrap interval of that gain over {len(tickets)} tickets: {', '.join(spans)}")
    p50, p95 = _percentile(stage.run_ms, 0.5), _percentile(stage.run_ms, 0.95)
    print(
        f"context stage: built in {stage.build_s:.2f} s (workspace load, index, rankers); "
        f"ContextBuilder.run per ticket p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )


if __name__ == "__main__":
    main()
