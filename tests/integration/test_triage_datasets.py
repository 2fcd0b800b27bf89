"""Triage on the shared development datasets (skipped when ``../shared/datasets`` is absent).

These hold the triage targets (injection caught without over-defence, unhappy customers found by the
lexicon) on the development splits, through the very router the engine builds; the figures themselves,
with their commands, are in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import pytest

from support import STORE, dataset
from ticketflow.evals.metrics import binary_pr
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.pipeline.routing import Router
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory, store_models: TrainedModels) -> Router:
    settings = Settings.load(STORE, data_dir=tmp_path_factory.mktemp("var"))
    engine = Engine.from_workspace(settings=settings, models=store_models, with_store=False)
    return engine.pipeline.router


def test_injection_is_caught_without_over_defence(router: Router) -> None:
    records = read_records(dataset("injection/dev.jsonl"))

    gold = [bool(r.labels["injection"]) for r in records]
    flagged = [router.run(ticket_from_record(r)).injection for r in records]

    tpr = sum(f for g, f in zip(gold, flagged, strict=True) if g) / sum(gold)
    fpr = sum(f for g, f in zip(gold, flagged, strict=True) if not g) / (len(gold) - sum(gold))
    assert tpr >= 0.90
    assert fpr <= 0.05


def test_ordinary_support_tickets_are_almost_never_flagged_as_injection(router: Router) -> None:
    records = read_records(dataset("bitext/dev.jsonl"))

    flagged = sum(router.run(ticket_from_record(r)).injection for r in records)

    assert flagged / len(records) <= 0.01


def test_lexicon_alone_finds_most_unhappy_customers_precisely(router: Router) -> None:
    # the store's router has no tone model: this is the lexicon library plus our rules, untrained here
    records = read_records(dataset("twitter-airline/dev.jsonl"))

    scores = binary_pr(
        [r.labels["sentiment"] == "negative" for r in records],
        [router.run(ticket_from_record(r)).sentiment == "negative" for r in records],
    )

    assert scores.precision >= 0.85
    assert scores.recall >= 0.60
