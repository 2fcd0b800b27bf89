"""throttles: token buckets shared by every process (sign-in and rating-form rate limits)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("admitted", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("throttles")
