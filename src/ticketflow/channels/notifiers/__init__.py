"""Alert notifiers: Slack incoming webhooks, email over SMTP, and a signed generic webhook.

Each implements ``ports.alerts.Notifier``: ``send(event)`` raises ``ChannelUnavailable`` when a retry may
succeed (timeouts, 429, 5xx) and ``DeliveryRefused`` when it cannot (other 4xx). Retrying with backoff, and
sending once per event, is the runtime's durable step's job, not theirs.
"""
