"""Tests for ticketflow.pipeline.validation's verdict policy: block, warn or review, per check."""

from __future__ import annotations

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.pipeline.validation import Validator
from ticketflow.testing import FixedCheck


def _failing(name: str) -> FixedCheck:
    return FixedCheck(name, Verdict.FAIL, (f"{name} broke",))


def _run(validator: Validator) -> tuple[CheckResult, ...]:
    return validator.run(None, None, None, None)  # type: ignore[arg-type]  # the fakes read nothing


def test_a_warn_policy_turns_a_failure_into_a_warning_that_does_not_block() -> None:
    results = _run(Validator([_failing("tone")], {"tone": "warn"}))

    assert results[0].verdict is Verdict.WARN
    assert results[0].evidence == ("tone broke", "policy: warn")


def test_block_failures_are_fed_back_for_one_regeneration() -> None:
    validator = Validator([_failing("grounding")], {})

    assert validator.feedback(_run(validator)) == ("grounding: grounding broke",)


def test_a_review_failure_skips_regeneration_but_still_blocks() -> None:
    validator = Validator([_failing("grounding"), _failing("injection")], {"injection": "review"})
    results = _run(validator)

    assert validator.feedback(results) == ()
    assert [r.verdict for r in results] == [Verdict.FAIL, Verdict.FAIL]
