"""hash-chained, database-enforced append-only audit_log and ledger; chain_heads

Each row of ``audit_log`` and ``ledger`` gets its link in a SHA-256 chain (``chain_seq``, ``prev_hash``,
``hash``; ``audit_log.detail_sha256`` too, the chain covering the detail's digest so the detail can be
erased). Triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) on both tables; the one UPDATE allowed
sets ``audit_log.detail`` to NULL and changes nothing else (``ticketflow erase``).

Note for later revisions: on SQLite, a batch operation that rebuilds ``audit_log`` or ``ledger`` (move and
copy) drops their triggers; such a revision must create them again (:func:`create_triggers`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SQLITE_AUDIT_UNCHANGED = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in ("id", "ticket_id", "event", "at", "detail_sha256", "chain_seq", "prev_hash", "hash")
)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ticketflow_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_log' THEN
        -- the one change allowed: erasing a detail (to SQL NULL), nothing else
        IF to_jsonb(NEW) -> 'detail' = 'null'::jsonb
           AND (to_jsonb(NEW) - 'detail') = (to_jsonb(OLD) - 'detail') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def create_triggers() -> None:
    """The append-only triggers on ``audit_log`` and ``ledger``, for the current dialect."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in ("audit_log", "ledger"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ticketflow_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ticketflow_append_only()"
            )
        return
    op.execute(
        "CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger "
        "BEGIN SELECT RAISE(ABORT, 'ledger is append-only: UPDATE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger "
        "BEGIN SELECT RAISE(ABORT, 'ledger is append-only: DELETE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        f"WHEN NOT (NEW.detail IS NULL AND {_SQLITE_AUDIT_UNCHANGED}) "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END"
    )


def drop_triggers() -> None:
    """Undo :func:`create_triggers`."""
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_log", "ledger"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ticketflow_append_only()")
        return
    for name in ("ledger_no_update", "ledger_no_delete", "audit_log_no_update", "audit_log_no_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "chain_heads",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    for table in ("audit_log", "ledger"):
        with op.batch_alter_table(table) as batch:
            if table == "audit_log":
                batch.add_column(sa.Column("detail_sha256", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        op.create_index(f"uq_{table}_chain_seq", table, ["chain_seq"], unique=True)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    for table in ("ledger", "audit_log"):
        op.drop_index(f"uq_{table}_chain_seq", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("hash")
            batch.drop_column("prev_hash")
            batch.drop_column("chain_seq")
            if table == "audit_log":
                batch.drop_column("detail_sha256")
    op.drop_table("chain_heads")
