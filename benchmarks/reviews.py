"""The review desk under contention: agents racing for the oldest reviews, and the cost of re-validation.

::

    python -m benchmarks.reviews [--backend sqlite|postgresql] [--database-url URL] [--reviews 200]
                                 [--agents 8] [--checks 30] [--json]

- **contention**: ``--agents`` threads work one queue of ``--reviews`` handed-off tickets as agents do: list
  the oldest due, claim the first, reject it (which closes it); a refused claim (409) moves on to the next.
  Printed: reviews closed per second, refused claims, and the invariant counted from the store (each review
  closed exactly once, by the agent whose claim won). PostgreSQL's ``public`` and ``dbos`` schemas are
  DROPPED.
- **re-validation**: ``ReviewDesk.check`` (context built again, every check) on ``--checks`` replies, p50/p95.

Figures are wall-clock on this machine; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any

from benchmarks._servers import WORKSPACE, make_backend
from ticketflow.domain.access import Principal, Scope
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.domain.outcome import Handoff
from ticketflow.domain.reviews import ReviewAction, ReviewClosed, ReviewConflict, ReviewFilter
from ticketflow.evals.metrics import percentile
from ticketflow.runtime.reviews import ReviewDesk
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine

DRAFT = "Hello, we are sorry the blender arrived broken. We will refund it as soon as we receive it back."


def _desk(engine: Engine) -> ReviewDesk:
    assert engine.store is not None
    return ReviewDesk(
        engine.store.review_desk,
        engine.store.tickets,
        engine.pipeline,
        engine.settings.reviews,
        engine.workspace.rules.business_hours,
        dispatch=lambda *_: None,  # nothing is sent: the benchmark closes reviews by rejecting them
    )


def _seed(engine: Engine, count: int, prefix: str = "bench") -> list[str]:
    assert engine.store is not None
    ids: list[str] = []
    for n in range(count):
        message = InboundMessage(
            "zendesk", f"{prefix}-{n}", CustomerRef(email=f"c{n}@example.com"), "The blender arrived broken."
        )
        ticket_id = engine.store.accept(message).ticket_id
        engine.store.queue_review(ticket_id, "refund", Handoff("refund", "refund", suggested_reply=DRAFT))
        ids.append(ticket_id)
    return ids


def contention(desk: ReviewDesk, agents: int) -> dict[str, Any]:
    """Agents work the queue until it is empty; returns the figures."""
    closed: list[str] = []
    refused = [0]
    lock = threading.Lock()
    start = threading.Barrier(agents)

    def work(agent: Principal) -> None:
        start.wait()
        while True:
            waiting = desk.queue(ReviewFilter(limit=agents))
            if not waiting:
                return
            for item in waiting:
                try:
                    desk.claim(item.ticket_id, agent)
                except (ReviewConflict, ReviewClosed):
                    with lock:
                        refused[0] += 1
                    continue
                desk.reject(item.ticket_id, agent, "benchmark")
                with lock:
                    closed.append(item.ticket_id)
                break

    people = [Principal("key", f"bench{i}", f"agent {i}", frozenset({Scope.AGENT})) for i in range(agents)]
    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {"closed": len(closed), "distinct": len(set(closed)), "refused": refused[0], "seconds": elapsed}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reviews", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (its schemas are DROPPED)")
    parser.add_argument("--reviews", type=int, default=200)
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--checks", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    backend = make_backend(args.backend, args.database_url, "reviews")
    settings = Settings.load(
        WORKSPACE,
        data_dir=backend.folder / "var",
        database_url=backend.app_url,
        system_database_url=backend.system_url,
    )
    engine = Engine.from_workspace(settings=settings)
    try:
        desk = _desk(engine)
        ids = _seed(engine, args.reviews)
        raced = contention(desk, args.agents)
        assert engine.store is not None
        history = [desk.item(t).history for t in ids]
        rejects = [sum(e.action is ReviewAction.REJECT for e in h) for h in history]
        # the one reject of each review is by the agent whose claim preceded it
        by_winner = sum(h[-1].actor == h[-2].actor and h[-2].action is ReviewAction.CLAIM for h in history)
        probe = Principal("key", "bench-check", "checker", frozenset({Scope.AGENT}))
        [checked] = _seed(engine, 1, prefix="bench-check")
        desk.claim(checked, probe, lease_s=3600)
        times = []
        for n in range(args.checks):
            began = time.perf_counter()
            desk.check(checked, probe, f"{DRAFT} Your order number is {1000 + n}.")
            times.append((time.perf_counter() - began) * 1000)
        figures = {
            "backend": args.backend,
            "agents": args.agents,
            "reviews": args.reviews,
            "closed": raced["closed"],
            "closed_once": sum(r == 1 for r in rejects),
            "closed_by_claim_winner": by_winner,
            "refused_claims": raced["refused"],
            "closed_per_s": round(raced["closed"] / raced["seconds"], 1),
            "check_p50_ms": round(percentile(times, 50), 1),
            "check_p95_ms": round(percentile(times, 95), 1),
        }
    finally:
        engine.close()
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{args.backend}: {args.agents} agents closed {figures['closed']} of {args.reviews} reviews"
            f" ({figures['closed_once']} exactly once, {figures['closed_by_claim_winner']} by the claim's"
            f" winner) at {figures['closed_per_s']}/s, {figures['refused_claims']} claims refused (409)\n"
            f"re-validation (ReviewDesk.check) n={len(times)}: p50={figures['check_p50_ms']} ms"
            f"  p95={figures['check_p95_ms']} ms"
        )
    return figures


if __name__ == "__main__":
    main()
