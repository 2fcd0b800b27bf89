"""Shared fixtures. Every test that touches a database runs on SQLite, and also on PostgreSQL when
``TICKETFLOW_TEST_DATABASE_URL`` is set (``.ci/run`` sets it), so both backends are tested on each landing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support import PG_URL, STORE, reset_postgres
from ticketflow.domain.access import Scope
from ticketflow.evals.records import read_records
from ticketflow.settings import Settings
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels, train_models

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
