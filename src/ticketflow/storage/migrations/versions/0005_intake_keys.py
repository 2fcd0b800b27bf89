"""intake keys: tickets unique by (channel, external_id), conversations by (channel, external_ref)

Ticket and conversation ids become random from this revision on, so deduplication can no longer rely on
the primary key: it goes by what the channel sent. ``conversations.external_ref`` widens to 512 characters,
enough for ``ticket:{external_id}`` with the longest external id (255). Existing rows keep their ids; they
already satisfy both constraints, since their ids were derived from the same values.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.alter_column(
            "external_ref",
            existing_type=sa.String(length=255),
            type_=sa.String(length=512),
            existing_nullable=False,
        )
        batch_op.create_unique_constraint(
            "uq_conversations_channel_external_ref", ["channel", "external_ref"]
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_tickets_channel_external_id", ["channel", "external_id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_tickets_channel_external_id", type_="unique")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_conversations_channel_external_ref", type_="unique")
        batch_op.alter_column(
            "external_ref",
            existing_type=sa.String(length=512),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
