"""The Freshdesk channel: webhook (shared secret, then the thread read from the API), replies, notes,
handoffs, tags, assignment, and the polling fallback. See ``channel.py`` for the whole picture."""
