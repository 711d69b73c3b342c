"""The symptoms service in this process for the fail-safe tests (the fake Twilio, the gateway and
the dispatcher come from tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from services.symptoms.app import Symptoms, build_service
from services.symptoms.settings import SymptomsSettings
from tests.infra import Infra


@pytest.fixture
async def symptoms(
    kafka: str, prefix: str, infra: Infra, namespace: str, redis: Redis
) -> AsyncIterator[Symptoms]:
    settings = SymptomsSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        log={"level": "WARNING"},
    )
    svc = build_service(settings)
    async with svc.runtime.lifespan():
        await svc.runtime.broker.start()
        try:
            yield svc
        finally:
            await svc.runtime.broker.stop()
