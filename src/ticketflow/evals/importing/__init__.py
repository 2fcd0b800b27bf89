"""``ticketflow import``: a helpdesk's past tickets turned into the workspace's labelled examples.

::

    export.csv ──read_export──▶ PastTicket … ──propose──▶ proposal.yaml (a person names, merges, rejects)
                                                              │
    examples.jsonl ◀──────────────accept (PII masked)─────────┘

- ``fields``: the documented fields and the helpdesk column names each is read from (``--map`` overrides);
- ``lines``: files as text lines, whatever their encoding, BOM or compression, streamed;
- ``export``: rows of CSV or JSONL exports as :class:`~ticketflow.evals.importing.export.PastTicket`, with
  errors naming file, line and column, duplicates skipped;
- ``clusters``: intents proposed by clustering the customers' messages (the number chosen by silhouette);
- ``proposal``: the YAML file a person edits, written and read back with errors by line;
- ``accept``: the accepted tickets written to ``examples.jsonl`` in the ticket-eval format.
"""
