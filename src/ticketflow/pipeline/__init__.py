"""The six stages, one module each, and the runner that strings them together.

``STAGES`` lists them in order. The pipeline imports no DBOS: ``runtime`` wraps each stage in a durable
step, and the evaluation harness runs the same stages in-process.
"""

STAGES = ("intake", "routing", "context", "generation", "validation", "delivery")
