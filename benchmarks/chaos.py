"""Chaos: random SIGKILLs of the server and workers under a steady load, then an exactly-once audit.

::

    python -m benchmarks.chaos [--backend sqlite|postgresql] [--kills 100] [--workers 1] [--rate 4] [--json]

The processes use the Anthropic provider against the fake Anthropic API
(``ticketflow.testing.fake_anthropic``, ``support_responder``) served on loopback by this process, so every
model request is counted where it arrives. A pacer submits ``--rate`` distinct messages per second; each is
retried with the same ``external_id`` (as a webhook sender would) until it gets a 202 or ``--retry-for`` s
pass. Meanwhile, ``--kills`` times, a random *running* process (server, or one of ``--workers`` workers on
PostgreSQL) gets SIGKILL after a random pause and is restarted at once, with the same DBOS executor id. Then
the load stops, everything is restarted and drained (at most ``--drain-timeout`` s), and the database and
the fake's request log are audited:

- lost: acknowledged (202) but not ``done``, or not stored at all;
- duplicated deliveries: outbox rows per ticket > 1, a ticket both sent and queued for review, a ticket
  with no delivery, agent replies written to a conversation more often than the outbox says;
- model calls: requests the fake answered vs ledger rows, matched by ``request-id``, or by the attempt
  journal's id (the ``x-ticketflow-attempt`` header) for a call whose process died before it read the
  answer, which the ledger holds *in doubt* at its estimated cost.

Every failure row is expected to be 0; the benchmark prints what it finds and asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import re
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
    headers,
    make_backend,
    message,
    print_report,
    provision_api_key,
    sample_messages,
    server_env,
    start_cluster,
    status_counts,
    stop_all,
    workflow_counts,
)
from ticketflow.testing.fake_anthropic import FakeAnthropic, support_responder
from ticketflow.testing.server import serve

MODEL_CALL = re.compile(rb"model call ticket=(t_[\w-]+) attempt=(\d+)")


@dataclass
class Intake:
    """What the load clients saw, across retries."""

    acknowledged: set[str] = field(default_factory=set)
    gave_up: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_with_retries(
    client: httpx.Client, body: dict[str, Any], intake: Intake, retry_for: float, abort: threading.Event
) -> None:
    """POST until a 202, ``retry_for`` s or ``abort``; 5xx and connection errors are retried."""
    deadline = time.monotonic() + retry_for
    with intake.lock:
        intake.sent += 1
    while time.monotonic() < deadline and not abort.is_set():
        try:
            response = client.post("/v1/messages", json=body)
            outcome = str(response.status_code)
        except httpx.HTTPError as exc:
            response, outcome = None, type(exc).__name__
        with intake.lock:
            intake.statuses[outcome] += 1
        if response is not None and response.status_code == 202:
            with intake.lock:
                intake.acknowledged.add(response.json()["ticket_id"])
            return
        if response is not None and response.status_code < 500:
            break  # a 4xx will not change on retry
        time.sleep(0.5)
    with intake.lock:
        intake.gave_up += 1


def pace_load(
    base: str,
    args: argparse.Namespace,
    run: str,
    intake: Intake,
    stop: threading.Event,
    abort: threading.Event,
) -> ThreadPoolExecutor:
    """Submit ``args.rate`` messages per second in a pool until ``stop`` or ``args.messages``."""
    samples = sample_messages()
    pool = ThreadPoolExecutor(max_workers=32)
    client = httpx.Client(base_url=base, headers=headers(args.api_key), timeout=10)

    def pacer() -> None:
        for n in range(args.messages):
            if stop.is_set():
                return
            body = message(samples, n, f"chaos-{run}-{n}")
            pool.submit(submit_with_retries, client, body, intake, args.retry_for, abort)
            stop.wait(1.0 / args.rate)

    threading.Thread(target=pacer, daemon=True).start()
    return pool


def kill_loop(
    procs: list[Proc], args: argparse.Namespace, backend: Backend, rng: random.Random
) -> list[dict[str, Any]]:
    """``args.kills`` SIGKILLs of random running processes, each restarted at once; bounded in time."""
    kills: list[dict[str, Any]] = []
    deadline = time.monotonic() + args.max_seconds
    while len(kills) < args.kills and time.monotonic() < deadline:
        time.sleep(rng.uniform(args.min_gap, args.max_gap))
        # a share of the kills may land on a process still starting (migrating, recovering, re-enqueuing):
        # that path needs to be crash-safe too, and it keeps a run of many kills short
        early = rng.random() < args.starting_share
        running = [p for p in procs if (p.alive() if early else p.ready(args.api_key))]
        while not running and time.monotonic() < deadline:
            time.sleep(0.2)
            running = [p for p in procs if p.ready(args.api_key)]
        if not running:
            break
        victim = rng.choice(running)
        ready = victim.ready(args.api_key)
        in_flight = status_counts(backend).get("processing", 0)
        up_for = time.monotonic() - (victim.ready_at or time.monotonic())
        victim.kill()
        victim.start()
        kills.append(
            {"victim": victim.name, "ready": ready, "up_s": round(up_for, 1), "processing": in_flight}
        )
    return kills


def audit(backend: Backend, intake: Intake, fake: FakeAnthropic) -> dict[str, Any]:
    """The exactly-once figures, from the app database and the fake's request log."""
    with backend.engine.connect() as conn:
        tickets = {
            str(r[0]): (r[1], r[2]) for r in conn.execute(sa.text("SELECT id, status, outcome FROM tickets"))
        }
        outbox = Counter(str(r[0]) for r in conn.execute(sa.text("SELECT ticket_id FROM outbox")))
        reviews = Counter(str(r[0]) for r in conn.execute(sa.text("SELECT ticket_id FROM reviews")))
        sent_events = Counter(
            str(r[0]) for r in conn.execute(sa.text("SELECT ticket_id FROM audit_log WHERE event = 'sent'"))
        )
        agent_replies = conn.execute(
            sa.text("SELECT count(*) FROM messages WHERE role = 'agent'")
        ).scalar_one()
        ledger = [
            (str(r[0]), r[1], r[2], bool(r[3]))
            for r in conn.execute(
                sa.text(
                    "SELECT ticket_id, request_id, attempt_id, in_doubt FROM ledger WHERE projected = false"
                )
            )
        ]
        unledgered_attempts = conn.execute(
            sa.text("SELECT count(*) FROM attempts WHERE ledgered_at IS NULL")
        ).scalar_one()
    done = {t for t, (status, _) in tickets.items() if status == "done"}
    answered = [r.request_id for r in fake.message_requests if r.status == 200]
    ledgered_ids = Counter(rid for _, rid, _, _ in ledger if rid)
    ledgered_attempts = {aid for _, _, aid, _ in ledger if aid}
    missing = [
        r
        for r in fake.message_requests
        if r.status == 200
        and r.request_id not in ledgered_ids
        and r.headers.get("x-ticketflow-attempt") not in ledgered_attempts
    ]
    return {
        "acknowledged": len(intake.acknowledged),
        "stored": len(tickets),
        "done": len(done),
        "lost_not_stored": len(intake.acknowledged - set(tickets)),
        "lost_not_done": len((intake.acknowledged & set(tickets)) - done),
        "stored_not_done": len(set(tickets) - done),
        "outbox_rows_gt_1": sum(1 for n in outbox.values() if n > 1),
        "sent_and_reviewed": len(set(outbox) & set(reviews)),
        "done_without_delivery": sum(1 for t in done if outbox[t] + reviews[t] == 0),
        "sent_events_gt_1": sum(1 for n in sent_events.values() if n > 1),
        "agent_replies_minus_outbox": int(agent_replies) - sum(outbox.values()),
        "model_requests_answered": len(answered),
        "model_requests_total": len(fake.message_requests),
        "ledger_rows": len(ledger),
        "model_calls_not_ledgered": len(set(answered) - set(ledgered_ids)),
        "model_calls_not_ledgered_at_all": len(missing),
        "ledger_rows_in_doubt": sum(1 for *_, doubt in ledger if doubt),
        "journal_attempts_not_ledgered": int(unledgered_attempts),
        "ledger_rows_not_made": sum(n for rid, n in ledgered_ids.items() if rid not in set(answered)),
        "ledger_request_id_repeated": sum(n - 1 for n in ledgered_ids.values() if n > 1),
    }


def rerun_generations(procs: list[Proc]) -> int:
    """Generation attempts logged more than once for the same (ticket, attempt): a model call re-made."""
    calls: Counter[tuple[bytes, bytes]] = Counter()
    for log in {p.log for p in procs}:
        calls.update(MODEL_CALL.findall(log.read_bytes()))
    return sum(n - 1 for n in calls.values() if n > 1)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chaos", description=__doc__.split("\n")[0])
    common_options(parser)
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to deliver")
    parser.add_argument("--workers", type=int, default=None, help="extra workers (default: 1 on PostgreSQL)")
    parser.add_argument("--rate", type=float, default=4.0, help="messages per second")
    parser.add_argument("--messages", type=int, default=5000, help="cap on messages")
    parser.add_argument("--model-latency-ms", type=float, default=300.0, help="fake Anthropic API latency")
    parser.add_argument("--min-gap", type=float, default=0.5, help="least seconds between kills")
    parser.add_argument("--max-gap", type=float, default=3.0, help="most seconds between kills")
    parser.add_argument("--max-seconds", type=float, default=1200.0, help="bound on the kill phase")
    parser.add_argument("--retry-for", type=float, default=60.0, help="seconds a client retries a message")
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument(
        "--starting-share",
        type=float,
        default=0.5,
        help="share of kills that may hit a process still starting (0: only serving/working ones)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    workers = args.workers if args.workers is not None else (1 if args.backend == "postgresql" else 0)
    rng = random.Random(args.seed)

    backend = make_backend(args.backend, args.database_url, "chaos")
    args.api_key = provision_api_key(backend, args.api_key)
    fake = FakeAnthropic(responder=support_responder, latency_s=args.model_latency_ms / 1000)
    fake_server = serve(fake.app)
    env = server_env(
        backend,
        TICKETFLOW_PROVIDER="anthropic",
        ANTHROPIC_BASE_URL=fake_server.url,
        ANTHROPIC_API_KEY="sk-ant-fake-chaos",
    )
    run = uuid.uuid4().hex[:8]
    procs: list[Proc] = []
    intake = Intake()
    stop, abort = threading.Event(), threading.Event()
    started = time.monotonic()
    try:
        procs = start_cluster(backend, env, workers, args.api_key)
        pool = pace_load(procs[0].url, args, run, intake, stop, abort)
        kills = kill_loop(procs, args, backend, rng)
        kill_s = time.monotonic() - started
        stop.set()
        for proc in procs:  # everyone back up, so pending retries land and recovery runs everywhere
            if not proc.alive():
                proc.start()
            proc.wait_ready(180, args.api_key)
        pool.shutdown(wait=True)
        drain_started = time.monotonic()
        while time.monotonic() - drain_started < args.drain_timeout:
            counts = status_counts(backend)
            if counts and set(counts) == {"done"}:
                break
            time.sleep(0.5)
        drain_s = time.monotonic() - drain_started
        time.sleep(1.0)  # let in-flight ledger writes land before the audit
        report: dict[str, Any] = {
            "backend": args.backend,
            "workers": workers,
            "kills": len(kills),
            "kills_by_victim": dict(Counter(k["victim"] for k in kills)),
            "kills_with_tickets_processing": sum(1 for k in kills if k["processing"]),
            "kills_while_starting": sum(1 for k in kills if not k["ready"]),
            "kill_phase_s": round(kill_s, 1),
            "drain_s": round(drain_s, 1),
            "rate": args.rate,
            "model_latency_ms": args.model_latency_ms,
            "messages_sent": intake.sent,
            "gave_up": intake.gave_up,
            "responses": dict(intake.statuses),
            "fivexx": sum(n for s, n in intake.statuses.items() if s.isdigit() and int(s) >= 500),
            **audit(backend, intake, fake),
            "generation_reruns_in_logs": rerun_generations(procs),
            "tickets_by_status": status_counts(backend),
            "workflows_by_status": workflow_counts(backend),
        }
    finally:
        stop.set()
        abort.set()  # only pending retries are left by now, or we are leaving on an error
        stop_all(procs)
        fake_server.stop()
        backend.close()
    report["folder"] = str(backend.folder)
    _print(report, args.json)
    return report


def _print(r: dict[str, Any], as_json: bool) -> None:
    rows: list[tuple[str, Any]] = [
        ("backend / extra workers", f"{r['backend']} / {r['workers']}"),
        ("SIGKILLs (by victim)", f"{r['kills']} {r['kills_by_victim']}"),
        (
            "kills while starting / with tickets processing",
            f"{r['kills_while_starting']} / {r['kills_with_tickets_processing']}",
        ),
        ("kill phase / drain", f"{r['kill_phase_s']} s / {r['drain_s']} s"),
        ("messages sent / gave up", f"{r['messages_sent']} / {r['gave_up']}"),
        ("responses (incl. retries)", dict(sorted(r["responses"].items()))),
        ("5xx responses", r["fivexx"]),
        ("accepted (acknowledged 202)", r["acknowledged"]),
        ("stored / done", f"{r['stored']} / {r['done']}"),
        ("LOST: acknowledged, not stored", r["lost_not_stored"]),
        ("LOST: acknowledged, never done", r["lost_not_done"]),
        ("stored but not done", r["stored_not_done"]),
        ("DUP: outbox rows per ticket > 1", r["outbox_rows_gt_1"]),
        ("DUP: sent and queued for review", r["sent_and_reviewed"]),
        ("DUP: 'sent' audit events > 1", r["sent_events_gt_1"]),
        ("DUP: agent replies - outbox rows", r["agent_replies_minus_outbox"]),
        ("done without any delivery", r["done_without_delivery"]),
        (
            "model calls made (answered / all)",
            f"{r['model_requests_answered']} / {r['model_requests_total']}",
        ),
        ("model calls ledgered", r["ledger_rows"]),
        ("model calls made, no ledger row with their request-id", r["model_calls_not_ledgered"]),
        ("ledger rows in doubt (answer never read: estimated)", r["ledger_rows_in_doubt"]),
        ("model calls made, not ledgered (request-id or attempt id)", r["model_calls_not_ledgered_at_all"]),
        ("journaled attempts not ledgered", r["journal_attempts_not_ledgered"]),
        ("ledger rows with no call", r["ledger_rows_not_made"]),
        ("ledger request-id repeated", r["ledger_request_id_repeated"]),
        ("generation re-runs (logs)", r["generation_reruns_in_logs"]),
        ("workflows by status", r["workflows_by_status"]),
    ]
    print_report("ticketflow chaos benchmark", r, rows, as_json)


if __name__ == "__main__":
    main()
