"""The schema. Changing it means adding an Alembic revision under ``migrations/versions``."""

from __future__ import annotations

import sqlalchemy as sa

from ticketflow.domain.ids import MAX_CONVERSATION_REF, MAX_EXTERNAL_ID, MAX_ID, MAX_WORKFLOW_ID

metadata = sa.MetaData()

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(MAX_ID), primary_key=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_ref", sa.String(MAX_CONVERSATION_REF), nullable=False),
    sa.Column("customer_email", sa.String(320)),
    sa.Column("customer_id", sa.String(128)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("uq_conversations_channel_external_ref", "channel", "external_ref", unique=True),
)
"""One row per thread of a channel; its id is random (revision 0005), its key ``(channel, external_ref)``."""

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "conversation_id", sa.String(MAX_ID), sa.ForeignKey("conversations.id"), nullable=False, index=True
    ),
    sa.Column("ticket_id", sa.String(MAX_ID), unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String(MAX_ID), primary_key=True),
    sa.Column("workflow_id", sa.String(MAX_WORKFLOW_ID), nullable=False, unique=True),
    sa.Column(
        "conversation_id", sa.String(MAX_ID), sa.ForeignKey("conversations.id"), nullable=False, index=True
    ),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("external_id", sa.String(MAX_EXTERNAL_ID), nullable=False),
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
    sa.Column("submitted_by", sa.String(32)),
    sa.Index("uq_tickets_channel_external_id", "channel", "external_id", unique=True),
)
"""One row per accepted message; its id is random (revision 0005), its key ``(channel, external_id)``."""

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
    sa.Column("attempt_id", sa.String(64)),
    sa.Column("in_doubt", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("chain_seq", sa.Integer),
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
    sa.UniqueConstraint("ticket_id", "seq", name="uq_ledger_ticket_seq"),
    sa.Index("uq_ledger_chain_seq", "chain_seq", unique=True),
)
"""``in_doubt``: an attempt journaled but never seen answered (its process died); its cost is the estimate.
``chain_seq``/``prev_hash``/``hash``: the row's link in the ledger's hash chain (``storage.chain``; revision
0012); rows written before it are unchained. Triggers refuse UPDATE and DELETE (revision 0012)."""

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("attempt_id", sa.String(64), primary_key=True),
    sa.Column("ticket_id", sa.String(64), nullable=False, index=True),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("estimate_usd", sa.Float, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("cost_usd", sa.Float),
    sa.Column("usage", sa.JSON),
    sa.Column("status", sa.Integer),
    sa.Column("request_id", sa.String(128)),
    sa.Column("began_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("settled_at", sa.DateTime(timezone=True)),
    sa.Column("ledgered_at", sa.DateTime(timezone=True)),
)
"""The attempt journal: each paid HTTP attempt, written before it is sent and settled after (operational:
rows are updated; ``ledgered_at`` is set in the transaction that writes the attempt's ledger row)."""

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

grades = sa.Table(
    "grades",
    metadata,
    sa.Column("ticket_id", sa.String(MAX_ID), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("should_escalate", sa.Boolean),
    sa.Column("answer_right", sa.Boolean),
    sa.Column("grader", sa.String(200)),
    sa.Column("note", sa.Text),
    sa.Column("graded_at", sa.DateTime(timezone=True), nullable=False),
)
"""The monthly review's grades, one per sampled ticket (graded again: replaced); ``kind`` is the half of the
sample it was drawn into (``answered`` or ``escalated``)."""

sa.Index("ix_tickets_received_at", tickets.c.received_at)
"""Reports and the monthly review read tickets by the time they arrived (revision 0014)."""

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
    sa.Column("lease_holder", sa.String(200)),
    sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
    sa.Column("assignee", sa.String(200)),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
)
"""One row per handed-off ticket. ``status`` is ``open``, ``claimed`` (``lease_holder`` until
``lease_expires_at``), ``sent`` or ``rejected``; each change is one conditional UPDATE
(``storage.review_desk``)."""

review_actions = sa.Table(
    "review_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(64), nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("diff", sa.Text),
    sa.Column("body", sa.Text),
)
"""What agents did to each review: who, when, a rejection's reason, the reply sent and its diff from the
draft."""

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(64), index=True),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("detail", sa.JSON),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("detail_sha256", sa.String(64)),
    sa.Column("chain_seq", sa.Integer),
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
    sa.Index("uq_audit_log_chain_seq", "chain_seq", unique=True),
)
"""Append-only (triggers, revision 0012): the one UPDATE allowed sets ``detail`` to NULL (erasure), and the
chain covers ``detail_sha256``, not ``detail``, so it still verifies after it (``storage.chain``)."""

chain_heads = sa.Table(
    "chain_heads",
    metadata,
    sa.Column("chain", sa.String(32), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
"""The newest link of each hash chain (``audit_log``, ``ledger``): what an append builds on, and what tells
``audit verify`` that entries were cut off the end."""

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
    sa.Column("webhook_url", sa.String(2000)),
    sa.Column("webhook_secret", sa.String(64)),
)
"""API keys, hashed: a key is ``tfk_<id>_<secret>``; only the secret's SHA-256 is kept. ``webhook_secret``
signs the key's outbound webhook, so it is kept as is (it must be recoverable to sign)."""

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(160), nullable=False, unique=True),
    sa.Column("ticket_id", sa.String(64), nullable=False, index=True),
    sa.Column("conversation_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("message_id", sa.String(512)),
    sa.Column("body", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)
"""One row per outgoing message (reply, handoff, holding message), keyed ``send:{ticket_id}:{kind}``: the
attempt is recorded ``queued`` before the channel is called, ``sent`` with the channel's id after."""

mail_ids = sa.Table(
    "mail_ids",
    metadata,
    sa.Column("message_id", sa.String(512), primary_key=True),
    sa.Column("conversation_ref", sa.String(512), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("chain", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
"""Every Message-ID of a mail conversation, the customer's and ours: what threads the next mail into it.
``chain`` is what a reply to that mail carries in ``References``."""

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
"""Where each poller resumes (an IMAP folder's ``(UIDVALIDITY, UID)``, a helpdesk's cursor), by name."""

alert_states = sa.Table(
    "alert_states",
    metadata,
    sa.Column("rule", sa.String(100), primary_key=True),
    sa.Column("firing", sa.Boolean, nullable=False),
    sa.Column("cooling", sa.Boolean, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("since", sa.DateTime(timezone=True)),
    sa.Column("last_fired_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("evaluated_at", sa.DateTime(timezone=True)),
)
"""Each alert rule's state (revision 0013): firing or not, and its firings' count (``seq``)."""

alert_events = sa.Table(
    "alert_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule", sa.String(100), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("notified_at", sa.DateTime(timezone=True)),
    sa.Column("outcome", sa.Text),
    sa.UniqueConstraint("rule", "seq", "kind", name="uq_alert_events_rule_seq_kind"),
)
"""Every move of an alert rule (``fired``/``resolved``), once per firing; ``notified_at`` once sent."""
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled_at", sa.DateTime(timezone=True)),
)
"""People's accounts for the console: ``password_hash`` is argon2id (argon2-cffi), never the password."""

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
)
"""Server-side console sessions, keyed by the SHA-256 of the cookie's token: ``seen_at`` is the idle clock,
``expires_at`` the absolute end; signing out or disabling the account sets ``closed_at``."""

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("ticket_id", sa.String(MAX_ID), primary_key=True),
    sa.Column("rating", sa.String(16), nullable=False),
    sa.Column("score", sa.Integer),
    sa.Column("comment", sa.Text),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
"""The customer's rating of a ticket's answer (``good``/``bad``/``neutral``, a 1–5 score when given), one per
ticket: a second rating replaces the first (each is an audit event ``rated``)."""

throttles = sa.Table(
    "throttles",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("admitted", sa.Boolean, nullable=False),
)
"""Token buckets shared by every process (sign-ins per account and address, rating form posts per address):
``key`` is a SHA-256 of the limit's ``name`` and the caller, never the username or address itself; ``at`` is
unix seconds; ``admitted`` says whether the last take was let through (what an upsert's ``RETURNING``
reads). A bucket idle long enough to be full again is deleted: it is the same as no row."""
