"""``batch_items``: a request is claimed once, by one collector run, whatever happens afterwards."""

from __future__ import annotations

from ticketflow.wiring.engine import Engine


def test_a_claimed_request_is_never_claimed_again(engine: Engine) -> None:
    assert engine.store is not None
    claims = engine.store.batch_claims

    first = claims.claim("run-1", [("t_a", 1, "msg:email:a"), ("t_b", 1, "msg:email:b")])
    claims.submitted("run-1", "msgbatch_1")
    second = claims.claim("run-2", [("t_a", 1, "msg:email:a"), ("t_b", 2, "msg:email:b")])

    assert [(c.ticket_id, c.attempt, c.custom_id) for c in first.claims] == [
        ("t_a", 1, "t_a-1"),
        ("t_b", 1, "t_b-1"),
    ]
    assert not first.resumed
    assert [(c.ticket_id, c.attempt) for c in second.claims] == [("t_b", 2)], (
        "a regeneration is a new request"
    )
    found = claims.find("t_a", 1)
    assert found is not None and (found.state, found.batch_id, found.claimed_by) == (
        "submitted",
        "msgbatch_1",
        "run-1",
    )
    assert claims.find("t_c", 1) is None


def test_a_claimant_that_runs_again_gets_its_earlier_claims_and_nothing_new(engine: Engine) -> None:
    assert engine.store is not None
    claims = engine.store.batch_claims
    claims.claim("run-1", [("t_a", 1, "msg:email:a")])

    again = claims.claim("run-1", [("t_a", 1, "msg:email:a"), ("t_new", 1, "msg:email:new")])
    claims.settle("run-1", "in_doubt", "died while submitting")

    assert again.resumed and [c.ticket_id for c in again.claims] == ["t_a"]
    assert claims.find("t_new", 1) is None
    doubted = claims.find("t_a", 1)
    assert doubted is not None and (doubted.state, doubted.batch_id) == ("in_doubt", None)
    claims.submitted("run-1", "msgbatch_late")  # only claims still "claimed" change
    assert claims.find("t_a", 1) == doubted
