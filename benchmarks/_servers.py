"""Shared plumbing of the load, chaos and fuzz benchmarks: databases, server processes, requests, tables.

Every server runs as a subprocess (``python -m ticketflow.cli serve|worker``) bound to 127.0.0.1 on a free
port, on a fresh SQLite folder or on a PostgreSQL database whose ``public`` and ``dbos`` schemas are dropped
and recreated first. Nothing here talks to anything but loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from ticketflow.evals.metrics import percentile
from ticketflow.evals.records import customer_ref, read_records

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "examples" / "store"
HOST = "127.0.0.1"


# -- options every benchmark shares ---------------------------------------------------------------------


def common_options(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--database-url``, ``--api-key``, ``--json``: the same spelling in every benchmark."""
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TICKETFLOW_BENCH_DATABASE_URL"),
        help="PostgreSQL database for --backend postgresql (env TICKETFLOW_BENCH_DATABASE_URL); its "
        "'public' and 'dbos' schemas are DROPPED and recreated",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("TICKETFLOW_API_KEY"),
        help="sent as 'Authorization: Bearer KEY' on every request (env TICKETFLOW_API_KEY)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite files)")


def provision_api_key(backend: Backend, given: str | None, *scopes: str) -> str:
    """``given``, or a new key (scopes ingest and read by default) made in the backend's app database.

    Nothing but ``/healthz`` answers without a key, and a key lives in the database the server uses: so it
    is made there, after migrating it, before the server starts (``--api-key`` skips this).
    """
    if given:
        return given
    from ticketflow.domain.access import parse_scopes
    from ticketflow.storage.db import create_engine, migrate
    from ticketflow.storage.keys import SqlApiKeys

    engine = create_engine(backend.app_url)
    try:
        migrate(engine)
        _, token = SqlApiKeys(engine).create("benchmark", parse_scopes(scopes or ("ingest", "read")))
    finally:
        engine.dispose()
    return token


def headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


# -- databases ------------------------------------------------------------------------------------------


@dataclass
class Backend:
    """Where one benchmark run keeps its data: the app database, the DBOS system database, a temp folder."""

    kind: str
    folder: Path
    app_url: str
    system_url: str
    _engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        """An engine on the app database, for reading results (the benchmark owns the database)."""
        if self._engine is None:
            args: dict[str, Any] = {"connect_args": {"timeout": 30}} if self.kind == "sqlite" else {}
            self._engine = sa.create_engine(self.app_url, **args)
        return self._engine

    @property
    def workflow_table(self) -> str:
        return "dbos.workflow_status" if self.kind == "postgresql" else "workflow_status"

    def system_engine(self) -> sa.Engine:
        return self.engine if self.kind == "postgresql" else sa.create_engine(self.system_url)

    def env(self) -> dict[str, str]:
        """The environment of a server process on this backend (the caller adds the rest)."""
        env = {k: v for k, v in os.environ.items() if k != "TICKETFLOW_TEST_DATABASE_URL"}
        env.update(
            TICKETFLOW_DATA_DIR=str(self.folder / "var"),
            TICKETFLOW_DATABASE_URL=self.app_url,
            TICKETFLOW_SYSTEM_DATABASE_URL=self.system_url,
            PYTHONUNBUFFERED="1",
        )
        return env

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def make_backend(kind: str, database_url: str | None, name: str) -> Backend:
    """A fresh backend: a new temp folder, and on PostgreSQL empty ``public`` and ``dbos`` schemas."""
    folder = Path(tempfile.mkdtemp(prefix=f"tf-{name}-"))
    if kind == "sqlite":
        return Backend(
            kind, folder, f"sqlite:///{folder / 'app.sqlite'}", f"sqlite:///{folder / 'dbos.sqlite'}"
        )
    if not database_url:
        raise SystemExit("--backend postgresql needs --database-url (or TICKETFLOW_BENCH_DATABASE_URL)")
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS dbos CASCADE"))
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return Backend(kind, folder, url, url)


def status_counts(backend: Backend) -> dict[str, int]:
    """Tickets by ``status`` (queued, processing, done); {} before the schema exists."""
    try:
        with backend.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT status, count(*) FROM tickets GROUP BY status")).all()
    except sa.exc.DBAPIError:
        return {}
    return {str(r[0]): int(r[1]) for r in rows}


def workflow_counts(backend: Backend) -> dict[str, int]:
    """DBOS workflows by status (SUCCESS, PENDING, ENQUEUED, ERROR, ...)."""
    engine = backend.system_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(f"SELECT status, count(*) FROM {backend.workflow_table} GROUP BY status")
            ).all()
    except sa.exc.DBAPIError:
        return {}
    finally:
        if engine is not backend.engine:
            engine.dispose()
    return {str(r[0]): int(r[1]) for r in rows}


def done_times(backend: Backend) -> dict[str, tuple[float, float]]:
    """Per done ticket: (received_at, updated_at) as epoch seconds, the server's accept and finish times."""
    with backend.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, received_at, updated_at FROM tickets WHERE status = 'done'")
        ).all()
    return {str(r[0]): (_epoch(r[1]), _epoch(r[2])) for r in rows}


def _epoch(value: Any) -> float:
    from datetime import UTC, datetime

    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return float(value.timestamp())


def wait_drained(backend: Backend, expected: int, timeout: float, poll: float = 0.5) -> float:
    """Wait (at most ``timeout`` s) until ``expected`` tickets are done; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        counts = status_counts(backend)
        if counts.get("done", 0) >= expected and sum(counts.values()) == counts.get("done", 0):
            break
        time.sleep(poll)
    return time.monotonic() - started


# -- processes ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    """One ``ticketflow serve`` or ``worker`` subprocess with a stable DBOS executor id across restarts.

    A distinct, stable executor id per process is what docs/workspace.md asks of scaled-out workers: a
    restarted process recovers its own unfinished workflows, never another live process's.
    """

    role: str  # "serve" or "worker"
    name: str
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log_offset: int = 0
    ready_at: float | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        args = [sys.executable, "-m", "ticketflow.cli", self.role, "--workspace", str(WORKSPACE)]
        if self.role == "serve":
            args += ["--host", HOST, "--port", str(self.port)]
        env = {**self.env, "TICKETFLOW_RUNTIME__EXECUTOR_ID": self.name}
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as handle:  # the child keeps its own copy of the descriptor
            self.popen = subprocess.Popen(
                [*args, *self.extra_args], env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT
            )
        self.starts += 1
        self.ready_at = None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def ready(self, api_key: str | None = None) -> bool:
        """Serving (``/healthz`` answers) or, for a worker, past its "worker running" line."""
        if not self.alive():
            return False
        if self.ready_at is not None:
            return True
        if self.role == "serve":
            try:
                ok = httpx.get(f"{self.url}/healthz", headers=headers(api_key), timeout=1).status_code < 500
            except httpx.HTTPError:
                ok = False
        else:
            ok = self._worker_line()
        if ok:
            self.ready_at = time.monotonic()
        return ok

    def _worker_line(self) -> bool:
        # the worker prints "worker running" once it has launched; look only past this start's offset
        with self.log.open("rb") as handle:
            handle.seek(self.log_offset)
            return b"worker running on" in handle.read()

    def wait_ready(self, timeout: float = 120.0, api_key: str | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready(api_key):
                return
            if not self.alive():
                raise RuntimeError(
                    f"{self.name} exited with {self.popen and self.popen.returncode}; see {self.log}"
                )
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become ready within {timeout} s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL, the crash nobody can clean up after."""
        if self.popen is not None and self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        if self.popen is None or not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def server_env(backend: Backend, **extra: str) -> dict[str, str]:
    env = backend.env()
    env.setdefault("TICKETFLOW_LOG_LEVEL", "INFO")
    env.update(extra)
    return env


def start_cluster(
    backend: Backend, env: dict[str, str], workers: int, api_key: str | None, timeout: float = 180.0
) -> list[Proc]:
    """A server, then ``workers`` extra worker processes; waits for all of them (migrations run once)."""
    if workers and backend.kind == "sqlite":
        raise SystemExit("--workers needs --backend postgresql (workers share its system database)")
    server = Proc("serve", "server", env, backend.folder / "server.log", port=free_port())
    server.start()
    server.wait_ready(timeout, api_key)
    procs = [server]
    for n in range(1, workers + 1):
        proc = Proc("worker", f"worker-{n}", env, backend.folder / f"worker-{n}.log")
        proc.start()
        procs.append(proc)
    for proc in procs[1:]:
        proc.wait_ready(timeout, api_key)
    return procs


def stop_all(procs: Iterable[Proc]) -> None:
    for proc in procs:
        proc.stop()


# -- messages -------------------------------------------------------------------------------------------


def sample_messages() -> list[tuple[dict[str, Any], str]]:
    """(customer, text) pairs from the sample workspace's labelled tickets: realistic, varied routes."""
    out = []
    for record in read_records(WORKSPACE / "examples.jsonl"):
        ref = customer_ref(record)
        customer = {k: v for k, v in (("id", ref.id), ("email", ref.email)) if v}
        out.append((customer, record.text))
    return out


def message(
    samples: Sequence[tuple[dict[str, Any], str]],
    n: int,
    external_id: str,
    conversation_id: str | None = None,
) -> dict[str, Any]:
    customer, text = samples[n % len(samples)]
    body: dict[str, Any] = {"channel": "chat", "external_id": external_id, "customer": customer, "text": text}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return body


# -- reporting ------------------------------------------------------------------------------------------


def ms(values: Sequence[float], q: float) -> float:
    return round(percentile(values, q) * 1000, 1)


def status_class(status: int | str) -> str:
    return str(status) if isinstance(status, int) else status


def print_report(title: str, report: dict[str, Any], rows: list[tuple[str, Any]], as_json: bool) -> None:
    """A two-column table on stdout, or the whole report as one JSON object."""
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
        return
    width = max(len(r[0]) for r in rows) if rows else 10
    print(title)
    print("-" * len(title))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started
