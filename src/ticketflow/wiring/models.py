"""The routing models: trained from a workspace's labelled tickets and phrasings, saved, and loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ticketflow.domain.records import EvalRecord
from ticketflow.domain.rules import RuleBook
from ticketflow.errors import ConfigError
from ticketflow.knowledge.routing.classifier import TextClassifier, fingerprint
from ticketflow.knowledge.routing.embeddings import EmbeddingClassifier
from ticketflow.knowledge.routing.report import EscalationTrade, escalation_trade
from ticketflow.knowledge.routing.sentiment import VaderLexicon
from ticketflow.knowledge.workspace.loader import Workspace
from ticketflow.knowledge.workspace.phrasings import Phrasings, load_phrasings
from ticketflow.knowledge.workspace.phrasings import labelled as labelled_phrasings
from ticketflow.knowledge.workspace.rules import load_rules
from ticketflow.pipeline.routing.tone import cue_text, score_tone
from ticketflow.settings import Settings

INTENT_MODEL = "intent.joblib"
OUT_OF_SCOPE = "out_of_scope"
"""The label of examples that are not an intent of the workspace: no scope detector treats them as one."""
TONE_MODEL = "tone.joblib"


@dataclass(frozen=True, slots=True)
class TrainedModels:
    """The intent model routing needs, and the optional tone model."""

    intent: TextClassifier | EmbeddingClassifier | None
    tone: TextClassifier | None


def train_models(
    records: Sequence[EvalRecord],
    *,
    rules: RuleBook | None = None,
    backend: str = "tfidf",
    phrasings: Phrasings | None = None,
) -> TrainedModels:
    """Train the intent model from ``labels.intent`` and the tone model from ``labels.sentiment``.

    ``phrasings`` (the workspace's ``intents.yaml``) are more intent examples, after the records'.
    ``backend`` is ``routing.backend``: ``"embeddings"`` adds sentence embeddings to the intent model's
    features (the embeddings extra). The tone model reads each text with the cues of the lexicon reading
    (VADER polarity, our complaint rules, ``rules``' anger lexicon), exactly as routing will show it.
    """
    with_intent = intent_examples(records, phrasings)
    with_tone = [(r.text, str(r.labels["sentiment"])) for r in records if r.labels.get("sentiment")]
    intent: TextClassifier | EmbeddingClassifier | None = None
    if with_intent and backend == "embeddings":
        intent = EmbeddingClassifier.train(*zip(*with_intent, strict=True), outside=(OUT_OF_SCOPE,))
    elif with_intent:
        intent = TextClassifier.train(*zip(*with_intent, strict=True))
    tone = None
    if with_tone:
        lexicon, anger = VaderLexicon(), (rules or RuleBook()).tone
        cued = [cue_text(text, score_tone(text, anger, lexicon)) for text, _ in with_tone]
        tone = TextClassifier.train(cued, [label for _, label in with_tone])
    return TrainedModels(intent, tone)


def train_for_workspace(settings: Settings, records: Sequence[EvalRecord]) -> TrainedModels:
    """``ticketflow train``: ``records`` plus the workspace's ``intents.yaml``, tone read as its rules do."""
    return train_models(
        records,
        rules=load_rules(settings.workspace / "rules.yaml"),
        backend=settings.routing.backend,
        phrasings=load_phrasings(settings.workspace / "intents.yaml"),
    )


def escalation_on_held_out(settings: Settings, models: TrainedModels) -> EscalationTrade | None:
    """What ``routing.risk_mass`` trades on training's held-out predictions, for ``ticketflow train``."""
    intent = models.intent
    oof = intent.out_of_fold if isinstance(intent, TextClassifier) else None
    if intent is None or oof is None:
        return None
    threshold = settings.routing.unsure_threshold
    rules = load_rules(settings.workspace / "rules.yaml")
    return escalation_trade(
        intent.labels,
        *oof,
        threshold if threshold is not None else intent.unsure_threshold,
        rules.escalate_intents,
        settings.routing.risk_mass,
    )


def intent_examples(records: Sequence[EvalRecord], phrasings: Phrasings | None) -> list[tuple[str, str]]:
    """``(text, intent)`` to train routing on: labelled records, then phrasings."""
    labelled = [(r.text, str(r.labels["intent"])) for r in records if r.labels.get("intent")]
    return labelled + labelled_phrasings(phrasings or {})


def models_dir(settings: Settings) -> Path:
    """Where trained models are kept: ``var/models`` of the workspace (or of ``data_dir``)."""
    return settings.var_dir / "models"


def save_models(settings: Settings, models: TrainedModels) -> list[Path]:
    """Store the trained models where the engine looks for them first; returns the files written."""
    saved = []
    for name, model in ((INTENT_MODEL, models.intent), (TONE_MODEL, models.tone)):
        if model is not None:
            path = models_dir(settings) / name
            model.save(path)
            saved.append(path)
    return saved


def load_intent_model(path: Path, backend: str) -> TextClassifier | EmbeddingClassifier:
    """A stored intent model of the ``routing.backend`` in force (``ConfigError`` if trained with another)."""
    try:
        return EmbeddingClassifier.load(path) if backend == "embeddings" else TextClassifier.load(path)
    except ConfigError as exc:
        raise ConfigError(f"{exc} [routing.backend = {backend!r}]") from exc


def workspace_models(settings: Settings, workspace: Workspace) -> TrainedModels:
    """Models trained by ``ticketflow train`` if present; else trained from ``examples.jsonl`` and cached."""
    folder = models_dir(settings)
    intent_path, tone_path = folder / INTENT_MODEL, folder / TONE_MODEL
    backend = settings.routing.backend
    intent = load_intent_model(intent_path, backend) if intent_path.exists() else None
    tone = TextClassifier.load(tone_path) if tone_path.exists() else None
    if intent is None and (workspace.examples or workspace.phrasings):
        labelled = intent_examples(workspace.examples, workspace.phrasings)
        kind = "" if backend == "tfidf" else f"{backend}-"
        cache = folder / f"intent-examples-{kind}{fingerprint(*zip(*labelled, strict=True))}.joblib"
        try:
            intent = load_intent_model(cache, backend) if cache.exists() else None
        except ConfigError:  # saved by an older version: retrain below
            intent = None
        if intent is None:
            trained = train_models(workspace.examples, backend=backend, phrasings=workspace.phrasings)
            intent = trained.intent
            if intent is not None:
                intent.save(cache)
    return TrainedModels(intent, tone)
