"""What ``ticketflow import`` needs from the adapters: the pipeline's PII masker, the sentence encoder when
the embeddings extra is installed, and the intents the workspace already knows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ticketflow.errors import ConfigError
from ticketflow.knowledge.encoder import sentence_encoder
from ticketflow.knowledge.workspace.loader import published_texts, read_examples, workspace_documents
from ticketflow.knowledge.workspace.phrasings import load_phrasings
from ticketflow.privacy.masking import PlaceholderMasker, published_values
from ticketflow.privacy.presidio import PresidioPatterns
from ticketflow.settings import Settings
from ticketflow.wiring.models import models_dir

if TYPE_CHECKING:
    import numpy as np

FEATURES = ("auto", "embeddings", "tfidf")


def masking(settings: Settings) -> Callable[[str, tuple[str, ...]], str]:
    """Text to text with its personal values replaced by placeholders (``<EMAIL_ADDRESS_1>``): the detector
    and masker the pipeline applies before a model call (``[privacy] ner`` as configured), kept one-way."""
    detector = PresidioPatterns(nlp_dir=models_dir(settings) / "spacy-blank-en", ner=settings.privacy.ner)
    # the company's own contacts and names (its plans, partners) stay readable, as before a model call
    texts = published_texts(workspace_documents(settings.workspace)) if settings.workspace.is_dir() else []
    masker = PlaceholderMasker(detector, published_values(detector, texts))

    def mask(text: str, known: tuple[str, ...] = ()) -> str:
        return masker.mask(text, known).text

    return mask


def message_encoder(features: str) -> Callable[[Sequence[str]], np.ndarray] | None:
    """The sentence encoder for ``--features embeddings`` (``ConfigError`` naming the extra when it is
    missing) or ``auto`` (None when it is missing); None for ``tfidf``."""
    if features not in FEATURES:
        raise ConfigError(f"--features {features!r}: expected one of {', '.join(FEATURES)}")
    if features == "tfidf":
        return None
    needed_by = ("ticketflow import --features embeddings", "pass --features tfidf")
    try:
        return sentence_encoder(needed_by)
    except ConfigError:
        if features == "embeddings":
            raise
        return None


def workspace_intents(settings: Settings) -> dict[str, list[str]]:
    """The intents the workspace knows, each with its texts: ``examples.jsonl``'s labelled tickets and
    ``intents.yaml``'s phrasings (what ``ticketflow train`` learns from)."""
    root = settings.workspace
    known: dict[str, list[str]] = {}
    for record in read_examples(root / "examples.jsonl"):
        intent = record.labels.get("intent")
        if intent:
            known.setdefault(str(intent), []).append(record.text)
    for intent, texts in load_phrasings(root / "intents.yaml").items():
        known.setdefault(intent, []).extend(texts)
    return known
