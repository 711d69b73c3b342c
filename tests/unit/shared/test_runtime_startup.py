"""A service started while Redis or Kafka is down waits for them instead of exiting (the fault
suite found a dispatcher restarted during a Kafka outage exiting three times in a row)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import fakeredis
import pytest
from aiokafka.errors import KafkaConnectionError
from redis.exceptions import ConnectionError as RedisConnectionError

from shared import runtime as runtime_module
from shared.broker import EventBus, make_broker
from shared.clock import SystemClock
from shared.runtime import Runtime
from shared.settings import BaseServiceSettings
from tests.kafka_tools import eventually


class FlakyBroker:
    """Refuses the first `failures` connections, like a broker that is still down."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.connects = 0

    async def connect(self) -> None:
        self.connects += 1
        if self.connects <= self.failures:
            raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")


class FlakyRedis(fakeredis.FakeAsyncRedis):
    def __init__(self, failures: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failures = failures
        self.pings = 0

    async def ping(self, **kwargs: Any) -> bool:
        self.pings += 1
        if self.pings <= self.failures:
            raise RedisConnectionError(
                "Error 111 connecting to 127.0.0.1:6379. Connection refused."
            )
        return True


def runtime(broker: Any, redis: Any) -> Runtime:
    return Runtime(
        settings=BaseServiceSettings(),
        name="unit",
        broker=broker,
        bus=EventBus(broker),
        redis=redis,
        clock=SystemClock(),
    )


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-off sleeps, recorded instead of slept."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(runtime_module.asyncio, "sleep", sleep)
    return slept


async def test_start_waits_for_redis_then_kafka_with_a_capped_back_off(waits: list[float]) -> None:
    broker, redis = FlakyBroker(failures=4), FlakyRedis(failures=2)
    await runtime(broker, redis).wait_for_infrastructure()
    assert (redis.pings, broker.connects) == (7, 5)
    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


async def test_nothing_to_wait_for_when_both_answer(waits: list[float]) -> None:
    broker, redis = FlakyBroker(failures=0), FlakyRedis(failures=0)
    await runtime(broker, redis).wait_for_infrastructure()
    assert (redis.pings, broker.connects, waits) == (1, 1, [])


async def test_the_app_waits_in_its_first_startup_hook_and_sigterm_still_stops_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = BaseServiceSettings(kafka={"bootstrap_servers": "127.0.0.1:1"})  # nobody there
    broker = make_broker(settings, client_id="unit")
    rt = runtime(broker, FlakyRedis(failures=0))
    app = rt.app()
    with caplog.at_level(logging.WARNING, logger="mtm.runtime"):
        starting = asyncio.create_task(app.start())
        await eventually(
            lambda: "waiting for Redis and Kafka" in caplog.text,
            timeout=10,
            message="the service waits for Kafka",
        )
    assert not starting.done()  # waiting, not exited
    starting.cancel()  # what FastStream does to its startup task on SIGTERM
    with pytest.raises(asyncio.CancelledError):
        await starting
