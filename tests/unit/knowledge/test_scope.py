"""Tests for ticketflow.knowledge.routing.scope: far from every example of ours is out of scope."""

from __future__ import annotations

from ticketflow.knowledge.routing.scope import LazyNeighbourhood, Neighbourhood

STORE = [
    f"{verb} my {thing} {when}"
    for verb in ("where is", "cancel", "change", "track", "return")
    for thing in ("order", "parcel", "delivery", "invoice", "refund")
    for when in ("please", "today", "now")
]


def test_a_message_like_the_examples_is_near_and_an_unrelated_one_is_far() -> None:
    model = Neighbourhood.fit(STORE)
    assert model is not None and 0.0 < model.cut < 1.0
    assert model.far("where is my parcel please, it's late") is None
    assert model.far("zqxj vvkw plmb") is not None  # shares no n-gram: nearness 0
    assert model.nearness("cancel my order today") > model.nearness("quantum chromodynamics lecture")


def test_too_few_examples_fit_nothing_and_the_lazy_model_then_never_says_far() -> None:
    assert Neighbourhood.fit(STORE[:5]) is None
    lazy = LazyNeighbourhood(STORE[:5])
    assert lazy.far("anything at all") is None and lazy.cut == 0.0
