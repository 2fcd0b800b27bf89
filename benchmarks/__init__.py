"""Speed benchmarks: ``make bench`` (``python -m benchmarks``). They print figures; they assert nothing."""
