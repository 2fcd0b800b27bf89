"""SQLAlchemy tables, the repository the pipeline and API use, and Alembic migrations."""
