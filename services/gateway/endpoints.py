"""The gateway's HTTP surface: the two webhooks, health, readiness and metrics."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.gateway.metrics import GatewayMetrics
from services.gateway.webhooks import Gateway


class Probe(Protocol):
    """What /readyz reports: the last background check of each dependency."""

    @property
    def ready(self) -> bool: ...

    def snapshot(self) -> dict[str, bool]: ...


def make_app(
    gateway: Gateway, probe: Probe, metrics: GatewayMetrics, *, lifespan: Any = None
) -> Starlette:
    """A Starlette app serving the gateway (debug off: an error never shows a stack trace)."""

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        return JSONResponse(probe.snapshot(), status_code=200 if probe.ready else 503)

    async def metrics_endpoint(_: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, headers={"Content-Type": content_type})

    routes = [
        Route("/twilio/sms", gateway.sms, methods=["POST"]),
        Route("/twilio/status", gateway.status, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    return Starlette(debug=False, routes=routes, lifespan=lifespan)
