"""The schema. Changing it means adding an Alembic revision under ``migrations/versions``."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_ref", sa.String(255), nullable=False),
    sa.Column("customer_email", sa.String(320)),
    sa.Column("customer_id", sa.String(128)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id", sa.String(64), sa.ForeignKey("conversations.id"), nullable=False, index=True
    ),
    sa.Column("ticket_id", sa.String(64), unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("workflow_id", sa.String(512), nullable=False, unique=True),
    sa.Column(
        "conversation_id", sa.String(64), sa.ForeignKey("conversations.id"), nullable=False, index=True
    ),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(255), nullable=False),
    sa.Column("customer_email", sa.String(320)),
    sa.Column("customer_id", sa.String(128)),
    sa.Column("subject", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("route", sa.String(16)),
    sa.Column("intent", sa.String(64)),
    sa.Column("decision", sa.JSON),
    sa.Column("draft", sa.Text),
    sa.Column("checks", sa.JSON),
    sa.Column("outcome", sa.String(16)),
    sa.Column("outcome_reason", sa.String(255)),
    sa.Column("timings", sa.JSON),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(64), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("projected", sa.Boolean, nullable=False),
    sa.Column("input_tokens", sa.Integer, nullable=False),
    sa.Column("output_tokens", sa.Integer, nullable=False),
    sa.Column("cache_creation_input_tokens", sa.Integer, nullable=False),
    sa.Column("cache_read_input_tokens", sa.Integer, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(128)),
    sa.Column("stop_reason", sa.String(32)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("ticket_id", "seq", name="uq_ledger_ticket_seq"),
)

fetches = sa.Table(
    "fetches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(64), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("found", sa.Boolean, nullable=False),
    sa.Column("stale", sa.JSON, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("ticket_id", "seq", name="uq_fetches_ticket_seq"),
)
"""The ledger's other half: every lookup of customer facts a ticket made, timed, with how fresh it was."""

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("ticket_id", sa.String(64), primary_key=True),
    sa.Column("conversation_id", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("ticket_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(255), nullable=False),
    sa.Column("handoff", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(64), index=True),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("detail", sa.JSON),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

batch_items = sa.Table(
    "batch_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(64), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("workflow_id", sa.String(512), nullable=False),
    sa.Column("custom_id", sa.String(64), nullable=False, unique=True),
    sa.Column("claimed_by", sa.String(512), nullable=False, index=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("batch_id", sa.String(128), index=True),
    sa.Column("error", sa.Text),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("ticket_id", "attempt", name="uq_batch_items_ticket_attempt"),
)
"""One row per request put in a Message Batch: the claim that stops a second batch from paying for it."""

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)
"""API keys, hashed: a key is ``tfk_<id>_<secret>``; only the secret's SHA-256 is kept."""

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("value", sa.JSON),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
"""Where each poller stopped: ``poll:zendesk`` → its export cursor, and the like (``storage.cursors``)."""
