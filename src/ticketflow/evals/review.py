"""The monthly review: draw a random sample of answered and escalated tickets, read back the graded file,
and the rates the grades give, each with its Wilson interval.

The grading file is CSV, one ticket per line, so it opens in any spreadsheet: the grader reads the customer's
text and what ticketflow did, and answers the two questions in the last columns (``yes`` or ``no``; a line
left blank is not graded). ``was the answer right?`` is asked of answered tickets only.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ticketflow.domain.ids import TicketId
from ticketflow.domain.reports import Grade, GradeKind, ReviewItem, StoredGrade
from ticketflow.errors import InputError

SHOULD_ESCALATE = "should it have been escalated? (yes/no)"
ANSWER_RIGHT = "was the answer right? (yes/no; answered tickets only)"
COLUMNS = (
    "ticket_id",
    "kind",
    "received_at",
    "channel",
    "intent",
    "reason",
    "customer_text",
    "reply",
    SHOULD_ESCALATE,
    ANSWER_RIGHT,
    "grader",
    "note",
)
REQUIRED = ("ticket_id", "kind", SHOULD_ESCALATE, ANSWER_RIGHT)
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})
_BLANK = frozenset({"", "n/a", "na", "-"})
ANSWERED_OUTCOMES = ("sent",)
ESCALATED_OUTCOMES = ("escalated", "review")


def draw_sample(
    candidates: dict[str, list[TicketId]], *, answered: int, escalated: int, seed: int
) -> dict[TicketId, str]:
    """Up to ``answered`` sent and ``escalated`` handed-off tickets, drawn at random with ``seed`` (the same
    seed over the same tickets draws the same sample); ticket id to its kind, answered first."""
    rng = random.Random(seed)
    picked: dict[TicketId, str] = {}
    for kind, outcomes, n in (
        (GradeKind.ANSWERED, ANSWERED_OUTCOMES, answered),
        (GradeKind.ESCALATED, ESCALATED_OUTCOMES, escalated),
    ):
        pool = [t for outcome in outcomes for t in candidates.get(outcome, [])]
        for ticket_id in rng.sample(pool, min(max(n, 0), len(pool))):
            picked[ticket_id] = kind.value
    return picked


def write_grading_file(items: Iterable[ReviewItem], out: Path) -> int:
    """Write the sample to ``out`` as the grading CSV (UTF-8 with a BOM, for spreadsheets); how many."""
    count = 0
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for item in items:
            writer.writerow(
                (
                    item.ticket_id,
                    item.kind.value,
                    item.received_at.isoformat(timespec="seconds"),
                    item.channel,
                    item.intent or "",
                    item.reason or "",
                    item.customer_text,
                    item.reply or "",
                    "",
                    "" if item.kind is GradeKind.ANSWERED else "n/a",
                    "",
                    "",
                )
            )
            count += 1
    return count


@dataclass(frozen=True, slots=True)
class GradedFile:
    """A grading file read back: its grades, the line each came from, and how many lines were left blank."""

    grades: tuple[Grade, ...]
    lines: dict[TicketId, int]
    ungraded: int


def _answer(value: str | None, column: str, where: str) -> bool | None:
    text = (value or "").strip().lower()
    if text in _BLANK:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InputError(f"{where}: {column!r} is {value!r}; write yes or no (or leave it blank)")


def _grade(row: dict[str, str | None], where: str) -> Grade | None:
    ticket_id = (row.get("ticket_id") or "").strip()
    if not ticket_id:
        raise InputError(f"{where}: the ticket_id is empty")
    kind_text = (row.get("kind") or "").strip().lower()
    try:
        kind = GradeKind(kind_text)
    except ValueError:
        raise InputError(f"{where}: kind is {kind_text!r}; it must be answered or escalated") from None
    should = _answer(row.get(SHOULD_ESCALATE), "should it have been escalated?", where)
    right = _answer(row.get(ANSWER_RIGHT), "was the answer right?", where)
    if kind is GradeKind.ESCALATED and right is not None:
        raise InputError(f"{where}: 'was the answer right?' is for answered tickets; leave it n/a here")
    if should is None and right is None:
        return None
    grader, note = (row.get("grader") or "").strip(), (row.get("note") or "").strip()
    return Grade(TicketId(ticket_id), kind, should, right, grader or None, note or None)


def parse_grading_file(text: str, name: str) -> GradedFile:
    """The grades in a grading CSV; a bad line raises ``InputError`` naming ``name`` and its line number."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"{name}:1: the header lacks {', '.join(repr(c) for c in missing)}")
    grades: list[Grade] = []
    lines: dict[TicketId, int] = {}
    ungraded = 0
    start = reader.line_num + 1
    for row in reader:
        where = f"{name}:{start}"
        if None in row:  # more cells than the header has columns
            raise InputError(f"{where}: {len(header) + len(row[None])} cells; the header has {len(header)}")
        grade = _grade(row, where)
        if grade is None:
            ungraded += 1
        elif grade.ticket_id in lines:
            first = lines[grade.ticket_id]
            raise InputError(f"{where}: ticket {grade.ticket_id} is graded again (first on line {first})")
        else:
            grades.append(grade)
            lines[grade.ticket_id] = start
        start = reader.line_num + 1
    return GradedFile(tuple(grades), lines, ungraded)


def read_grading_file(path: Path) -> GradedFile:
    """:func:`parse_grading_file` of a file; a missing or undecodable file is an ``InputError`` too."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return parse_grading_file(text, str(path))
    except csv.Error as exc:
        raise InputError(f"{path}: not a CSV file ({exc})") from None


@dataclass(frozen=True, slots=True)
class RateEstimate:
    """A rate from graded tickets: ``successes`` of ``n``, with its 95% Wilson score interval."""

    successes: int
    n: int
    low: float | None
    high: float | None

    @property
    def rate(self) -> float | None:
        """``successes / n``; None when nothing was graded."""
        return self.successes / self.n if self.n else None


def wilson(successes: int, n: int, confidence: float = 0.95) -> RateEstimate:
    """The rate and its Wilson score interval (good at small n and near 0 or 1, unlike the normal one)."""
    if n == 0:
        return RateEstimate(0, 0, None, None)
    from scipy.stats import binomtest  # scipy is heavy; only reports load it

    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return RateEstimate(successes, n, float(interval.low), float(interval.high))


def escalation_correct(grades: Sequence[StoredGrade]) -> RateEstimate:
    """How often answering or handing off was the right choice, over the grades that say."""
    judged = [g.grade.escalation_correct for g in grades if g.grade.escalation_correct is not None]
    return wilson(sum(judged), len(judged))


def answer_right(grades: Sequence[StoredGrade]) -> RateEstimate:
    """How often an answered ticket's reply was right, over the answered grades that say."""
    judged = [g.grade.answer_right for g in grades if g.grade.kind is GradeKind.ANSWERED]
    said = [j for j in judged if j is not None]
    return wilson(sum(said), len(said))
