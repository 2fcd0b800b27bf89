"""``ticketflow_deliveries_total{channel,kind,status}``: outgoing messages by status, read from the store.

A collector rather than counters: the deliveries table is shared by every worker, so each scrape of any
process reports the same totals, and a message that moves from ``queued`` to ``sent`` moves between labels.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from ticketflow.ports.store import Deliveries


class DeliveryCollector(Collector):
    """Registered on the runtime's registry; one query per scrape."""

    def __init__(self, deliveries: Deliveries) -> None:
        self._deliveries = deliveries

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "ticketflow_deliveries",
            "Outgoing messages (replies, handoffs, holding messages) by channel, kind and status",
            labels=["channel", "kind", "status"],
        )
        for channel, kind, status, count in sorted(self._deliveries.counts()):
            family.add_metric([channel, kind, status], count)
        yield family
