"""From past tickets to a proposal: labelled tickets kept as their labels, the rest clustered.

::

    tickets = list(read_exports(paths, overrides, read=read))
    proposal = propose(tickets, mask=masker.mask, encode=None, files=read.files)
    Path("proposal.yaml").write_text(dump(proposal))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.preprocessing import normalize

from ticketflow.evals.importing.clusters import MAX_CLUSTERS, Clustering, cluster, k_range
from ticketflow.evals.importing.export import FileRead, PastTicket
from ticketflow.evals.importing.features import Encode, Features, featurise
from ticketflow.evals.importing.proposal import Group, Proposal, SourceFile

EXCERPT = 240
"""Characters of each example shown in the proposal."""

Mask = Callable[[str, tuple[str, ...]], str]
"""A text with the personal values in it (and the ``known`` ones) replaced by placeholders."""


@dataclass(frozen=True, slots=True)
class Options:
    """How to cluster: ``k`` fixes the number of clusters; ``max_clusters`` caps the rule's range."""

    k: int | None = None
    max_clusters: int = MAX_CLUSTERS
    seed: int = 0


def propose(
    tickets: Sequence[PastTicket],
    *,
    mask: Mask,
    encode: Encode | None = None,
    files: Sequence[FileRead] = (),
    options: Options = Options(),
    overrides: Mapping[str, str | None] | None = None,
    known: Mapping[str, Sequence[str]] | None = None,
    encoding: str = "auto",
    format: str | None = None,
) -> tuple[Proposal, Clustering | None]:
    """Group ``tickets``: one ``label`` group per intent the export already gave (accepted), and the
    unlabelled ones clustered into ``cluster`` groups (undecided). Examples shown are passed through
    ``mask``, so the proposal file carries no customer's address or phone verbatim either.

    ``known`` are the workspace's own intents with their example texts: each cluster names the intent,
    from the export's labels or ``known``, whose centre is nearest its own (``nearest_intent``), a hint to
    merge into it."""
    extra = [(intent, text) for intent, texts in (known or {}).items() for text in texts]
    texts = [t.text for t in tickets] + [text for _, text in extra]
    features = featurise(texts, encode) if tickets else None
    groups, centres = _label_groups(tickets, features, mask)
    if features is not None:
        centres.update(_centres(features, extra, len(tickets), centres))
    clustering, notes = None, []
    unlabelled = np.array([i for i, t in enumerate(tickets) if not t.intent], dtype=int)
    if features is not None and len(unlabelled):
        clustering = cluster(
            features, unlabelled, k=options.k, max_clusters=options.max_clusters, seed=options.seed
        )
        notes.append(_chosen(clustering, features, len(unlabelled), options))
        groups += _cluster_groups(tickets, clustering, centres, mask)
    sources = tuple(SourceFile(str(f.path.resolve()), f.format, f.sha256) for f in files)
    proposal = Proposal(sources, tuple(groups), dict(overrides or {}), encoding, format, tuple(notes))
    return proposal, clustering


def _label_groups(
    tickets: Sequence[PastTicket], features: Features | None, mask: Mask
) -> tuple[list[Group], dict[str, np.ndarray]]:
    """One accepted group per label the export gave, and each label's centre (for the clusters' hints)."""
    groups: list[Group] = []
    centres: dict[str, np.ndarray] = {}
    for label, members in _by_label(tickets).items():
        about = {"size": len(members), **_tags(tickets, members)}
        about["examples"] = _examples(tickets, members, mask)
        ids = tuple(tickets[i].id for i in members)
        groups.append(Group(label, "accept", ids, label=label, about=about))
        if features is not None:
            centres[label] = normalize(features.vectors[members].mean(axis=0, keepdims=True))[0]
    return groups, centres


def _cluster_groups(
    tickets: Sequence[PastTicket], clustering: Clustering, centres: Mapping[str, np.ndarray], mask: Mask
) -> list[Group]:
    """One undecided group per cluster, named by its distinguishing terms."""
    groups = []
    for found, centre in zip(clustering.clusters, clustering.centroids, strict=True):
        about: dict[str, object] = {
            "size": len(found.members),
            "cohesion": found.cohesion,
            "terms": list(found.terms),
            **_tags(tickets, list(found.members)),
            **_nearest(centre, centres),
            "examples": _examples(tickets, found.central, mask),
            "edge": _examples(tickets, found.edge, mask),
        }
        members = tuple(tickets[i].id for i in found.members)
        groups.append(Group(found.name, "proposed", members, cluster=found.number, about=about))
    return groups


def _centres(
    features: Features, extra: Sequence[tuple[str, str]], offset: int, labelled: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The centre of each workspace intent (its texts follow the tickets' in ``features``); an intent the
    export also labelled keeps the export's centre."""
    rows: dict[str, list[int]] = {}
    for i, (intent, _) in enumerate(extra):
        if intent not in labelled:
            rows.setdefault(intent, []).append(offset + i)
    return {k: normalize(features.vectors[v].mean(axis=0, keepdims=True))[0] for k, v in rows.items()}


def _by_label(tickets: Sequence[PastTicket]) -> dict[str, list[int]]:
    labelled: dict[str, list[int]] = {}
    for i, ticket in enumerate(tickets):
        if ticket.intent:
            labelled.setdefault(ticket.intent, []).append(i)
    return dict(sorted(labelled.items(), key=lambda item: -len(item[1])))


def _examples(tickets: Sequence[PastTicket], members: Sequence[int], mask: Mask) -> list[str]:
    shown = []
    for i in members[:3]:
        ticket = tickets[i]
        known = tuple(v for v in (ticket.email, ticket.name) if v)
        text = " ".join(mask(ticket.text, known).split())
        shown.append(text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…")
    return shown


def _tags(tickets: Sequence[PastTicket], members: Sequence[int]) -> dict[str, object]:
    """The commonest tags and statuses among the members, with their shares, when the export had them."""
    shares: dict[str, object] = {}
    tags = Counter(tag for i in members for tag in tickets[i].tags)
    statuses = Counter(tickets[i].status for i in members if tickets[i].status)
    for key, counts in (("tags", tags), ("statuses", statuses)):
        if counts:
            shares[key] = {name: round(n / len(members), 2) for name, n in counts.most_common(5)}
    return shares


def _nearest(centre: np.ndarray, label_centres: Mapping[str, np.ndarray]) -> dict[str, object]:
    """The known intent whose centre is nearest this cluster's, with the cosine: a hint to merge into it."""
    if not label_centres:
        return {}
    label, similarity = max(((k, float(centre @ v)) for k, v in label_centres.items()), key=lambda x: x[1])
    return {"nearest_intent": {label: round(similarity, 2)}}


def _chosen(clustering: Clustering, features: Features, n: int, options: Options) -> str:
    if options.k is not None:
        return f"{n} unlabelled tickets in {clustering.k} clusters (--clusters), {features.kind} vectors"
    candidates = k_range(min(n, 4000), options.max_clusters)
    span = f"{candidates[0]}..{candidates[-1]}" if candidates else "none"
    best = f"{clustering.silhouette:.3f}" if clustering.silhouette is not None else "n/a"
    return (
        f"{n} unlabelled tickets in {clustering.k} clusters, chosen by the best silhouette over {span} "
        f"(silhouette {best}), {features.kind} vectors"
    )
