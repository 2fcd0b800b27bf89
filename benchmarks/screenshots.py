"""Refresh the console's screenshots in ``docs/console/`` (login, queue, ticket, dashboard).

::

    python -m benchmarks.screenshots [--out docs/console] [--tickets 40]

Builds a throwaway SQLite workspace from the sample store, runs ``--tickets`` of its example messages through
the pipeline (received over the last seven days, drafts over 20 words held for review so the queue has
work), creates an agent, serves the API and the console on a loopback port, and photographs each page
in headless Chromium (``/usr/bin/chromium``, or ``TICKETFLOW_CHROMIUM``) driven by Playwright, at a laptop's
1366×800. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketflow.api.app import create_app
from ticketflow.console.app import mount
from ticketflow.domain.access import Role
from ticketflow.domain.message import CustomerRef, InboundMessage
from ticketflow.evals.records import read_records
from ticketflow.runtime.service import Runtime
from ticketflow.settings import Settings
from ticketflow.testing.server import serve
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import train_models

WORKSPACE = Path(__file__).resolve().parents[1] / "examples" / "store"
CHROMIUM = os.environ.get("TICKETFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "screenshots only, thrown away"


def populate(engine: Engine, count: int) -> None:
    """Run ``count`` example messages through the pipeline, received over the last seven days."""
    now = datetime.now(UTC)
    records = read_records(WORKSPACE / "examples.jsonl")[:count]
    for n, record in enumerate(records):
        received = now - timedelta(days=6 - n * 7 // max(1, len(records)), minutes=n)
        message = InboundMessage(
            "email",
            f"shot-{n}",
            CustomerRef(email=record.customer_email or f"customer{n}@example.com", id=record.customer_id),
            record.messages[-1].text,
            conversation_ref=f"thread-{n}",
            received_at=received,
        )
        engine.handle(message)


def main() -> None:
    """Build, serve, photograph."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/console"))
    parser.add_argument("--tickets", type=int, default=40)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.load(
            WORKSPACE,
            data_dir=Path(folder) / "var",
            database_url=f"sqlite:///{folder}/app.sqlite",
            system_database_url=f"sqlite:///{folder}/dbos.sqlite",
            validation={"max_words": 20},
        )
        engine = Engine.from_workspace(
            settings=settings, models=train_models(read_records(WORKSPACE / "examples.jsonl"))
        )
        assert engine.store is not None
        populate(engine, args.tickets)
        engine.store.users.create("ann", Role.AGENT, PASSWORD)
        runtime = Runtime(engine)
        app = create_app(runtime, manage_runtime=False)
        mount(app, runtime)
        held = runtime.reviews.queue()
        with serve(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 800})
            page.goto(f"{server.url}/console/login")
            page.screenshot(path=args.out / "login.png")
            page.get_by_label("Username").fill("ann")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{server.url}/console/queue")
            page.screenshot(path=args.out / "queue.png", full_page=True)
            if held:
                page.goto(f"{server.url}/console/tickets/{held[0].ticket_id}")
                page.get_by_role("button", name="Claim").click()
                page.get_by_role("button", name="Check the reply").click()
                page.screenshot(path=args.out / "ticket.png", full_page=True)
            page.goto(f"{server.url}/console/dashboard?days=7")
            page.screenshot(path=args.out / "dashboard.png", full_page=True)
            browser.close()
        engine.close()
    for name in ("login", "queue", "ticket", "dashboard"):
        path = args.out / f"{name}.png"
        if path.exists():
            print(f"{path}: {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
