"""Seed two weeks of tickets through the offline pipeline, grade a review sample, render the weekly report.

::

    python -m benchmarks.report_example [--out docs/reports] [--database-url URL]

The previous week (16–22 November 2026) gets 180 tickets and the reported week (23–29 November) 230, each a
copy of one of the sample store's labelled examples arriving at a drawn time (``evals.seeding``), handled by
the real in-process pipeline with the offline drafter (so costs are projections). The monthly review's sample
is drawn as ``ticketflow review sample`` draws it and graded from the examples' own labels, which say whether
a ticket should have been escalated but not whether a reply was right: "answer right" stays ungraded, and the
grader is named ``labels``. Prints the figures it wrote and how long seeding took.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketflow.domain.ids import TicketId
from ticketflow.evals.periods import period_ending
from ticketflow.evals.report import build_report
from ticketflow.evals.report_render import write_report
from ticketflow.evals.review import SHOULD_ESCALATE, draw_sample, parse_grading_file, write_grading_file
from ticketflow.evals.seeding import seed_period
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.reports import ReportStores, stores_of

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "examples" / "store"
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)
COUNTS = (180, 230)


def grade_from_labels(engine: Engine, stores: ReportStores, until: datetime, out_dir: Path) -> int:
    """Draw the month's review sample and answer "should it have been escalated?" from the example labels."""
    assert engine.store is not None
    period = period_ending("month", until)
    sample = draw_sample(
        stores.facts.review_candidates(period.since, period.until), answered=50, escalated=50, seed=2026
    )
    labels = {r.id: r.labels.get("route") == "escalate" for r in engine.workspace.examples}
    path = out_dir / "review-sample.csv"
    write_grading_file(stores.facts.review_items(sample), path)
    import csv

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    for row in rows:
        view = engine.store.view(TicketId(row["ticket_id"]))
        assert view is not None
        record_id = view.external_id.split("-", 2)[2]
        row[SHOULD_ESCALATE] = "yes" if labels[record_id] else "no"
        row["grader"] = "labels"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    graded = parse_grading_file(buffer.getvalue(), "review-sample.csv")
    path.unlink()
    return stores.grades.record_grades(list(graded.grades), at=until)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reports")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="tf-report-"))
    url = args.database_url or f"sqlite:///{scratch / 'ticketflow.sqlite'}"
    settings = Settings.load(WORKSPACE, data_dir=scratch / "var", database_url=url)
    engine = Engine.from_workspace(settings=settings)
    assert engine.store is not None
    rng = random.Random(20261130)
    started = time.perf_counter()
    week = timedelta(days=7)
    for tag, start, count in (("w47", UNTIL - 2 * week, COUNTS[0]), ("w48", UNTIL - week, COUNTS[1])):
        seed_period(engine, engine.workspace.examples, start=start, days=7, count=count, rng=rng, tag=tag)
    seeded = time.perf_counter() - started
    stores = stores_of(engine.store)
    graded = grade_from_labels(engine, stores, UNTIL, scratch)
    report = build_report(stores, period_ending("week", UNTIL), now=UNTIL)
    args.out.mkdir(parents=True, exist_ok=True)
    for fmt in ("html", "md", "json"):
        write_report(report, fmt, args.out / f"week-2026-11-23.{fmt}")
    engine.close()
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"seeded {sum(COUNTS)} tickets in {seeded:.1f} s ({sum(COUNTS) / seeded:.1f}/s); graded {graded}")
    for section in report.sections:
        for row in section.rows[:3]:
            print(
                f"{section.id:<11} {row.label:<28} {row.trend.current!s:>24} (previous {row.trend.previous})"
            )
    print(f"wrote {args.out}/week-2026-11-23.{{html,md,json}} and the md's PNGs")


if __name__ == "__main__":
    main()
