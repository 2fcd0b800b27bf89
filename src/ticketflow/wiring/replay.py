"""The two engines of a replay and the read-only store they replay from.

Both engines are built without a store, so their delivery stage sends and queues nothing; each arm's paid
model attempts are ledgered as they are answered, under ids of their own (``storage.replay_ledger``), and
count against the daily budget. They read conversations and the customer's earlier tickets from the
replayed database through ``SqlReplaySource`` and ``SqlPastTickets``, and export no traces. When arm B
keeps arm A's workspace folder (and models), the loaded files and models are shared instead of loaded
twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ticketflow.knowledge.workspace.loader import Workspace, load_workspace
from ticketflow.ports.replay import ReplaySource
from ticketflow.settings import Settings
from ticketflow.storage.past_tickets import SqlPastTickets
from ticketflow.storage.replay_ledger import ReplayLedger
from ticketflow.storage.replay_source import SqlReplaySource
from ticketflow.storage.repository import SqlStore
from ticketflow.wiring.engine import Engine
from ticketflow.wiring.models import TrainedModels, workspace_models


@dataclass(frozen=True, slots=True)
class ReplayArms:
    """What a replay runs: the stored tickets' source, arm A's engine and arm B's, and the run's id (its
    paid calls are ledgered as ``replay:<run_id>:<arm>:<ticket>``)."""

    source: ReplaySource
    a: Engine
    b: Engine
    run_id: str


def _same_files(a: Settings, b: Settings) -> bool:
    return a.workspace.resolve() == b.workspace.resolve() and a.var_dir.resolve() == b.var_dir.resolve()


@contextmanager
def replay_arms(a: Settings, b: Settings, *, models: TrainedModels | None = None) -> Iterator[ReplayArms]:
    """Open ``a``'s database read-only for replay and build both arms' engines; all closed on exit.

    ``models`` replaces both arms' routing models (tests pass models trained once per session).
    """
    store = SqlStore.open(a.resolved_database_url)
    source = SqlReplaySource(store.engine)
    past = SqlPastTickets(store.engine)
    built: list[Engine] = []
    run_id = secrets.token_hex(6)
    try:
        files_a = load_workspace(a.workspace, index_dir=a.var_dir / "index")
        models_a = models or workspace_models(a, files_a)
        files_b: Workspace = (
            files_a if _same_files(a, b) else load_workspace(b.workspace, index_dir=b.var_dir / "index")
        )
        same_models = files_b is files_a and a.routing.backend == b.routing.backend
        models_b = models or (models_a if same_models else workspace_models(b, files_b))
        arms = (("A", a, files_a, models_a), ("B", b, files_b, models_b))
        for arm, settings, files, trained in arms:
            engine = Engine(
                settings,
                files,
                trained,
                None,
                history=source,
                past_tickets=past,
                journal=ReplayLedger(store.engine, run_id, arm),
                spent_today=store.spent_today,
            )
            engine.pipeline.tracer = None  # a replay is not production traffic: no spans to the collector
            built.append(engine)
        yield ReplayArms(source, built[0], built[1], run_id)
    finally:
        for engine in built:
            engine.close()
        store.close()
