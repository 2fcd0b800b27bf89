"""The review console: server-rendered pages (FastAPI + Jinja2) for people working the queue.

Reserved room: pages are built over the same application services as the API (``runtime``, the store's
ports), never over raw tables. See ``docs/architecture.md``.
"""
