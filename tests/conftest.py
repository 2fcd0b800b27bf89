"""Shared fixtures. Every test that touches a database runs on SQLite, and also on PostgreSQL when
``TICKETFLOW_TEST_DATABASE_URL`` is set (``.ci/run`` sets it), so both backends are tested on each landing.
"""

from __future__ import annotations

import faulthandler
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import PG_URL, STORE, reset_postgres
from ticketflow.domain.access import Scope
from ticketflow.evals.records import read_records
from ticketflow.runtime.service import cut_off_threads, exit_stopped
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels, train_models

_EXIT_STATUS = pytest.StashKey[int]()
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs on SQLite, and again on PostgreSQL when TICKETFLOW_TEST_DATABASE_URL is set."""
    if request.param == "postgresql":
        assert PG_URL is not None
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'ticketflow.sqlite'}"


@pytest.fixture
def system_database_url(tmp_path: Path, database_url: str) -> str:
    return database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path / 'dbos.sqlite'}"


@pytest.fixture(scope="session")
def store_models() -> TrainedModels:
    """The sample store's models, trained once per test session from its examples."""
    return train_models(read_records(STORE / "examples.jsonl"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str, system_database_url: str) -> Settings:
    return Settings.load(
        STORE,
        data_dir=tmp_path / "var",
        database_url=database_url,
        system_database_url=system_database_url,
    )


@pytest.fixture
def engine(settings: Settings, store_models: TrainedModels) -> Iterator[Engine]:
    built = Engine.from_workspace(settings=settings, models=store_models)
    yield built
    built.close()


@pytest.fixture
def api_headers(engine: Engine) -> dict[str, str]:
    """An ``Authorization`` header whose key may submit, read tickets and scrape metrics."""
    scopes = frozenset({Scope.INGEST, Scope.READ, Scope.METRICS})
    _, token = engine.api_keys.create("tests", scopes)
    return {"Authorization": f"Bearer {token}"}


# Threads still running once the session is over get this long to end before the process exits without them
LINGER_SECONDS = 5.0
# How long the interpreter may then take to exit before it is stopped with every thread's stack on stderr
EXIT_GRACE_SECONDS = 120


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the process as ``ticketflow worker`` does after its runtime stops: workflow threads a test's
    runtime cut off (a ticket waiting for its batch waits up to a day in ``DBOS.recv``) are named, with
    their stacks, and not waited for. Any other hang at exit is stopped after ``EXIT_GRACE_SECONDS``."""
    deadline = time.monotonic() + LINGER_SECONDS
    for thread in cut_off_threads():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    lingering = cut_off_threads()
    frames = sys._current_frames()
    for thread in lingering:
        frame = frames.get(thread.ident or -1)
        stack = "".join(traceback.format_stack(frame)[-8:]) if frame is not None else "  (no frame)\n"
        sys.stderr.write(f"\nthread {thread.name!r} still runs after the session; not waited for:\n{stack}")
    if lingering:
        exit_stopped(config.stash.get(_EXIT_STATUS, 1))
    faulthandler.dump_traceback_later(EXIT_GRACE_SECONDS, exit=True)
