"""Load: parallel clients post bursts of messages to a real server, then two intake races.

::

    python -m benchmarks.load [--backend sqlite|postgresql] [--clients 4] [--duration 30]
                              [--model-latency-ms 1000] [--workers K] [--json]

A server (and, on PostgreSQL, ``--workers`` extra ``ticketflow worker`` processes) runs as a subprocess on
loopback with the offline drafter, whose simulated latency stands in for the model. ``--clients`` threads
each post ``--burst`` distinct, valid messages back to back, pause ``--pause`` s, and repeat until
``--duration`` s or ``--max-requests`` have passed; then the benchmark waits (at most ``--drain-timeout`` s)
for every accepted ticket to be ``done``. End-to-end latency is the server's own accept time
(``received_at``) to its finish time (``updated_at``), read from the database.

``--prefill N`` measures the engine alone, without the HTTP intake sharing its process: N messages are
stored as queued tickets before any server starts (as if accepted and then the process died), so the
runtime finds the whole backlog at start; ``drain_per_s`` is then N over the time from the first ticket
done to the last. Use it with ``--duration 0 --skip-races``.

The two races, after the load has drained:

(a) ``--race-size`` (20) parallel *different* messages that open the same new conversation, x ``--rounds``;
(b) ``--identical`` (50) parallel copies of one message, x ``--rounds``.

Expected: no 5xx anywhere; (a) creates 20 tickets per round, (b) one ticket and one ``duplicate: false``
answer per round. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa

from benchmarks._servers import (
    Backend,
    Proc,
    common_options,
    done_times,
    headers,
    make_backend,
    message,
    ms,
    print_report,
    provision_api_key,
    sample_messages,
    server_env,
    start_cluster,
    status_counts,
    stop_all,
    workflow_counts,
)


@dataclass
class Tally:
    """What the clients saw: statuses, accept latencies, accepted ticket ids. Shared by the threads."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    accepted: dict[str, bool] = field(default_factory=dict)  # ticket id -> last answer's duplicate flag
    fresh: int = 0  # 202 answers saying duplicate: false, i.e. "this request created the ticket"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response | None, error: str | None, seconds: float) -> None:
        with self.lock:
            if response is None:
                self.statuses[error or "transport error"] += 1
                return
            self.statuses[str(response.status_code)] += 1
            if response.status_code == 202:
                self.latencies.append(seconds)
                body = response.json()
                self.accepted[body["ticket_id"]] = bool(body.get("duplicate"))
                self.fresh += not body.get("duplicate")


def post(client: httpx.Client, body: dict[str, Any], tally: Tally) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = client.post("/v1/messages", json=body)
    except httpx.HTTPError as exc:
        tally.record(None, type(exc).__name__, time.perf_counter() - started)
        return None
    tally.record(response, None, time.perf_counter() - started)
    return response


def steady_load(base: str, args: argparse.Namespace, run: str) -> tuple[Tally, float]:
    """``args.clients`` threads posting bursts until the duration or the request cap; (tally, seconds)."""
    samples = sample_messages()
    tally = Tally()
    numbers = itertools.count()
    deadline = time.monotonic() + args.duration

    def client_loop() -> None:
        with httpx.Client(base_url=base, headers=headers(args.api_key), timeout=30) as client:
            while time.monotonic() < deadline:
                for _ in range(args.burst):
                    n = next(numbers)
                    if n >= args.max_requests or time.monotonic() >= deadline:
                        return
                    post(client, message(samples, n, f"load-{run}-{n}"), tally)
                time.sleep(args.pause)

    started = time.monotonic()
    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.duration + 60)
    return tally, time.monotonic() - started


def drain(backend: Backend, ids: set[str], timeout: float) -> float:
    """Wait until every id in ``ids`` is done (at most ``timeout`` s); the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout and not ids <= set(done_times(backend)):
        time.sleep(0.5)
    return time.monotonic() - started


def burst(base: str, api_key: str | None, bodies: list[dict[str, Any]]) -> Tally:
    """Send ``bodies`` at once: one thread each, released together by a barrier."""
    tally = Tally()
    gate = threading.Barrier(len(bodies))
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    with httpx.Client(base_url=base, headers=headers(api_key), timeout=60, limits=limits) as client:
        client.get("/healthz")  # one warm connection; the rest open in the race itself

        def one(body: dict[str, Any]) -> None:
            gate.wait(timeout=30)
            post(client, body, tally)

        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            list(pool.map(one, bodies))
    return tally


def count_tickets(backend: Backend, where: str, value: str) -> int:
    """Tickets whose ``where`` (a column of ``tickets t`` or ``conversations c``) is ``value``."""
    with backend.engine.connect() as conn:
        query = "SELECT count(*) FROM tickets t JOIN conversations c ON c.id = t.conversation_id"
        return int(conn.execute(sa.text(f"{query} WHERE {where} = :v"), {"v": value}).scalar_one())


def races(base: str, backend: Backend, args: argparse.Namespace, run: str) -> dict[str, Any]:
    samples = sample_messages()
    same_conv: dict[str, Any] = {"statuses": Counter(), "tickets_created": 0, "expected": 0, "ids": set()}
    for r in range(args.rounds):
        conversation = f"race-{run}-{r}"
        bodies = [
            message(samples, n, f"race-a-{run}-{r}-{n}", conversation_id=conversation)
            for n in range(args.race_size)
        ]
        tally = burst(base, args.api_key, bodies)
        same_conv["statuses"].update(tally.statuses)
        # conversation ids are random: the conversation is found by the channel's reference to it
        same_conv["tickets_created"] += count_tickets(backend, "c.external_ref", conversation)
        same_conv["expected"] += args.race_size
        same_conv["ids"] |= set(tally.accepted)
    identical: dict[str, Any] = {
        "statuses": Counter(),
        "tickets_created": 0,
        "expected": args.rounds,
        "not_duplicate": 0,
        "ids": set(),
    }
    for r in range(args.rounds):
        body = message(samples, r, f"race-b-{run}-{r}")
        tally = burst(base, args.api_key, [body] * args.identical)
        identical["statuses"].update(tally.statuses)
        identical["tickets_created"] += count_tickets(backend, "t.external_id", body["external_id"])
        identical["not_duplicate"] += tally.fresh
        identical["ids"] |= set(tally.accepted)
    return {"same_conversation": same_conv, "identical": identical}


def prefill(backend: Backend, n: int, run: str) -> set[str]:
    """Store ``n`` distinct messages as queued tickets (no server running yet); their ticket ids."""
    if n <= 0:
        return set()
    from ticketflow.domain.message import CustomerRef, InboundMessage
    from ticketflow.storage.repository import SqlStore

    store = SqlStore.open(backend.app_url)
    samples = sample_messages()
    try:
        ids = set()
        for k in range(n):
            body = message(samples, k, f"prefill-{run}-{k}")
            customer = CustomerRef(email=body["customer"].get("email"), id=body["customer"].get("id"))
            ids.add(
                str(
                    store.accept(
                        InboundMessage("chat", body["external_id"], customer, body["text"])
                    ).ticket_id
                )
            )
    finally:
        store.close()
    return ids


def fivexx(statuses: Counter[str]) -> int:
    return sum(n for s, n in statuses.items() if s.isdigit() and int(s) >= 500)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n")[0])
    common_options(parser)
    parser.add_argument("--clients", type=int, default=4, help="parallel client threads")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--burst", type=int, default=5, help="messages a client posts back to back")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds a client rests between bursts")
    parser.add_argument("--max-requests", type=int, default=5000, help="cap on load requests")
    parser.add_argument("--model-latency-ms", type=float, default=1000.0, help="simulated model latency")
    parser.add_argument("--workers", type=int, default=0, help="extra worker processes (PostgreSQL)")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for processing")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each race")
    parser.add_argument("--race-size", type=int, default=20, help="messages opening one conversation")
    parser.add_argument("--identical", type=int, default=50, help="copies of one message in a race")
    parser.add_argument("--skip-races", action="store_true")
    parser.add_argument("--prefill", type=int, default=0, help="tickets stored before the servers start")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="the API's per-key requests per minute (TICKETFLOW_API__RATE_LIMIT_PER_MINUTE); the default "
        "600 answers 429 past about 12 accepts/s, which then bounds every figure",
    )
    args = parser.parse_args(argv)

    backend = make_backend(args.backend, args.database_url, "load")
    env = server_env(
        backend, TICKETFLOW_PROVIDER="offline", TICKETFLOW_OFFLINE_LATENCY_MS=f"{args.model_latency_ms:g}"
    )
    if args.rate_limit is not None:
        env["TICKETFLOW_API__RATE_LIMIT_PER_MINUTE"] = str(args.rate_limit)
    run = uuid.uuid4().hex[:8]
    procs: list[Proc] = []
    args.api_key = provision_api_key(backend, args.api_key)
    prefilled = prefill(backend, args.prefill, run)
    try:
        procs = start_cluster(backend, env, args.workers, args.api_key)
        base = procs[0].url
        tally, load_s = steady_load(base, args, run)
        ids = set(tally.accepted) | prefilled
        drain_s = drain(backend, ids, args.drain_timeout)
        times = done_times(backend)
        finished = [times[i] for i in ids if i in times]
        e2e = [max(0.0, end - start) for start, end in finished]
        span = (max(e for _, e in finished) - min(s for s, _ in finished)) if finished else 0.0
        ends = sorted(e for _, e in finished)
        drain_span = ends[-1] - ends[0] if len(ends) > 1 else 0.0
        report: dict[str, Any] = {
            "backend": args.backend,
            "clients": args.clients,
            "duration_s": args.duration,
            "workers": args.workers,
            "model_latency_ms": args.model_latency_ms,
            "sent": sum(tally.statuses.values()),
            "statuses": dict(tally.statuses),
            "accepted": len(ids),
            "duplicate_answers": len(tally.latencies) - tally.fresh,
            "finished": len(finished),
            "unfinished_after_drain": len(ids) - len(finished),
            "fivexx": fivexx(tally.statuses),
            "accept_per_s": round(len(ids) / load_s, 2) if load_s else 0.0,
            "finish_per_s": round(len(finished) / span, 2) if span else 0.0,
            "prefilled": len(prefilled),
            "drain_per_s": round((len(ends) - 1) / drain_span, 2) if drain_span else 0.0,
            "accept_p50_ms": ms(tally.latencies, 50),
            "accept_p95_ms": ms(tally.latencies, 95),
            "e2e_p50_ms": ms(e2e, 50),
            "e2e_p95_ms": ms(e2e, 95),
            "drain_s": round(drain_s, 1),
        }
        if not args.skip_races:
            race = races(base, backend, args, run)
            race_ids = race["same_conversation"]["ids"] | race["identical"]["ids"]
            drain(backend, race_ids, args.drain_timeout)
            done = set(done_times(backend))
            for key, value in race.items():
                report[f"race_{key}"] = {
                    "statuses": dict(value["statuses"]),
                    "fivexx": fivexx(value["statuses"]),
                    "tickets_created": value["tickets_created"],
                    "done": len(value["ids"] & done),
                    **{k: v for k, v in value.items() if k in ("expected", "not_duplicate")},
                }
        report["tickets_by_status"] = status_counts(backend)
        report["workflows_by_status"] = workflow_counts(backend)
    finally:
        stop_all(procs)
        backend.close()
    report["folder"] = str(backend.folder)
    _print(report, args.json)
    return report


def _print(r: dict[str, Any], as_json: bool) -> None:
    rows: list[tuple[str, Any]] = [
        ("backend / clients / workers", f"{r['backend']} / {r['clients']} / {r['workers']}"),
        ("model latency (simulated)", f"{r['model_latency_ms']:g} ms"),
        ("requests sent", r["sent"]),
        ("responses by status", dict(sorted(r["statuses"].items()))),
        ("5xx", r["fivexx"]),
        ("accepted (distinct tickets)", r["accepted"]),
        ("finished (done)", r["finished"]),
        ("unfinished after drain", f"{r['unfinished_after_drain']} (drain waited {r['drain_s']} s)"),
        ("accept throughput", f"{r['accept_per_s']} tickets/s"),
        ("finish throughput", f"{r['finish_per_s']} tickets/s"),
        ("prefilled backlog / drained at", f"{r['prefilled']} / {r['drain_per_s']} tickets/s"),
        ("accept latency p50 / p95", f"{r['accept_p50_ms']} / {r['accept_p95_ms']} ms"),
        ("end-to-end p50 / p95", f"{r['e2e_p50_ms']} / {r['e2e_p95_ms']} ms"),
    ]
    for key, label in (
        ("race_same_conversation", "race (a) same new conversation"),
        ("race_identical", "race (b) identical requests"),
    ):
        if key in r:
            race = r[key]
            created = race["tickets_created"]
            expect = race["expected"]
            rows.append((f"{label}: statuses", dict(sorted(race["statuses"].items()))))
            rows.append((f"{label}: 5xx", race["fivexx"]))
            rows.append((f"{label}: tickets created", f"{created} (expected {expect}), done {race['done']}"))
            if "not_duplicate" in race:
                rows.append((f"{label}: 'duplicate: false' answers", race["not_duplicate"]))
    rows.append(("workflows by status", r["workflows_by_status"]))
    print_report("ticketflow load benchmark", r, rows, as_json)


if __name__ == "__main__":
    main()
