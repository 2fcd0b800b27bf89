"""api_keys.webhook_url/webhook_secret, tickets.submitted_by: the API channel's outbound webhook per key

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("webhook_url", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("webhook_secret", sa.String(length=64), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("submitted_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("submitted_by")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("webhook_secret")
        batch.drop_column("webhook_url")
