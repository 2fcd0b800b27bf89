"""The Intercom channel: signed webhooks in, conversation parts out, search polling as the fallback.

Wire facts: ``/work/shared/FACTS-channels.md`` §2 (mirrored in the module docstrings). Build it with
``IntercomChannel(IntercomSettings(admin_id=...))``; the access token and webhook key come from the
environment variables the settings name.
"""
