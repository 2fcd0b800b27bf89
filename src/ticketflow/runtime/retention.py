"""The retention sweep as a scheduled DBOS workflow (``[retention] sweep_schedule``, one run at a time).

Each run applies ``[retention]`` (``wiring.audit.sweep``): finished workflows' checkpoints are deleted from
the system database, tickets past ``messages`` have their texts redacted. It keeps a finished workflow's
checkpoints at least :data:`GRACE`, so a caller waiting for a ticket's result still reads it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dbos import DBOS, DBOSConfiguredInstance, EnqueueOptions

from ticketflow.runtime.batching import INSTANCE
from ticketflow.settings import Settings
from ticketflow.wiring.audit import sweep

RETENTION_CLASS = "ticketflow.Retention"
RUN_WORKFLOW = "ticketflow.retention_now"
SCHEDULE_NAME = "ticketflow.retention"
QUEUE = "retention"
RUNS_QUEUE = "retention-runs"
GRACE = timedelta(minutes=15)


@DBOS.dbos_class(RETENTION_CLASS)
class Retention(DBOSConfiguredInstance):
    """The sweep of one runtime (a configured instance: registered before launch, scheduled after)."""

    def __init__(self, settings: Settings, name: str = INSTANCE) -> None:
        self._settings = settings
        super().__init__(name)

    def schedule(self) -> None:
        """Declare the queues (one run at a time) and the schedule (create or replace)."""
        for queue in (QUEUE, RUNS_QUEUE):
            DBOS.register_queue(
                queue, global_concurrency=1, polling_interval_sec=1.0, on_conflict="always_update"
            )
        DBOS.apply_schedules(
            [
                {
                    "schedule_name": SCHEDULE_NAME,
                    "workflow_fn": retention_sweep,
                    "schedule": self._settings.retention.sweep_schedule,
                    "queue_name": QUEUE,
                    "context": self.config_name,
                }
            ]
        )

    @DBOS.workflow(name=RUN_WORKFLOW)
    def run_now(self) -> tuple[int, int]:
        """One sweep: (workflows pruned, tickets redacted)."""
        result: tuple[int, int] = DBOS.run_step({"name": "sweep"}, self._sweep)
        return result

    def _sweep(self) -> tuple[int, int]:
        swept = sweep(self._settings, grace=GRACE)
        return swept.workflows_pruned, swept.tickets_redacted


@DBOS.workflow(name="ticketflow.retention_sweep")
def retention_sweep(scheduled_at: datetime, context: Any) -> None:
    """The scheduled run: hands over to the sweep of the instance the schedule names (DBOS schedules no
    methods of configured instances) and waits for it."""
    options: EnqueueOptions = {
        "workflow_name": RUN_WORKFLOW,
        "queue_name": RUNS_QUEUE,
        "class_name": RETENTION_CLASS,
        "instance_name": context if isinstance(context, str) else INSTANCE,
    }
    DBOS.enqueue_workflow_with_options(options).get_result()
