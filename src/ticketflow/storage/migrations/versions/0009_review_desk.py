"""reviews.lease_holder/lease_expires_at/assignee/closed_at and review_actions: the review queue agents work

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("lease_holder", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("assignee", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("diff", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
    )
    op.create_index("ix_review_actions_ticket_id", "review_actions", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_review_actions_ticket_id", table_name="review_actions")
    op.drop_table("review_actions")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("closed_at")
        batch.drop_column("assignee")
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_holder")
