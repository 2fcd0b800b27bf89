"""Quality floors of the validation checks, measured as `ticketflow eval` measures them (docs/benchmarks.md).

The validation set is ours (tests/data); the PII and grounding files are the shared development datasets and
are skipped when absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support import STORE, dataset
from ticketflow.evals.records import read_records
from ticketflow.evals.runner import evaluate
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import train_for_workspace

VALIDATION_SET = Path(__file__).resolve().parents[1] / "data" / "validation_set.jsonl"
TARGET_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    settings = Settings.load(STORE, data_dir=tmp_path_factory.mktemp("var"))
    # routed as `ticketflow eval` routes: the intent model `ticketflow train` builds, intents.yaml included
    # (the suite's examples-only store_models spread more probability onto the escalating intents, and a
    # ticket routing sends to a person fails the escalation check of a draft it would never have had)
    models = train_for_workspace(settings, read_records(STORE / "examples.jsonl"))
    built = Engine.from_workspace(settings=settings, with_store=False, models=models)
    yield built
    built.close()


def test_the_validation_set_is_big_varied_and_labelled() -> None:
    records = read_records(VALIDATION_SET)
    labels = [tuple(r.labels["checks"]) for r in records]
    kinds = {name for checks in labels for name in checks}

    assert len(records) >= 300
    assert kinds == {"policy", "grounding", "tone", "escalation", "length", "pii", "injection"}
    assert sum(1 for checks in labels if not checks) >= 100
    assert all(r.draft for r in records if r.draft_action == "reply")


def test_bad_drafts_are_caught_and_good_ones_pass(engine: Engine) -> None:
    report = evaluate(engine, read_records(VALIDATION_SET))

    assert report["validation"]["catch_rate"] >= 0.95
    assert report["validation"]["false_flag_rate"] <= 0.05
    # a check no draft of the set is labelled for (relevance has its own set) has no recall to hold
    assert all(c["recall"] >= 0.8 for c in report["validation"]["by_check"].values() if c["support"])


@pytest.mark.dataset
def test_pii_recall_and_precision_on_the_pattern_types(engine: Engine) -> None:
    report = evaluate(engine, read_records(dataset("pii/dev.jsonl")))

    for kind in TARGET_TYPES:
        figures = report["pii"]["by_type"][kind]
        assert figures["recall"] >= 0.98, kind
        assert figures["precision"] >= 0.95, kind


@pytest.mark.dataset
def test_grounding_beats_the_token_overlap_baseline(engine: Engine) -> None:
    report = evaluate(engine, read_records(dataset("grounding/dev.jsonl")))

    ours = report["grounding"]["balanced_accuracy"]
    baseline = report["grounding"]["baseline_token_overlap"]["balanced_accuracy"]
    assert ours >= baseline + 0.05
