"""People's accounts and sessions on a real store (SQLite, and PostgreSQL when configured): argon2
hashes, idle and absolute expiry, sign-out, disabling; the Guard admitting a session or a key; the
``ticketflow users`` command."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ticketflow.api.app import denied
from ticketflow.api.security import Guard, Refused
from ticketflow.cli import app as cli
from ticketflow.domain.access import SESSION_COOKIE, Principal, Role, Scope, csrf_token
from ticketflow.storage.db import create_engine, migrate
from ticketflow.storage.keys import SqlApiKeys
from ticketflow.storage.tables import user_sessions, users
from ticketflow.storage.users import SqlUsers

PASSWORD = "a long enough password"
IDLE = timedelta(minutes=30)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    built = create_engine(database_url)
    migrate(built)
    yield built
    built.dispose()


def test_the_password_is_stored_as_an_argon2id_hash_and_checked(engine: sa.Engine) -> None:
    people = SqlUsers(engine)
    user = people.create("ann", Role.AGENT, PASSWORD)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.id == user.id)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert people.verify("ann", PASSWORD) == user
    assert people.verify("ann", PASSWORD + "x") is None and people.verify("nobody", PASSWORD) is None


def test_a_taken_username_and_a_short_password_are_refused(engine: sa.Engine) -> None:
    people = SqlUsers(engine)
    people.create("ann", Role.AGENT, PASSWORD)
    with pytest.raises(ValueError, match="taken"):
        people.create("ann", Role.VIEWER, PASSWORD)
    with pytest.raises(ValueError, match="at least"):
        people.create("bob", Role.VIEWER, "short")


def test_a_session_expires_when_idle_and_at_its_absolute_end_even_when_used(engine: sa.Engine) -> None:
    clock = Clock()
    people = SqlUsers(engine, clock)
    user = people.create("ann", Role.AGENT, PASSWORD)
    token = people.open_session(user, timedelta(hours=2))
    with engine.connect() as conn:
        keys = conn.execute(sa.select(user_sessions.c.token_sha256)).scalars().all()
    assert token not in keys  # only its hash is stored
    assert people.session(token, IDLE).principal == user.principal()
    clock.now += timedelta(minutes=29)
    assert people.session(token, IDLE).principal is not None  # used: the idle clock restarts
    clock.now += timedelta(minutes=29)
    assert people.session(token, IDLE).principal is not None
    clock.now += timedelta(minutes=31)
    idle = people.session(token, IDLE)
    assert idle.principal is None and idle.expired
    fresh = people.open_session(user, timedelta(hours=2))
    for _ in range(5):  # used every 25 minutes, it still ends two hours after sign-in
        clock.now += timedelta(minutes=25)
        last = people.session(fresh, IDLE)
    assert last.expired


def test_signing_out_forged_tokens_and_disabling_end_sessions(engine: sa.Engine) -> None:
    people = SqlUsers(engine)
    ann = people.create("ann", Role.AGENT, PASSWORD)
    token = people.open_session(ann, timedelta(hours=1))
    people.close_session(token)
    assert people.session(token, IDLE).problem == "unknown"
    assert people.session("forged", IDLE).problem == "unknown" and people.session("x" * 500, IDLE).problem
    other = people.open_session(ann, timedelta(hours=1))
    assert people.disable("ann") and not people.disable("ann")
    assert people.session(other, IDLE).principal is None and people.verify("ann", PASSWORD) is None
    assert [u.active for u in people.list()] == [False]


def _guarded(engine: sa.Engine) -> tuple[TestClient, SqlUsers, SqlApiKeys]:
    people, keys = SqlUsers(engine), SqlApiKeys(engine)
    guard = Guard(keys, people, IDLE)
    app = FastAPI()
    app.exception_handler(Refused)(denied)

    reader, agent, key_reader = (
        guard.require(Scope.READ, session=True),
        guard.require(Scope.AGENT, session=True),
        guard.require(Scope.READ),
    )

    @app.get("/read")
    def read(who: Principal = Depends(reader)) -> dict[str, str]:
        return {"who": f"{who.kind}:{who.id}"}

    @app.post("/act")
    def act(who: Principal = Depends(agent)) -> dict[str, str]:
        return {"who": f"{who.kind}:{who.id}"}

    @app.get("/keys-only")
    def keys_only(who: Principal = Depends(key_reader)) -> dict[str, str]:
        return {"who": who.id}

    return TestClient(app, base_url="https://testserver"), people, keys


def test_the_guard_admits_a_key_or_a_session_and_a_session_must_send_its_csrf_token(
    engine: sa.Engine,
) -> None:
    client, people, keys = _guarded(engine)
    ann = people.create("ann", Role.AGENT, PASSWORD)
    vic = people.create("vic", Role.VIEWER, PASSWORD)
    _, key = keys.create("bot", frozenset({Scope.AGENT}))
    assert client.get("/read").status_code == 401
    assert client.post("/act", headers={"Authorization": f"Bearer {key}"}).json() == {
        "who": "key:" + key[4:16]
    }
    token = people.open_session(ann, timedelta(hours=1))
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/read").json() == {"who": "user:ann"}
    assert client.get("/keys-only").status_code == 401  # routes that do not opt in never read cookies
    forged = client.post("/act")
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]
    assert client.post("/act", headers={"X-CSRF-Token": csrf_token(token)}).json() == {"who": "user:ann"}
    form = client.post("/act", data={"csrf": csrf_token(token)})
    assert form.status_code == 200
    viewer = people.open_session(vic, timedelta(hours=1))
    client.cookies.set(SESSION_COOKIE, viewer)
    refused = client.post("/act", headers={"X-CSRF-Token": csrf_token(viewer)})
    assert refused.status_code == 403 and "role" in refused.json()["error"]


def test_the_guard_says_when_a_session_expired(engine: sa.Engine) -> None:
    client, people, _ = _guarded(engine)
    token = people.open_session(people.create("ann", Role.AGENT, PASSWORD), timedelta(seconds=0))
    client.cookies.set(SESSION_COOKIE, token)
    expired = client.get("/read")
    assert expired.status_code == 401 and expired.json()["error"] == "your session expired; sign in again"


runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("TICKETFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TICKETFLOW_DATA_DIR", str(tmp_path / "var"))
    target = tmp_path / "acme"
    assert runner.invoke(cli, ["init", str(target)]).exit_code == 0
    return target


def test_users_are_created_from_stdin_listed_without_passwords_and_disabled(workspace: Path) -> None:
    created = runner.invoke(
        cli,
        ["users", "create", "ann", "--role", "agent", "--password-stdin", "-w", str(workspace)],
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    listed = runner.invoke(cli, ["users", "list", "-w", str(workspace)])
    assert listed.exit_code == 0 and "ann" in listed.stdout and "agent" in listed.stdout
    assert PASSWORD not in listed.stdout and "argon2" not in listed.stdout
    assert runner.invoke(cli, ["users", "disable", "ann", "-w", str(workspace)]).exit_code == 0
    again = runner.invoke(cli, ["users", "disable", "ann", "-w", str(workspace)])
    assert again.exit_code == 2 and "no active account" in again.output


def test_the_password_is_prompted_twice_and_never_an_argument(workspace: Path) -> None:
    mismatch = runner.invoke(
        cli, ["users", "create", "bob", "-w", str(workspace)], input=f"{PASSWORD}\nsomething else\n"
    )
    assert mismatch.exit_code != 0
    prompted = runner.invoke(
        cli, ["users", "create", "bob", "-w", str(workspace)], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0, prompted.output
    as_argument = runner.invoke(cli, ["users", "create", "eve", "--password", PASSWORD, "-w", str(workspace)])
    assert as_argument.exit_code == 2
    bad = runner.invoke(
        cli,
        ["users", "create", "eve", "--role", "root", "--password-stdin", "-w", str(workspace)],
        input=PASSWORD + "\n",
    )
    assert bad.exit_code == 2 and "viewer" in bad.output
