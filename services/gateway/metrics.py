"""Prometheus metrics of the gateway, on a registry of its own."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

ENDPOINTS = ("sms", "status")
OUTCOMES = ("accepted", "duplicate", "bad_signature", "bad_request", "unavailable", "error")
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    """Webhooks by endpoint and outcome, publish and answer latency, dependency readiness."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.webhooks = Counter(
            "mtm_gateway_webhooks",
            "Twilio webhook requests by endpoint and outcome.",
            ["endpoint", "outcome"],
            registry=self.registry,
        )
        self.publish_seconds = Histogram(
            "mtm_gateway_publish_seconds",
            "Time to publish one event to Kafka (acks=all).",
            ["topic"],
            buckets=_FAST,
            registry=self.registry,
        )
        self.answer_seconds = Histogram(
            "mtm_gateway_answer_seconds",
            "Time from request to answer, by endpoint.",
            ["endpoint"],
            buckets=_FAST,
            registry=self.registry,
        )
        self.ready = Gauge(
            "mtm_gateway_dependency_ready",
            "1 when the last check of a dependency succeeded.",
            ["dependency"],
            registry=self.registry,
        )
        # Every series exists from the start, so a rate() or an alert never sees a missing one.
        for endpoint in ENDPOINTS:
            self.answer_seconds.labels(endpoint)
            for outcome in OUTCOMES:
                self.webhooks.labels(endpoint, outcome)

    def count(self, endpoint: str, outcome: str, seconds: float) -> None:
        self.webhooks.labels(endpoint, outcome).inc()
        self.answer_seconds.labels(endpoint).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The text format for /metrics and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
