"""The email channel: parse and thread inbound mail, refuse loops, reply over SMTP, take mail in, poll IMAP.

One concern per module: :mod:`.parse` (bytes to the customer's new text), :mod:`.threading` (which
conversation), :mod:`.loops` (what never gets an answer), :mod:`.outbound` (the reply and its SMTP
delivery), :mod:`.channel` (the ``Channel`` port), :mod:`.smtp_intake` (the SMTP server), :mod:`.imap`
(mailbox polling) and :mod:`.settings_model` (``[channels.email]``).
"""
