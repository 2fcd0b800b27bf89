"""The monthly review's grading file: written, read back, and refused line by line when it is wrong."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reports import Grade, GradeKind, ReviewItem, StoredGrade
from ticketflow.errors import InputError
from ticketflow.evals.review import (
    ANSWER_RIGHT,
    COLUMNS,
    SHOULD_ESCALATE,
    answer_right,
    draw_sample,
    escalation_correct,
    parse_grading_file,
    read_grading_file,
    wilson,
    write_grading_file,
)

WHEN = datetime(2026, 11, 20, 10, tzinfo=UTC)


def graded(*rows: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(dict.fromkeys(COLUMNS, "") | row)
    return buffer.getvalue()


def row(ticket: str, kind: str, should: str, right: str = "", **more: str) -> dict[str, str]:
    return {"ticket_id": ticket, "kind": kind, SHOULD_ESCALATE: should, ANSWER_RIGHT: right, **more}


def test_a_written_sample_reads_back_with_the_graders_answers(tmp_path: Path) -> None:
    items = [
        ReviewItem(
            TicketId("t1"), GradeKind.ANSWERED, "email", WHEN, "get_invoice", "line one\nline two", "Hi", None
        ),
        ReviewItem(
            TicketId("t2"), GradeKind.ESCALATED, "chat", WHEN, "get_refund", "refund me", None, "refund"
        ),
    ]
    path = tmp_path / "sample.csv"
    assert write_grading_file(items, path) == 2
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0]["customer_text"] == "line one\nline two"
    assert rows[1][ANSWER_RIGHT] == "n/a"
    rows[0][SHOULD_ESCALATE], rows[0][ANSWER_RIGHT], rows[0]["grader"] = "No", "yes", "ana"
    rows[1][SHOULD_ESCALATE] = "y"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")

    read = read_grading_file(path)

    assert read.grades == (
        Grade(TicketId("t1"), GradeKind.ANSWERED, False, True, "ana"),
        Grade(TicketId("t2"), GradeKind.ESCALATED, True, None),
    )
    assert read.lines == {"t1": 2, "t2": 4}  # t1's text spans two lines
    assert read.ungraded == 0


def test_a_line_left_blank_is_not_graded() -> None:
    read = parse_grading_file(graded(row("t1", "answered", ""), row("t2", "answered", "no", "no")), "f.csv")

    assert [g.ticket_id for g in read.grades] == ["t2"]
    assert read.ungraded == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            (row("t1", "answered", "no"), row("t2", "answered", "maybe")),
            r"f\.csv:3: 'should it have been escalated\?' is 'maybe'",
        ),
        ((row("t1", "answered", "no", "sort of"),), r"f\.csv:2: 'was the answer right\?' is 'sort of'"),
        ((row("t1", "handed", "no"),), r"f\.csv:2: kind is 'handed'; it must be answered or escalated"),
        ((row("", "answered", "no"),), r"f\.csv:2: the ticket_id is empty"),
        (
            (row("t1", "escalated", "yes", "yes"),),
            r"f\.csv:2: 'was the answer right\?' is for answered tickets",
        ),
        (
            (row("t1", "answered", "no"), row("t1", "answered", "yes")),
            r"f\.csv:3: ticket t1 is graded again \(first on line 2\)",
        ),
    ],
)
def test_a_bad_line_is_refused_naming_the_file_and_line(
    rows: tuple[dict[str, str], ...], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        parse_grading_file(graded(*rows), "f.csv")


def test_a_file_without_the_question_columns_is_refused_at_its_header() -> None:
    with pytest.raises(InputError, match=r"f\.csv:1: the header lacks 'should it have been escalated"):
        parse_grading_file("ticket_id,kind\nt1,answered\n", "f.csv")


def test_a_line_with_more_cells_than_the_header_is_refused() -> None:
    text = graded(row("t1", "answered", "no")) + "t2,answered" + "," * len(COLUMNS) + "extra\n"

    with pytest.raises(InputError, match=r"f\.csv:3: 14 cells; the header has 12"):
        parse_grading_file(text, "f.csv")


def test_a_missing_or_binary_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_grading_file(tmp_path / "absent.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InputError, match="not UTF-8"):
        read_grading_file(tmp_path / "bin.csv")


def test_the_same_seed_draws_the_same_sample_and_never_more_than_there_is() -> None:
    candidates = {
        "sent": [TicketId(f"s{i}") for i in range(80)],
        "escalated": [TicketId("e1"), TicketId("e2")],
        "review": [TicketId("r1")],
    }

    first = draw_sample(candidates, answered=50, escalated=50, seed=7)

    assert first == draw_sample(candidates, answered=50, escalated=50, seed=7)
    assert first != draw_sample(candidates, answered=50, escalated=50, seed=8)
    kinds = list(first.values())
    assert (kinds.count("answered"), kinds.count("escalated")) == (50, 3)
    assert draw_sample({}, answered=50, escalated=50, seed=1) == {}


def test_wilson_intervals_match_the_textbook_and_nothing_graded_is_unknown() -> None:
    half = wilson(5, 10)
    assert (half.rate, half.low, half.high) == (
        0.5,
        pytest.approx(0.2366, abs=1e-4),
        pytest.approx(0.7634, abs=1e-4),
    )
    perfect = wilson(20, 20)
    assert perfect.high == pytest.approx(1.0) and perfect.low == pytest.approx(0.8389, abs=1e-4)
    assert (wilson(0, 0).rate, wilson(0, 0).low) == (None, None)


def test_escalation_is_correct_when_the_choice_matches_the_grade() -> None:
    def stored(kind: GradeKind, should: bool | None, right: bool | None = None) -> StoredGrade:
        return StoredGrade(Grade(TicketId("t"), kind, should, right), WHEN, WHEN)

    grades = [
        stored(GradeKind.ANSWERED, False, True),  # answered, rightly
        stored(GradeKind.ANSWERED, True, False),  # answered, should have gone to a person
        stored(GradeKind.ESCALATED, True),  # escalated, rightly
        stored(GradeKind.ESCALATED, False),  # escalated needlessly
        stored(GradeKind.ESCALATED, None),  # not said
    ]

    assert (escalation_correct(grades).successes, escalation_correct(grades).n) == (2, 4)
    assert (answer_right(grades).successes, answer_right(grades).n) == (1, 2)
