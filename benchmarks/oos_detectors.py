"""Every candidate out-of-scope score on CLINC150, chosen on the training queries and then scored on val.

``PYTHONPATH=src python -m benchmarks.oos_detectors [--backend embeddings|tfidf]`` (about 15 minutes with
either backend on two busy cores; the sentence embeddings are cached, see
``benchmarks._clinc``). ``benchmarks.oos`` measures what routing ships; this measures the alternatives.

Scores (higher = more in scope): the intent model's calibrated max probability, top-two margin, energy
(``T·logsumexp(margins/T)``) and max margin; on the MiniLM embedding, the cosine to the nearest training
query (``knn``) or the mean of the nearest five (``knn5``), the cosine to the nearest intent centroid,
Mahalanobis distance to the nearest intent mean (shared Ledoit-Wolf covariance) and relative Mahalanobis
(minus a background Gaussian's distance, Ren et al. 2021); and routing's lexical TF-IDF density.

1. **Pseudo out-of-scope, training queries only.** The 150 intents in five groups of 30; for each group, a
   model trained on 80% of the other 120 intents' queries scores the other 20% (in scope) and every query
   of the 30 held-out intents. Per score: AUROC and the recall of held-out intents at the cut rule.
   Logistic combinations are evaluated leaving one group out; z-score and rank combinations are
   standardised on each group's in-scope rows.
2. **Val.** The models trained on all of train's in-scope queries; every score flagged below the 2%
   quantile of its in-scope out-of-fold values (5 folds), together with routing's ``unsure``; logistic
   combinations fitted on all five pseudo-OOS groups, z-score and rank ones standardised on the in-scope
   out-of-fold values. No out-of-scope query is seen before val.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from benchmarks import _clinc
from ticketflow.knowledge.routing import classifier as tfidf_model
from ticketflow.knowledge.routing import embeddings as dense_model
from ticketflow.knowledge.routing.classifier import choose_unsure_threshold, fit_temperature
from ticketflow.knowledge.routing.familiarity import Gaussians
from ticketflow.knowledge.routing.scope import QUANTILE

SCORES = ("maxprob", "margin", "energy", "maxlogit", "knn", "knn5", "centroid", "maha", "rmd", "density")
COMBINATIONS = (
    ("maxlogit", "rmd"),  # shipped before issue 16's follow-up
    ("energy", "rmd"),
    ("maxlogit", "density"),
    ("maxprob", "margin", "energy", "maxlogit", "knn", "centroid", "rmd", "density"),
)
STANDARDISED = (
    ("maxlogit", "rmd"),  # shipped: knowledge/routing/familiarity.py (z-scores)
    ("maxlogit", "rmd", "knn5"),
    ("maxlogit", "rmd", "centroid"),
    ("maxlogit", "knn5"),
)
"""Combined without any out-of-scope example, real or pseudo: the mean of z-scores (``z``) or the sum of
log empirical in-scope p-values (``rank``), both standardised on in-scope values."""
Margins = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, tuple[str, ...]]]


def _margins_for(backend: str, texts: list[str], vectors: np.ndarray, labels: np.ndarray) -> Margins:
    def fold(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
        if backend == "embeddings":
            return dense_model._fold_margins(texts, vectors, list(labels), train, test)
        model = tfidf_model._fit([texts[i] for i in train], [str(labels[i]) for i in train])
        scores = tfidf_model._margins(model, [texts[i] for i in test])
        return scores, tuple(str(c) for c in model.classes_)

    return fold


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=1)
    return top + np.log(np.exp(x - top[:, None]).sum(axis=1))  # type: ignore[no-any-return]


def _classifier_scores(margins: np.ndarray, temperature: float) -> dict[str, np.ndarray]:
    ordered = np.sort(margins, axis=1)
    scaled = margins / temperature
    return {
        "maxprob": np.exp(scaled.max(axis=1) - _logsumexp(scaled)),
        "margin": ordered[:, -1] - ordered[:, -2],
        "energy": temperature * _logsumexp(scaled),
        "maxlogit": ordered[:, -1],
    }


def _reference_scores(
    train: tuple[list[str], np.ndarray, np.ndarray], test: tuple[list[str], np.ndarray]
) -> dict[str, np.ndarray]:
    """The embedding and lexical scores of the ``test`` rows (texts, vectors) against the ``train`` rows."""
    from sklearn.covariance import LedoitWolf

    from ticketflow.knowledge.routing.scope import Neighbourhood

    texts, vectors, labels = train
    test_texts, test_vectors = test
    found: dict[str, np.ndarray] = {}
    cosines = [test_vectors[i : i + 2000] @ vectors.T for i in range(0, len(test_vectors), 2000)]
    found["knn"] = np.concatenate([c.max(axis=1) for c in cosines])
    found["knn5"] = np.concatenate([np.sort(c, axis=1)[:, -5:].mean(axis=1) for c in cosines])
    intents, rows = np.unique(labels, return_inverse=True)
    means = np.stack([vectors[rows == i].mean(axis=0) for i in range(len(intents))])
    found["centroid"] = (test_vectors @ (means / np.linalg.norm(means, axis=1, keepdims=True)).T).max(axis=1)
    precision = LedoitWolf().fit(vectors - means[rows]).precision_
    projected = test_vectors @ precision
    distance = (projected * test_vectors).sum(axis=1)[:, None] - 2 * projected @ means.T
    found["maha"] = -(distance + ((means @ precision) * means).sum(axis=1)[None, :]).min(axis=1)
    found["rmd"] = Gaussians.fit(vectors, labels).relative_distance(test_vectors)
    density = Neighbourhood.fit(texts)
    assert density is not None
    found["density"] = np.array([density.nearness(t) for t in test_texts])
    return found


def _scores(
    margins: np.ndarray,
    temperature: float,
    train: tuple[list[str], np.ndarray, np.ndarray],
    test: tuple[list[str], np.ndarray],
) -> dict[str, np.ndarray]:
    """Every score of the ``test`` rows, the reference being the ``train`` rows."""
    return {**_classifier_scores(margins, temperature), **_reference_scores(train, test)}


def _auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.r_[np.ones(len(inside)), np.zeros(len(outside))], np.r_[inside, outside]))


def _combiner(features: np.ndarray, in_scope: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = features.mean(axis=0), features.std(axis=0)
    model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(
        (features - mean) / scale, in_scope
    )
    return lambda x: model.decision_function((x - mean) / scale)  # type: ignore[no-any-return]


def _standardised(kind: str, reference: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``z``: mean z-score over ``reference``'s columns; ``rank``: sum of log in-scope p-values."""
    if kind == "z":
        mean, scale = reference.mean(axis=0), reference.std(axis=0)
        return lambda x: ((x - mean) / scale).mean(axis=1)  # type: ignore[no-any-return]
    ordered = np.sort(reference, axis=0)

    def rank(x: np.ndarray) -> np.ndarray:
        below = [np.searchsorted(ordered[:, j], x[:, j]) for j in range(x.shape[1])]
        return np.log((np.column_stack(below) + 1.0) / (len(ordered) + 1.0)).sum(axis=1)  # type: ignore[no-any-return]

    return rank


def main() -> None:
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("tfidf", "embeddings"), default="embeddings")
    args = parser.parse_args()
    if not (_clinc.DATA / "train.jsonl").exists():
        print(f"skipped: {_clinc.DATA} is absent")
        return
    every, labels = _clinc.load("train")
    vectors_all = _clinc.vectors("train", every)
    keep = labels != _clinc.OOS
    texts, labels, vectors = (
        [t for t, k in zip(every, keep, strict=True) if k],
        labels[keep],
        vectors_all[keep],
    )
    fold = _margins_for(args.backend, texts, vectors, labels)
    classes = tuple(str(c) for c in np.unique(labels))
    gold = np.searchsorted(classes, labels)

    # out of fold, all intents: the in-scope values every cut comes from
    margins = np.zeros((len(texts), len(classes)))
    oof: dict[str, np.ndarray] = {}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=13).split(np.zeros(len(labels)), labels):
        found, fold_classes = fold(train, test)
        margins[np.ix_(test, np.searchsorted(classes, fold_classes))] = found
        part = ([texts[i] for i in train], vectors[train], labels[train])
        for name, values in _reference_scores(part, ([texts[i] for i in test], vectors[test])).items():
            oof.setdefault(name, np.zeros(len(texts)))[test] = values
    temperature = fit_temperature(margins, gold)
    oof.update(_classifier_scores(margins, temperature))
    correct_oof = margins.argmax(axis=1) == gold
    unsure_cut = choose_unsure_threshold(oof["maxprob"], correct_oof, 2.0)
    print(
        f"{args.backend}: out-of-fold intent accuracy {correct_oof.mean():.3f}; unsure cut {unsure_cut:.4f}"
    )

    # pseudo out of scope: groups of 30 intents held out
    groups: list[tuple[dict[str, np.ndarray], np.ndarray]] = []
    shuffled = np.random.default_rng(16).permutation(np.array(classes))
    for g, held in enumerate(np.array_split(shuffled, 5)):
        out = np.isin(labels, held)
        inside = np.flatnonzero(~out)
        split = StratifiedKFold(5, shuffle=True, random_state=g).split(np.zeros(len(inside)), labels[inside])
        train_i, seen_i = next(split)
        train, test = inside[train_i], np.r_[inside[seen_i], np.flatnonzero(out)]
        found, fold_classes = fold(train, test)
        seen = np.arange(len(test)) < len(seen_i)
        known = np.searchsorted(fold_classes, labels[test[seen]])
        part = ([texts[i] for i in train], vectors[train], labels[train])
        scored = _scores(
            found, fit_temperature(found[seen], known), part, ([texts[i] for i in test], vectors[test])
        )
        groups.append((scored, seen))
    print(f"\npseudo out of scope (30 held-out intents x 5), cut = {QUANTILE:.0%} of in-scope out of fold")
    for name in SCORES:
        auroc = np.mean([_auroc(s[name][seen], s[name][~seen]) for s, seen in groups])
        recall = np.mean(
            [(s[name][~seen] < np.quantile(s[name][seen], QUANTILE)).mean() for s, seen in groups]
        )
        print(f"  {name:<10} AUROC {auroc:.3f}  recall {recall:.3f}")
    for features in COMBINATIONS:
        aurocs, recalls = [], []
        for h, (scored, seen) in enumerate(groups):
            rest = [groups[i] for i in range(5) if i != h]
            combine = _combiner(
                np.concatenate([np.column_stack([s[f] for f in features]) for s, _ in rest]),
                np.concatenate([seen_ for _, seen_ in rest]),
            )
            value = combine(np.column_stack([scored[f] for f in features]))
            aurocs.append(_auroc(value[seen], value[~seen]))
            recalls.append((value[~seen] < np.quantile(value[seen], QUANTILE)).mean())
        print(f"  LR({'+'.join(features)}) AUROC {np.mean(aurocs):.3f}  recall {np.mean(recalls):.3f}")
    _pseudo_standardised(groups)

    # val, once
    val_texts, val_gold = _clinc.load("val")
    val_vectors = _clinc.vectors("val", val_texts)
    final = _final_margins(args.backend, texts, vectors, labels, val_texts, val_vectors)
    scored = _scores(final, temperature, (texts, vectors, labels), (val_texts, val_vectors))
    oos = val_gold == _clinc.OOS
    correct = np.array(classes)[final.argmax(axis=1)] == val_gold
    unsure = scored["maxprob"] < unsure_cut
    print(f"\nval: intent accuracy on in-scope val, nothing flagged: {correct[~oos].mean():.3f}")
    _clinc.report("unsure", unsure, oos, correct)
    for name in SCORES:
        _clinc.report(
            f"unsure | {name}", unsure | (scored[name] < np.quantile(oof[name], QUANTILE)), oos, correct
        )
    for features in COMBINATIONS:
        combine = _combiner(
            np.concatenate([np.column_stack([s[f] for f in features]) for s, _ in groups]),
            np.concatenate([seen for _, seen in groups]),
        )
        cut = np.quantile(combine(np.column_stack([oof[f] for f in features])), QUANTILE)
        far = combine(np.column_stack([scored[f] for f in features])) < cut
        _clinc.report(f"unsure | LR({'+'.join(features)})", unsure | far, oos, correct)
    _val_standardised(oof, scored, unsure, oos, correct)


def _pseudo_standardised(groups: list[tuple[dict[str, np.ndarray], np.ndarray]]) -> None:
    for kind in ("z", "rank"):
        for features in STANDARDISED:
            aurocs, recalls = [], []
            for scored, seen in groups:  # standardised on the group's own in-scope rows
                table = np.column_stack([scored[f] for f in features])
                value = _standardised(kind, table[seen])(table)
                aurocs.append(_auroc(value[seen], value[~seen]))
                recalls.append((value[~seen] < np.quantile(value[seen], QUANTILE)).mean())
            name = f"{kind}({'+'.join(features)})"
            print(f"  {name} AUROC {np.mean(aurocs):.3f}  recall {np.mean(recalls):.3f}")


def _val_standardised(
    oof: dict[str, np.ndarray],
    scored: dict[str, np.ndarray],
    unsure: np.ndarray,
    oos: np.ndarray,
    correct: np.ndarray,
) -> None:
    for kind in ("z", "rank"):
        for features in STANDARDISED:
            combine = _standardised(kind, np.column_stack([oof[f] for f in features]))
            cut = np.quantile(combine(np.column_stack([oof[f] for f in features])), QUANTILE)
            far = combine(np.column_stack([scored[f] for f in features])) < cut
            _clinc.report(f"unsure | {kind}({'+'.join(features)})", unsure | far, oos, correct)


def _final_margins(
    backend: str,
    texts: list[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    val: list[str],
    val_vectors: np.ndarray,
) -> np.ndarray:
    if backend == "embeddings":
        features, svm = dense_model._fit(texts, vectors, list(labels))
        return dense_model._columns(
            svm.decision_function(dense_model._stack(features.transform(val), val_vectors))
        )
    return tfidf_model._margins(tfidf_model._fit(texts, [str(x) for x in labels]), val)


if __name__ == "__main__":
    main()
