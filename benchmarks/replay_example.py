"""Seed a week of tickets through the offline pipeline, then replay them with variants (ticketflow replay).

::

    python -m benchmarks.replay_example [--tickets 120] [--records FILE] [--out DIR] [--database-url URL]
        [--variant routing.tone_threshold=0.3 ...]

The week of 23–29 November 2026 gets ``--tickets`` copies of the sample store's labelled examples (or of
``--records``, a ticket-eval JSONL file such as ``../shared/datasets/bitext/dev.jsonl``: tickets the router
was not trained on) arriving at drawn times (``evals.seeding``, seeded), handled by the real in-process
pipeline with the offline drafter.
Then each ``--variant`` (by default: a lower tone threshold, a cheaper model, a smaller context budget, and
a variant equal to the workspace's own value as an A/A check) is replayed against that store with the
``ticketflow replay`` command itself, and one line of figures is printed per variant. The first variant's
report is written to ``--out`` as Markdown (PNGs beside it) and JSON. Nothing is replayed into the store:
the script checks that no table gained a row.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ticketflow.cli import app
from ticketflow.evals.records import read_records
from ticketflow.evals.seeding import seed_period
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "examples" / "store"
SINCE = datetime(2026, 11, 23, tzinfo=UTC)
VARIANTS = (
    "routing.tone_threshold=0.3",
    "models.generation=claude-haiku-5-5",
    "context.token_budget=300",
    "context.passages=3",
)
TABLES = ("tickets", "messages", "outbox", "reviews", "ledger", "audit_log", "attempts")


def rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() or 0) for t in TABLES}
    engine.dispose()
    return found


def replay(variant: str, fmt: str, out: Path) -> float:
    """``ticketflow replay`` in this process; seconds it took."""
    args = ["replay", "--since", f"{SINCE:%Y-%m-%d}", "--until", f"{SINCE + timedelta(days=7):%Y-%m-%d}"]
    workspace = os.path.relpath(WORKSPACE)  # as a reader would type it, not this machine's path
    args += ["--variant", variant, "--format", fmt, "--out", str(out), "--workspace", workspace]
    started = time.perf_counter()
    try:
        app(args, standalone_mode=False)
    except SystemExit as exc:  # typer exits 0 after a command in some versions
        if exc.code not in (0, None):
            raise
    return time.perf_counter() - started


def line(variant: str, data: dict[str, Any], seconds: float) -> str:
    figures = {f["label"]: f for f in data["figures"]}

    def rate(label: str) -> str:
        f = figures.get(label)
        if f is None:
            return f"{label} –"
        low, high = (v * 100 for v in f["interval"])
        return (
            f"{label} {f['a']:.1%}→{f['b']:.1%} ({f['diff'] * 100:+.1f} pp [{low:+.1f}, {high:+.1f}], "
            f"p={f['p_value']:.3g})"
        )

    cost, tokens = figures["cost per ticket"], figures["input tokens per ticket"]
    return (
        f"{variant}: {len(data['changed'])} of {data['tickets']['replayed']} changed; "
        f"{rate('automated (sent)')}; {rate('escalated')}; cost/ticket ${cost['a']:.5f}→${cost['b']:.5f} "
        f"({cost['diff']:+.5f} [{cost['interval'][0]:+.5f}, {cost['interval'][1]:+.5f}]); "
        f"input tokens/ticket {tokens['a']:.0f}→{tokens['b']:.0f} ({tokens['diff']:+.0f} "
        f"[{tokens['interval'][0]:+.0f}, {tokens['interval'][1]:+.0f}]); {seconds:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=120)
    parser.add_argument("--records", type=Path, default=None, help="default: the store's examples.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "replay")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--variant", action="append", help="replay these instead of the defaults")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="tf-replay-"))
    url = args.database_url or f"sqlite:///{scratch / 'ticketflow.sqlite'}"
    os.environ.update(TICKETFLOW_DATABASE_URL=url, TICKETFLOW_DATA_DIR=str(scratch / "var"))
    settings = Settings.load(WORKSPACE, provider="offline")
    engine = Engine.from_workspace(settings=settings)
    records = read_records(args.records) if args.records else engine.workspace.examples
    started = time.perf_counter()
    seed_period(
        engine, records, start=SINCE, days=7, count=args.tickets,
        rng=random.Random(20261123), tag="w48",
    )  # fmt: skip
    engine.close()
    print(f"seeded {args.tickets} tickets in {time.perf_counter() - started:.1f} s")
    before = rows(url)
    args.out.mkdir(parents=True, exist_ok=True)
    for n, variant in enumerate(args.variant or VARIANTS):
        target = scratch / "replay.json"
        seconds = replay(variant, "json", target)
        print(line(variant, json.loads(target.read_text()), seconds))
        if n == 0:
            shutil.copy(target, args.out / "replay-example.json")
            replay(variant, "md", args.out / "replay-example.md")
    assert rows(url) == before, "a replay wrote to the store"
    print(f"no table gained a row ({', '.join(f'{t} {c}' for t, c in before.items())})")
    print(f"wrote {args.out}/replay-example.{{md,json}} and the md's PNGs")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
