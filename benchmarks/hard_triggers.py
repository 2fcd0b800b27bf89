"""How much a new workspace's hard triggers escalate on their own, before any ticket is labelled.

``PYTHONPATH=src python -m benchmarks.hard_triggers ../shared/datasets/bitext/dev.jsonl [RULES.yaml …]``
routes every record with no intent model (as a workspace without labelled tickets does) under each rules
file (default: the scaffold's, ``ticketflow init``'s) and prints escalation precision and recall against
the records' ``route`` labels, and per gold escalation reason how many escalated. Records are read, never
copied into the project.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from ticketflow.evals.records import read_records, ticket_from_record
from ticketflow.knowledge.workspace.rules import load_rules
from ticketflow.pipeline.routing import Router

SCAFFOLD = Path(__file__).resolve().parents[1] / "src" / "ticketflow" / "scaffold" / "rules.yaml"


def main(argv: list[str]) -> None:
    path = Path(argv[0])
    if not path.exists():
        print(f"skipped: {path} is absent")
        return
    records = read_records(path)
    for rules_path in [Path(p) for p in argv[1:]] or [SCAFFOLD]:
        router = Router(load_rules(rules_path), None)
        hits, gold, predicted, by_reason = 0, 0, 0, Counter[str]()
        for record in records:
            should = record.labels.get("route") == "escalate"
            did = router.run(ticket_from_record(record)).route.value == "escalate"
            hits, gold, predicted = hits + (should and did), gold + should, predicted + did
            if should:
                by_reason[f"{record.labels.get('escalation_reason')} of"] += 1
                by_reason[f"{record.labels.get('escalation_reason')} escalated"] += did
        precision = hits / predicted if predicted else 0.0
        recall = hits / gold if gold else 0.0
        figures = f"escalation precision {precision:.3f}, recall {recall:.3f} ({predicted} escalated)"
        print(f"{rules_path}: {figures}")
        reasons = sorted({key.rsplit(" ", 1)[0] for key in by_reason})
        print("  " + ", ".join(f"{r} {by_reason[r + ' escalated']}/{by_reason[r + ' of']}" for r in reasons))


if __name__ == "__main__":
    main(sys.argv[1:])
