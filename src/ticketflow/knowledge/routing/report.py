"""What training learned of itself: cross-validated accuracy, the unsure cut and what it trades, weak intents.

Everything here is read off the out-of-fold predictions training already makes to calibrate the model (each
example predicted by a model that did not see it), so the figures are honest estimates of accuracy on new
tickets of the same kind, not scores on the training data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FEW_PER_LABEL = 10
"""Below this many examples an intent's figures are noise, and its tickets are often routed elsewhere."""
FEW_IN_ALL = 100
"""Below this many examples the threshold itself is chosen on too few held-out predictions to trust."""


@dataclass(frozen=True, slots=True)
class LabelScore:
    """One intent's out-of-fold figures."""

    label: str
    examples: int
    precision: float
    recall: float
    confused_with: str | None = None
    """The intent its examples were most often mistaken for, if any were."""


@dataclass(frozen=True, slots=True)
class TrainingReport:
    """The figures ``ticketflow train`` prints."""

    examples: int
    labels: int
    cross_validated: bool
    accuracy: float | None = None
    """Out-of-fold accuracy of the top intent."""
    unsure_threshold: float | None = None
    automated_share: float | None = None
    """Share of held-out examples at or above the threshold (answered without a person)."""
    automated_accuracy: float | None = None
    """Accuracy on that share."""
    per_label: tuple[LabelScore, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    @property
    def weak(self) -> tuple[LabelScore, ...]:
        """Intents whose held-out F1 is below 0.8, weakest first."""

        def f1(s: LabelScore) -> float:
            total = s.precision + s.recall
            return 2 * s.precision * s.recall / total if total else 0.0

        return tuple(sorted((s for s in self.per_label if f1(s) < 0.8), key=f1))


def _warnings(counts: Counter[str], cross_validated: bool) -> tuple[str, ...]:
    out = []
    total = sum(counts.values())
    if not cross_validated:
        out.append(f"only {total} examples: too few to cross-validate; the unsure threshold is a default")
    elif total < FEW_IN_ALL:
        out.append(f"only {total} examples: the threshold is chosen on few held-out predictions")
    few = sorted(label for label, n in counts.items() if n < FEW_PER_LABEL)
    if few:
        shown = ", ".join(f"{label} ({counts[label]})" for label in few[:8])
        more = f" and {len(few) - 8} more" if len(few) > 8 else ""
        out.append(f"fewer than {FEW_PER_LABEL} examples for {len(few)} intent(s): {shown}{more}")
    return tuple(out)


def training_report(
    labels: Sequence[str],
    classes: tuple[str, ...],
    probabilities: np.ndarray | None,
    gold: np.ndarray | None,
    threshold: float | None,
) -> TrainingReport:
    """The report from out-of-fold ``probabilities`` (n × classes) and ``gold`` class indices, or None."""
    counts = Counter(labels)
    if probabilities is None or gold is None or threshold is None:
        return TrainingReport(len(labels), len(counts), False, warnings=_warnings(counts, False))
    best = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    correct = best == gold
    kept = confidence >= threshold
    scores = []
    for index, label in enumerate(classes):
        mine, said = gold == index, best == index
        hits = int((mine & said).sum())
        mistaken = Counter(int(b) for b in best[mine & ~said])
        confused = classes[mistaken.most_common(1)[0][0]] if mistaken else None
        scores.append(
            LabelScore(
                label,
                counts[label],
                round(hits / int(said.sum()), 4) if said.any() else 0.0,
                round(hits / int(mine.sum()), 4) if mine.any() else 0.0,
                confused,
            )
        )
    return TrainingReport(
        examples=len(labels),
        labels=len(counts),
        cross_validated=True,
        accuracy=round(float(correct.mean()), 4),
        unsure_threshold=threshold,
        automated_share=round(float(kept.mean()), 4),
        automated_accuracy=round(float(correct[kept].mean()), 4) if kept.any() else None,
        per_label=tuple(scores),
        warnings=_warnings(counts, True),
    )


@dataclass(frozen=True, slots=True)
class EscalationTrade:
    """What the risk-mass rule trades on held-out examples, against escalating on the top intent alone.

    A ticket is answered automatically when its top intent is sure (at the unsure threshold) and no rule
    escalates it; ``missed_*`` count examples of escalating intents answered so, ``needless_*`` examples of
    other intents that a rule sent to a person although they were sure.
    """

    escalating: int
    others: int
    risk_mass: float | None
    missed_top: int
    missed_mass: int
    needless_top: int
    needless_mass: int


def escalation_trade(
    classes: tuple[str, ...],
    probabilities: np.ndarray,
    gold: np.ndarray,
    threshold: float,
    escalating: Collection[str],
    risk_mass: float | None,
) -> EscalationTrade | None:
    """The trade from out-of-fold ``probabilities`` and ``gold``; None when no class escalates."""
    import numpy as np

    columns = [i for i, label in enumerate(classes) if label in escalating]
    if not columns:
        return None
    should = np.isin(gold, columns)
    sure = probabilities.max(axis=1) >= threshold
    by_top = np.isin(probabilities.argmax(axis=1), columns)
    by_mass = by_top if risk_mass is None else by_top | (probabilities[:, columns].sum(axis=1) >= risk_mass)
    return EscalationTrade(
        escalating=int(should.sum()),
        others=int((~should).sum()),
        risk_mass=risk_mass,
        missed_top=int((should & sure & ~by_top).sum()),
        missed_mass=int((should & sure & ~by_mass).sum()),
        needless_top=int((~should & sure & by_top).sum()),
        needless_mass=int((~should & sure & by_mass).sum()),
    )
