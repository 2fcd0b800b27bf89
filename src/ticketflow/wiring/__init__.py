"""Builds the engine from settings: the one place where concrete adapters are chosen.

::

    from ticketflow.wiring.engine import Engine

    engine = Engine.from_workspace("examples/store")
    result = engine.handle(message)        # in-process, recorded in the store

- ``engine``: :class:`~ticketflow.wiring.engine.Engine`, the assembled pipeline, store and providers;
- ``adapters``: which provider, customer source, rankers and checks the settings ask for;
- ``models``: training, saving and loading the routing models.

Nothing is re-exported: entry points import what they use from the module that defines it.
"""
