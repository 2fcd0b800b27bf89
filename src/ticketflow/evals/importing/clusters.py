"""Intents proposed by clustering customers' messages, the number of them chosen by a stated rule.

Ward's agglomerative clustering on unit vectors (one tree, cut at every candidate number ``k``); the ``k``
kept is the one whose clusters have the highest mean silhouette (cosine), among ``2 … k_max`` where
``k_max = min(2·√n, max_clusters)``. The rule is stated, not fitted to any file: more, smaller clusters are
preferred to fewer, mixed ones within that range, because merging two proposals is one edit (give them the
same name) while splitting one is many. At most :data:`SAMPLE` messages build the tree; the others join the
nearest cluster's centroid, so a large export stays within memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.preprocessing import normalize

from ticketflow.evals.importing.features import Features

SAMPLE = 4000
"""Messages that build the tree (Ward's memory grows with the square of this)."""
MAX_CLUSTERS = 200
GRID = 30
"""Candidate numbers tried, spaced evenly in log scale, when the range holds more."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """One proposed intent: its messages (indices), distinguishing terms, suggested name and exemplars."""

    number: int
    members: tuple[int, ...]
    terms: tuple[str, ...]
    name: str
    cohesion: float
    """Mean cosine similarity of the members to their centroid (1.0: all alike)."""
    central: tuple[int, ...]
    """The members nearest the centroid, nearest first: what the cluster is about."""
    edge: tuple[int, ...]
    """The members furthest from it: what else it swept in."""


@dataclass(frozen=True, slots=True)
class Clustering:
    """The clusters, the rule's choice of their number, and the silhouette of each number tried."""

    clusters: tuple[Cluster, ...]
    labels: np.ndarray
    """Per message, the index into ``clusters``."""
    centroids: np.ndarray
    k: int
    silhouette: float | None
    tried: tuple[tuple[int, float], ...]


def k_range(n: int, max_clusters: int = MAX_CLUSTERS) -> list[int]:
    """The candidate numbers of clusters for ``n`` messages: ``2 … min(2·√n, max_clusters, n-1)``."""
    top = min(int(2 * math.sqrt(n)), max_clusters, n - 1)
    if top < 2:
        return []
    if top - 1 <= GRID:
        return list(range(2, top + 1))
    return sorted({round(k) for k in np.geomspace(2, top, GRID)})


def cluster(
    features: Features,
    rows: np.ndarray,
    *,
    k: int | None = None,
    max_clusters: int = MAX_CLUSTERS,
    seed: int = 0,
) -> Clustering:
    """Cluster the messages at ``rows`` of ``features``; ``k`` fixes the number instead of the rule."""
    vectors = features.vectors[rows]
    n = len(rows)
    sample = np.arange(n)
    if n > SAMPLE:
        sample = np.sort(np.random.default_rng(seed).choice(n, SAMPLE, replace=False))
    labels, chosen, score = np.zeros(n, dtype=int), 1, None
    tried: tuple[tuple[int, float], ...] = ()
    if n >= 3 and (k is None or k >= 2):
        scored = _scored(vectors[sample], [k] if k is not None else k_range(len(sample), max_clusters))
        if scored:
            chosen, score, cut = max(scored, key=lambda s: s[1])
            tried = tuple((c, s) for c, s, _ in scored)
            labels = _assign(vectors, sample, cut)
    centroids = normalize(np.vstack([vectors[labels == c].mean(axis=0) for c in range(labels.max() + 1)]))
    found = _describe(features, rows, labels, centroids)
    order = sorted(range(len(found)), key=lambda i: -len(found[i].members))
    renumber = {old: new for new, old in enumerate(order)}
    clusters = tuple(_numbered(found[old], new + 1) for new, old in enumerate(order))
    new_labels = np.array([renumber[int(label)] for label in labels], dtype=int)
    return Clustering(clusters, new_labels, centroids[order], chosen, score, tried)


def _scored(vectors: np.ndarray, candidates: list[int]) -> list[tuple[int, float, np.ndarray]]:
    """Each candidate number's cut of one Ward tree, with its mean silhouette (cosine)."""
    tree = linkage(vectors, "ward")
    distances = pairwise_distances(vectors, metric="cosine")
    scored = []
    for candidate in candidates:
        cut = fcluster(tree, min(candidate, len(vectors) - 1), "maxclust") - 1
        if len(set(cut.tolist())) < 2:
            continue
        scored.append((candidate, float(silhouette_score(distances, cut, metric="precomputed")), cut))
    return scored


def _assign(vectors: np.ndarray, sample: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The tree's clusters for the sample; every other message joins the nearest centroid."""
    present = sorted(set(cut.tolist()))
    dense = np.searchsorted(present, cut)
    if len(sample) == len(vectors):
        return np.asarray(dense, dtype=int)
    centroids = normalize(np.vstack([vectors[sample][dense == c].mean(axis=0) for c in range(len(present))]))
    labels = np.asarray((vectors @ centroids.T).argmax(axis=1), dtype=int)
    labels[sample] = dense
    return labels


def _describe(
    features: Features, rows: np.ndarray, labels: np.ndarray, centroids: np.ndarray
) -> list[Cluster]:
    tfidf = features.tfidf[rows]
    overall = np.asarray(tfidf.mean(axis=0)).ravel()
    vectors = features.vectors[rows]
    found: list[Cluster] = []
    names: set[str] = set()
    for c in range(len(centroids)):
        members = np.flatnonzero(labels == c)
        inside = np.asarray(tfidf[members].mean(axis=0)).ravel()
        terms = _top_terms(features.terms, inside - overall)
        similarity = vectors[members] @ centroids[c]
        ranked = members[np.argsort(-similarity)]
        name = _unique(_name(terms), names)
        names.add(name)
        found.append(
            Cluster(
                number=c,
                members=tuple(int(rows[m]) for m in members),
                terms=terms,
                name=name,
                cohesion=round(float(similarity.mean()), 3),
                central=tuple(int(rows[m]) for m in ranked[:3]),
                edge=tuple(int(rows[m]) for m in ranked[::-1][:2] if m not in ranked[:3]),
            )
        )
    return found


def _top_terms(terms: tuple[str, ...], lift: np.ndarray, count: int = 4) -> tuple[str, ...]:
    chosen: list[str] = []
    for index in np.argsort(-lift):
        if lift[index] <= 0 or len(chosen) == count:
            break
        term = terms[int(index)]
        if any(term in kept or kept in term for kept in chosen):
            continue
        chosen.append(term)
    return tuple(chosen)


def _name(terms: tuple[str, ...]) -> str:
    """``("cancel order", "cancellation")`` → ``cancel_order``; ``("refund", "money")`` → ``refund_money``."""
    if not terms:
        return "unnamed"
    words = terms[0].split()
    if len(words) == 1 and len(terms) > 1:
        words += terms[1].split()[:1]
    return "_".join(words)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _numbered(found: Cluster, number: int) -> Cluster:
    return Cluster(number, found.members, found.terms, found.name, found.cohesion, found.central, found.edge)
