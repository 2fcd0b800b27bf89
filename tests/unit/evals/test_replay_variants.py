"""``--variant KEY=VALUE``: values read as ticketflow.toml reads them, keys checked against Settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import STORE
from ticketflow.errors import InputError
from ticketflow.evals.replay_variants import check_priced, parse_value, parse_variants, variant_settings
from ticketflow.settings import Settings

BASE = {"provider": "offline"}


def test_values_read_as_toml_with_bare_words_as_text() -> None:
    assert parse_value("0.6") == 0.6
    assert parse_value("12") == 12
    assert parse_value("false") is False
    assert parse_value("[]") == []
    assert parse_value('["questions", "embeddings"]') == ["questions", "embeddings"]
    assert parse_value("claude-haiku-5-5") == "claude-haiku-5-5"
    assert parse_value('"quoted text"') == "quoted text"
    assert parse_value("null") is None


def test_arm_b_is_the_workspace_with_each_variant_applied_and_the_rest_kept() -> None:
    variants = parse_variants(
        [
            "routing.unsure_threshold=0.8",
            "models.generation=claude-haiku-5-5",
            "validation.policy.grounding=warn",
            "context.rankers=[]",
        ]
    )
    b = variant_settings(STORE, variants, BASE)
    a = Settings.load(STORE, **BASE)

    assert b.routing.unsure_threshold == 0.8
    assert b.models.generation == "claude-haiku-5-5"
    assert b.validation.policy["grounding"] == "warn"
    assert b.validation.policy["pii"] == a.validation.policy["pii"]  # a map's other keys are kept
    assert b.context.rankers == ()
    assert b.context.token_budget == a.context.token_budget == 700  # from the workspace's toml
    assert b.provider == "offline"


def test_a_workspace_variant_swaps_the_folder(tmp_path: Path) -> None:
    (tmp_path / "ticketflow.toml").write_text('name = "Other"\n')
    b = variant_settings(STORE, parse_variants([f"workspace={tmp_path}"]), BASE)
    assert b.workspace == tmp_path
    assert b.name == "Other"


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("routing.unsure_thresold=0.5", r"no setting routing\.unsure_thresold; routing has backend, "),
        ("rooting.unsure_threshold=0.5", r"no setting rooting; the top level has "),
        (
            "routing.unsure_threshold=2",
            r"'routing.unsure_threshold=2': Input should be less than or equal to 1",
        ),
        ("validation.max_words=many", r"'validation.max_words=many': Input should be a valid integer"),
        ("routing.backend.fast=1", r"routing\.backend is a value, not a section"),
        ("database_url=sqlite:///other.db", r"both arms replay the same database"),
        ("routing.unsure_threshold", r"write KEY=VALUE"),
        ("=3", r"the key is empty"),
    ],
)
def test_a_bad_variant_is_an_error_naming_it(variant: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        variant_settings(STORE, parse_variants([variant]), BASE)


def test_the_same_key_twice_is_refused() -> None:
    with pytest.raises(InputError, match=r"routing\.unsure_threshold given twice"):
        parse_variants(["routing.unsure_threshold=0.5", "routing.unsure_threshold=0.6"])


def test_a_model_without_a_price_is_refused_naming_the_arm() -> None:
    b = variant_settings(STORE, parse_variants(["models.generation=claude-nope-9"]), BASE)
    with pytest.raises(InputError, match=r"arm B: models.generation 'claude-nope-9' has no price"):
        check_priced(b, "B")
    check_priced(Settings.load(STORE, **BASE), "A")
