"""The symptoms service in this process for the fail-safe tests (the fake Twilio, the gateway and
the dispatcher come from tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from deploy.local.find_infra import Infra
from services.symptoms.app import build
from services.symptoms.context import Context
from services.symptoms.settings import SymptomsSettings
from shared.runtime import Service


@pytest.fixture
async def symptoms(
    kafka: str, prefix: str, infra: Infra, namespace: str, redis: Redis
) -> AsyncIterator[Service[Context]]:
    settings = SymptomsSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        log={"level": "WARNING"},
    )
    svc = build(settings)
    async with svc.runtime.lifespan():
        await svc.runtime.broker.start()
        try:
            yield svc
        finally:
            await svc.runtime.broker.stop()
