"""Rows of the durable runtime's system database that hold customers' raw data, before and after the
retention sweep, on the files a ``ticketflow demo`` run leaves (``examples/store/var/demo``).

"Raw data" is any customer's name, email or phone from the workspace's ``customers.csv``, or the first 40
characters of any ticket's text, found in a checkpoint's payload as stored or base64-decoded (DBOS keeps
pickles). The sweep runs on copies of the files, with ``[retention] checkpoints = "0d"``.

Run: ``ticketflow demo`` first, then ``python -m benchmarks.retention``.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import tempfile
from pathlib import Path

from ticketflow.settings import Settings
from ticketflow.wiring.audit import checkpoints_holding, sweep

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "examples" / "store"


def _needles(workspace: Path, app_db: Path) -> list[bytes]:
    with (workspace / "customers.csv").open(encoding="utf-8") as handle:
        values = [v for row in csv.DictReader(handle) for v in (row["name"], row["email"], row["phone"]) if v]
    with sqlite3.connect(app_db) as conn:
        texts = [r[0][:40] for r in conn.execute("SELECT text FROM tickets") if len(r[0]) >= 20]
    return [v.encode("utf-8") for v in (*values, *texts)]


def _rows(url: str, needles: list[bytes]) -> dict[str, int]:
    return {table: len(ids) for table, ids in sorted(checkpoints_holding(url, needles).items())}


def _all_rows(path: Path) -> int:
    tables = ("workflow_status", "workflow_input", "workflow_output", "operation_outputs")
    with sqlite3.connect(path) as conn:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-dir", type=Path, default=WORKSPACE / "var" / "demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        app_db = Path(scratch) / "ticketflow.sqlite"
        system_db = Path(scratch) / "dbos.sqlite"
        shutil.copy(args.demo_dir / "ticketflow.sqlite", app_db)
        shutil.copy(args.demo_dir / "dbos.sqlite", system_db)
        with sqlite3.connect(app_db) as conn:
            tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        needles = _needles(WORKSPACE, app_db)
        system_url = f"sqlite:///{system_db}"
        before = _rows(system_url, needles)
        rows_before = _all_rows(system_db)
        settings = Settings.load(
            WORKSPACE,
            database_url=f"sqlite:///{app_db}",
            system_database_url=system_url,
            retention={"checkpoints": "0d"},
        )
        swept = sweep(settings)
        after = _rows(system_url, needles)
        rows_after = _all_rows(system_db)
    print(f"{tickets} tickets; {swept.workflows_pruned} finished workflows pruned by the sweep")
    print(f"{'table':<22}{'rows with raw data before':>28}{'after':>8}")
    for table in sorted(set(before) | set(after)):
        print(f"{table:<22}{before.get(table, 0):>28}{after.get(table, 0):>8}")
    print(f"{'total':<22}{sum(before.values()):>28}{sum(after.values()):>8}")
    print(f"checkpoint rows of any kind: {rows_before} before, {rows_after} after")


if __name__ == "__main__":
    main()
