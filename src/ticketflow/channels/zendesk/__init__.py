"""The Zendesk channel: webhooks (event and trigger kinds) in, comments, tags and assignments out, polling
as the fallback. Wire facts: ``FACTS-channels.md`` §1 and §4.
"""
