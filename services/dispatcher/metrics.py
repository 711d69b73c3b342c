"""Prometheus counters of the dispatcher, on a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class Metrics:
    """Sent, failed, suppressed (by reason), delivered, replies (by intent), look-ups."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.sent = Counter(
            "dispatcher_sent", "SMS accepted by Twilio", ["lane"], registry=self.registry
        )
        self.failed = Counter(
            "dispatcher_failed",
            "Sends or deliveries that failed",
            ["stage"],
            registry=self.registry,
        )
        self.suppressed = Counter(
            "dispatcher_suppressed",
            "Requests not sent (or not yet)",
            ["reason"],
            registry=self.registry,
        )
        self.delivered = Counter(
            "dispatcher_delivered", "Carrier-confirmed deliveries", registry=self.registry
        )
        self.replies = Counter(
            "dispatcher_replies", "Inbound texts by meaning", ["intent"], registry=self.registry
        )
        self.reconciled = Counter(
            "dispatcher_reconciled",
            "Ambiguous sends resolved by looking Twilio up",
            ["found"],
            registry=self.registry,
        )
        self.status_lookups = Counter(
            "dispatcher_status_lookups",
            "Sent messages without a final status, looked up at Twilio",
            ["outcome"],
            registry=self.registry,
        )
