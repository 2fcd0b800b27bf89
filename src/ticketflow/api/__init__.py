"""The HTTP API (FastAPI): intake, ticket status, health; OpenAPI at ``/docs``."""
