"""Tests for ticketflow.evals.validation_scores: the figures `ticketflow eval` adds for validation and PII."""

from __future__ import annotations

from ticketflow.domain.checks import CheckResult, Verdict
from ticketflow.domain.pii import PiiSpan
from ticketflow.domain.records import parse_record
from ticketflow.evals.validation_scores import cross_validated, pii_scores, token_overlap, validation_scores


def _record(labels: dict[str, object], text: str = "hello") -> object:
    return parse_record({"messages": [{"text": text}], "labels": labels, "draft": "x"}, "test")


class _Result:
    def __init__(self, *failed: str) -> None:
        self.checks = (*(CheckResult(n, Verdict.FAIL) for n in failed), CheckResult("length", Verdict.PASS))


def test_catch_rate_false_flags_and_per_check_figures() -> None:
    pairs = [
        (_record({"checks": ["tone"]}), _Result("tone")),
        (_record({"checks": ["policy"]}), _Result()),  # missed
        (_record({"checks": []}), _Result()),
        (_record({"checks": []}), _Result("tone")),  # a good draft flagged
    ]

    scores = validation_scores(pairs)  # type: ignore[arg-type]

    assert scores is not None
    assert scores["catch_rate"] == 0.5
    assert scores["false_flag_rate"] == 0.5
    assert scores["by_check"]["tone"] == {"recall": 1.0, "false_flag_rate": 0.5, "support": 1}
    assert scores["by_check"]["policy"]["recall"] == 0.0


def test_records_without_check_labels_give_no_validation_section() -> None:
    assert validation_scores([(_record({"intent": "x"}), _Result())]) is None  # type: ignore[list-item]


def test_pii_spans_are_matched_by_type_and_overlap() -> None:
    text = "mail a@b.co or call 555 0100 at 12 Elm Street"
    record = _record(
        {
            "pii_spans": [
                {"type": "EMAIL_ADDRESS", "start": 5, "end": 11},
                {"type": "PHONE_NUMBER", "start": 20, "end": 28},
                {"type": "ADDRESS", "start": 32, "end": 45},
            ]
        },
        text,
    )
    found = [PiiSpan("EMAIL_ADDRESS", 5, 11), PiiSpan("US_SSN", 20, 28), PiiSpan("STREET_ADDRESS", 35, 45)]

    scores = pii_scores([record], [found], ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "STREET_ADDRESS"))  # type: ignore[list-item]

    assert scores["by_type"]["EMAIL_ADDRESS"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert scores["by_type"]["PHONE_NUMBER"]["recall"] == 0.0
    assert scores["by_type"]["US_SSN"]["precision"] == 0.0
    assert scores["by_type"]["STREET_ADDRESS"]["recall"] == 1.0  # ADDRESS is scored as STREET_ADDRESS
    assert scores["micro"]["precision"] == 2 / 3
    assert scores["micro"]["recall"] == 2 / 3


def test_token_overlap_baseline() -> None:
    assert token_overlap("the kettle boils fast", "A kettle that boils water") == 2 / 3
    assert token_overlap("", "anything") == 1.0


def test_cross_validation_scores_each_fold_at_a_threshold_chosen_on_the_others() -> None:
    # Positives score low, negatives high: every training fold finds a threshold between the two groups.
    scores = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.15, 0.85, 0.25, 0.75]
    gold = [True, False] * 5

    result = cross_validated(gold, scores)

    assert result["balanced_accuracy"] == 1.0
    assert all(0.3 <= t <= 0.7 for t in result["thresholds"])
    assert len(result["thresholds"]) == 5


def test_cross_validation_does_not_reward_a_score_that_carries_no_signal() -> None:
    # A held-out fold's rows never set its own threshold: a score unrelated to the label stays near chance.
    scores = [float(i % 7) for i in range(70)]
    gold = [i % 2 == 0 for i in range(70)]

    assert cross_validated(gold, scores)["balanced_accuracy"] < 0.7
