"""ticketflow: automate customer-support tickets with Claude, with the guardrails production needs.

The pipeline is visible in the tree: ``intake → routing → context → generation → validation → delivery``.
Start from :class:`ticketflow.wiring.Engine`::

    engine = Engine.from_workspace("examples/store")
    result = engine.handle(message)
"""

__version__ = "0.1.0"
