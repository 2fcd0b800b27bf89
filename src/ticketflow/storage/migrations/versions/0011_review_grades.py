"""grades: the monthly review's grade per sampled ticket; tickets.received_at indexed for reports

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grades",
        sa.Column("ticket_id", sa.String(length=64), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("should_escalate", sa.Boolean(), nullable=True),
        sa.Column("answer_right", sa.Boolean(), nullable=True),
        sa.Column("grader", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tickets_received_at", "tickets", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_received_at", table_name="tickets")
    op.drop_table("grades")
