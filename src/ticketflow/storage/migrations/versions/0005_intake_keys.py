"""intake keys: tickets unique by (channel, external_id), conversations by (channel, external_ref)

Ticket and conversation ids are random from this revision on, so deduplication can no longer rely on the
primary key: it goes by what the channel sent, through these two unique indexes (``INSERT ... ON CONFLICT``
names them). Existing rows keep their ids; they already satisfy both keys, since their ids were derived
from the same values.

``conversations.external_ref`` widens to 512 characters, enough for ``ticket:{external_id}`` with the longest
external id (255). On PostgreSQL that is an ``ALTER COLUMN``. SQLite never enforces a declared length, and
changing the declaration would mean rebuilding ``conversations``, which tickets and messages reference: a
rebuild inside the migration's transaction breaks their foreign keys (SQLite counts the dropped table's
children as violations that the renamed copy does not clear), so SQLite keeps ``VARCHAR(255)`` as declared
text only.

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
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "conversations",
            "external_ref",
            existing_type=sa.String(length=255),
            type_=sa.String(length=512),
            existing_nullable=False,
        )
    op.create_index(
        "uq_conversations_channel_external_ref", "conversations", ["channel", "external_ref"], unique=True
    )
    op.create_index("uq_tickets_channel_external_id", "tickets", ["channel", "external_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_tickets_channel_external_id", table_name="tickets")
    op.drop_index("uq_conversations_channel_external_ref", table_name="conversations")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "conversations",
            "external_ref",
            existing_type=sa.String(length=512),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
