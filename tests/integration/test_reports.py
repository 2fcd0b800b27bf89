"""A seeded fortnight renders as HTML, Markdown and JSON with its plots, and the review's grades reach it,
on SQLite and (with ``TICKETFLOW_TEST_DATABASE_URL``) PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import STORE
from ticketflow.cli import app
from ticketflow.domain.ids import TicketId
from ticketflow.domain.reports import Grade, GradeKind
from ticketflow.evals.periods import period_ending
from ticketflow.evals.report import build_report
from ticketflow.evals.report_render import write_report
from ticketflow.evals.review import ANSWER_RIGHT, SHOULD_ESCALATE
from ticketflow.evals.seeding import seed_period
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.reports import ReportStores, stores_of

UNTIL = datetime(2026, 11, 30, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"
SECTIONS = ("volumes", "automation", "escalation", "cost", "latency", "validation", "review")


def seed(engine: Engine, counts: tuple[int, int] = (12, 18)) -> None:
    rng = random.Random(5)
    week = timedelta(days=7)
    examples = engine.workspace.examples
    seed_period(engine, examples, start=UNTIL - 2 * week, days=7, count=counts[0], rng=rng, tag="a")
    seed_period(engine, examples, start=UNTIL - week, days=7, count=counts[1], rng=rng, tag="b")


def stores(engine: Engine) -> ReportStores:
    assert engine.store is not None
    return stores_of(engine.store)


def test_a_seeded_week_renders_html_md_and_json_with_a_plot_per_section(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine)

    report = build_report(stores(engine), period_ending("week", UNTIL), now=UNTIL)
    for fmt in ("html", "md", "json"):
        write_report(report, fmt, tmp_path / f"week.{fmt}")

    assert report.tickets == (18, 12)
    data = json.loads((tmp_path / "week.json").read_text())
    assert [s["id"] for s in data["sections"]] == list(SECTIONS)
    volumes = {r["label"]: r for r in data["sections"][0]["rows"]}
    assert (volumes["tickets"]["current"], volumes["tickets"]["previous"]) == (18, 12)
    html = (tmp_path / "week.html").read_text()
    assert html.count('src="data:image/png;base64,') == len(SECTIONS)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # self-contained: nothing fetched
    md = (tmp_path / "week.md").read_text()
    for section in SECTIONS:
        assert f"](week-{section}.png)" in md
        assert (tmp_path / f"week-{section}.png").read_bytes().startswith(PNG)


def test_grades_replace_earlier_ones_and_an_unknown_ticket_stores_nothing(engine: Engine) -> None:
    assert engine.store is not None
    seed(engine, (0, 3))
    sent = stores(engine).facts.review_candidates(UNTIL - timedelta(days=7), UNTIL)
    ticket = next(iter(t for ids in sent.values() for t in ids))
    grades = stores(engine).grades

    grades.record_grades([Grade(ticket, GradeKind.ANSWERED, True, False)], at=UNTIL)
    grades.record_grades([Grade(ticket, GradeKind.ANSWERED, False, True, "ana")], at=UNTIL)
    with pytest.raises(KeyError, match="nope"):
        grades.record_grades(
            [
                Grade(ticket, GradeKind.ANSWERED, True, True),
                Grade(TicketId("nope"), GradeKind.ANSWERED, True, True),
            ],
            at=UNTIL,
        )

    (stored,) = grades.grades(UNTIL - timedelta(days=7), UNTIL)
    assert stored.grade == Grade(ticket, GradeKind.ANSWERED, False, True, "ana")


def test_the_monthly_review_from_sample_to_grades_to_the_report(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine)
    monkeypatch.setenv("TICKETFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TICKETFLOW_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    sample = tmp_path / "sample.csv"
    until = ["--until", "2026-11-30", "--workspace", str(STORE)]

    drawn = runner.invoke(
        app,
        [
            "review",
            "sample",
            "--answered",
            "4",
            "--escalated",
            "2",
            "--seed",
            "3",
            "--out",
            str(sample),
            *until,
        ],
    )
    assert drawn.exit_code == 0, drawn.output
    rows = list(csv.DictReader(io.StringIO(sample.read_text(encoding="utf-8-sig"))))
    assert [r["kind"] for r in rows].count("answered") == 4
    assert all(r["customer_text"] for r in rows)
    for r in rows:
        r[SHOULD_ESCALATE] = "no" if r["kind"] == "answered" else "yes"
        r[ANSWER_RIGHT] = "yes" if r["kind"] == "answered" else "n/a"
    rows[0][ANSWER_RIGHT] = "no"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([*rows[:2], rows[2] | {SHOULD_ESCALATE: "perhaps"}])
    refused = runner.invoke(app, ["review", "grade", str(bad), "--workspace", str(STORE)])
    assert refused.exit_code == 2
    lines = bad.read_text(encoding="utf-8").splitlines()
    third = 1 + next(n for n, line in enumerate(lines) if line.startswith(rows[2]["ticket_id"]))
    assert f"bad.csv:{third}:" in refused.output and "perhaps" in refused.output
    with sample.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    stored = runner.invoke(app, ["review", "grade", str(sample), "--grader", "qa", "--workspace", str(STORE)])
    assert stored.exit_code == 0, stored.output
    shown = runner.invoke(app, ["report", "--period", "month", "--format", "json", *until])

    assert shown.exit_code == 0, shown.output
    review = {r["label"]: r for r in json.loads(shown.stdout)["sections"][-1]["rows"]}
    assert review["escalation correct"]["current_estimate"]["n"] == 6
    assert review["escalation correct"]["current"] == 1.0
    assert review["answer right"]["current_estimate"] | {"low": None, "high": None} == {
        "rate": 0.75,
        "successes": 3,
        "n": 4,
        "low": None,
        "high": None,
    }
