"""The stack most integration tests text through: the fake Twilio, the gateway as a process
and the dispatcher in this process, on the real Kafka and Redis. A module that needs them
otherwise defines fixtures of the same names, which win over these."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from deploy.local.fake_twilio import DEFAULT_ACCOUNT_SID, FakeTwilio
from deploy.local.find_infra import Infra
from services.dispatcher.context import Context as DispatcherContext
from services.dispatcher.settings import DispatcherSettings
from tests.integration.dispatcher_procs.support import running
from tests.integration.gateway_support import TOKEN, GatewayProcess, gateway_process


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio(auth_token=TOKEN)
    twilio.start()
    yield twilio
    twilio.stop()


@pytest.fixture
def gateway(service_env: dict[str, str], tmp_path: Path) -> Iterator[GatewayProcess]:
    with gateway_process(service_env, tmp_path) as gw:
        yield gw


@pytest.fixture
async def dispatcher(
    kafka: str, prefix: str, infra: Infra, namespace: str, fake: FakeTwilio, gateway: GatewayProcess
) -> AsyncIterator[DispatcherContext]:
    fake.reset()
    await gateway.wait_ready()
    settings = DispatcherSettings(
        env="test",
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.05},
        redis={"url": infra.redis_url, "namespace": namespace},
        twilio={"account_sid": DEFAULT_ACCOUNT_SID, "auth_token": TOKEN, "base_url": fake.base_url},
        log={"level": "WARNING"},
        dispatcher={
            "status_callback_url": gateway.url + "/twilio/status",
            "backoff_base_seconds": 0.05,
            "ambiguous_settle_seconds": 0.1,
        },
    )
    async with running(settings) as ctx:
        yield ctx
