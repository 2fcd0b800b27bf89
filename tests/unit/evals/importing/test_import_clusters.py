"""Clustering: the rule's range, topics recovered when they are distinct, names from their own words."""

from __future__ import annotations

import random

import numpy as np
import pytest

from ticketflow.evals.importing import clusters
from ticketflow.evals.importing.clusters import cluster, k_range
from ticketflow.evals.importing.features import featurise

VOCABULARY = {
    "parcel": ["parcel", "courier", "tracking", "delivered", "package", "arrive", "shipment", "depot"],
    "password": ["password", "login", "reset", "locked", "account", "sign", "credentials", "expired"],
    "invoice": ["invoice", "receipt", "vat", "billing", "copy", "pdf", "company", "statement"],
}


def _texts(per_topic: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, topics = [], []
    for topic, words in VOCABULARY.items():
        for _ in range(per_topic):
            texts.append(" ".join(rng.sample(words, 5)))
            topics.append(topic)
    return texts, topics


def _pure(labels: np.ndarray, topics: list[str]) -> bool:
    return all(
        len({t for t, label in zip(topics, labels, strict=True) if label == c}) == 1 for c in set(labels)
    )


def test_the_range_is_two_to_twice_the_root_of_n_capped() -> None:
    assert k_range(100) == list(range(2, 21))
    assert k_range(2) == []
    wide = k_range(10_000, max_clusters=150)
    assert wide[0] == 2 and wide[-1] == 150 and len(wide) <= clusters.GRID


def test_distinct_topics_are_found_as_themselves_by_the_silhouette_rule() -> None:
    texts, topics = _texts(20)
    found = cluster(featurise(texts), np.arange(len(texts)))
    assert found.k == 3
    assert _pure(found.labels, topics)
    assert found.tried and max(s for _, s in found.tried) == found.silhouette


def test_names_and_terms_come_from_the_clusters_own_words() -> None:
    texts, topics = _texts(20)
    found = cluster(featurise(texts), np.arange(len(texts)), k=3)
    for group in found.clusters:
        topic = topics[group.members[0]]
        assert set(group.name.split("_")) <= set(VOCABULARY[topic])
        assert group.central[0] in group.members and group.cohesion > 0


def test_messages_outside_the_sample_join_the_nearest_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clusters, "SAMPLE", 30)
    texts, topics = _texts(30)
    found = cluster(featurise(texts), np.arange(len(texts)), k=3)
    assert len(found.labels) == 90
    assert _pure(found.labels, topics)


def test_too_few_messages_make_one_cluster() -> None:
    found = cluster(featurise(["refund please", "where is my parcel"]), np.arange(2))
    assert found.k == 1 and len(found.clusters) == 1 and found.silhouette is None
