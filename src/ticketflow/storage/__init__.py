"""The store on SQLAlchemy: tables, one module per role (tickets, conversations, outbox, reviews, ledger,
audit, batch claims), ``SqlStore`` composing them, and Alembic migrations."""
