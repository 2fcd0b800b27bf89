"""What the offline path sends to messages nobody here wrote: outcomes by route, and the sent replies.

``PYTHONPATH=src python -m benchmarks.what_is_sent ../shared/datasets/twitter-airline/dev.jsonl [N]`` runs
the sample store's engine (no store, offline drafter) over the first ``N`` records (default 300) and
prints the outcome and route counts, then each message that got a reply with the reply's first line. A
development check, read by a person: an airline tweet sent to a home-goods store should be declined or
handed off, never answered with a store passage. Records are read, never copied into the project.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from ticketflow.domain.outcome import Outcome
from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.wiring.engine import Engine

WORKSPACE = Path(__file__).resolve().parents[1] / "examples" / "store"


def main(argv: list[str]) -> None:
    path = Path(argv[0])
    if not path.exists():
        print(f"skipped: {path} is absent")
        return
    limit = int(argv[1]) if len(argv) > 1 else 300
    engine = Engine.from_workspace(WORKSPACE, with_store=False)
    records = read_records(path)[:limit]
    results = [engine.process(ticket_from_record(r)) for r in records]
    outcomes = Counter(r.delivery.outcome.value for r in results)
    routes = Counter((r.decision.route.value, r.delivery.outcome.value) for r in results)
    reasons = Counter(r.delivery.reason for r in results if r.delivery.outcome is not Outcome.SENT)
    print(f"{len(results)} records from {path.name}: {dict(outcomes)}")
    print(f"route -> outcome: {dict(routes)}")
    print(f"reasons (not sent): {dict(reasons.most_common(12))}")
    for record, result in zip(records, results, strict=True):
        if result.delivery.outcome is Outcome.SENT:
            body = (result.delivery.body or "").strip().splitlines()
            first = next((line for line in body[1:] if line.strip()), body[0] if body else "")
            print(f"SENT [{result.decision.route.value} {result.decision.intent}] {record.text[:90]!r}")
            print(f"     -> {first[:110]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
