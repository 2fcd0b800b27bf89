"""``ticketflow keys`` and the worker's start line: secrets shown once, never printed or logged again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from support import PG_URL, STORE, reset_postgres
from ticketflow.cli import app

runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TICKETFLOW_DATABASE_URL", "TICKETFLOW_SYSTEM_DATABASE_URL", "TICKETFLOW_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    target = tmp_path / "acme"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    return target


def test_a_key_is_printed_once_listed_without_its_secret_and_revoked(workspace: Path) -> None:
    created = runner.invoke(
        app, ["keys", "create", "--name", "bridge", "--scope", "ingest", "-w", str(workspace)]
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("tfk_")
    _, key_id, secret = token.split("_", 2)  # the secret itself may hold "_"

    listed = runner.invoke(app, ["keys", "list", "-w", str(workspace)])
    assert listed.exit_code == 0 and key_id in listed.stdout and secret not in listed.stdout

    assert runner.invoke(app, ["keys", "revoke", key_id, "-w", str(workspace)]).exit_code == 0
    again = runner.invoke(app, ["keys", "revoke", key_id, "-w", str(workspace)])
    assert again.exit_code == 2 and "no active key" in again.output


def test_an_unknown_scope_is_refused_naming_the_valid_ones(workspace: Path) -> None:
    result = runner.invoke(
        app, ["keys", "create", "--name", "x", "--scope", "everything", "-w", str(workspace)]
    )
    assert result.exit_code == 2 and "ingest" in result.output


@pytest.mark.slow
@pytest.mark.skipif(PG_URL is None, reason="needs PostgreSQL (TICKETFLOW_TEST_DATABASE_URL)")
def test_the_worker_does_not_print_the_database_password(tmp_path: Path) -> None:
    assert PG_URL is not None
    reset_postgres(PG_URL)
    # trust authentication ignores the password, so a made-up one connects and must not appear anywhere
    secret_url = PG_URL.replace("postgres@", "postgres:s3cret-pass@", 1)
    env = {**os.environ, "TICKETFLOW_DATABASE_URL": secret_url, "TICKETFLOW_DATA_DIR": str(tmp_path / "var")}
    worker = subprocess.Popen(
        [sys.executable, "-m", "ticketflow.cli", "worker", "-w", str(STORE)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert worker.stderr is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = worker.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "worker running" in line:
                break
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        if worker.stderr is not None:
            lines.append(worker.stderr.read())
            worker.stderr.close()
    output = "".join(lines)
    assert "worker running" in output, f"the worker did not start within 180 s:\n{output}"
    assert "s3cret-pass" not in output and "***" in output
