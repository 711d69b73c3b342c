"""Whether Kafka and Redis answer, checked in the background so that no request waits on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger("mtm.gateway.readiness")


class Broker(Protocol):
    """What the monitor needs of the FastStream KafkaBroker."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self, timeout: float | None) -> bool: ...  # noqa: ASYNC109  (FastStream API)


async def _always() -> bool:
    return True


def tcp_reachable(bootstrap_servers: str, *, timeout: float) -> Callable[[], Awaitable[bool]]:
    """A check that some bootstrap server accepts a TCP connection."""
    addresses = [s.strip().rpartition(":") for s in bootstrap_servers.split(",") if s.strip()]

    async def check() -> bool:
        for host, _, port in addresses:
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, int(port)), timeout
                )
            except (OSError, TimeoutError, ValueError):
                continue
            writer.close()
            return True
        return False

    return check


class ReadinessMonitor:
    """Connects the producer (again and again if Kafka is down at start) and pings both stores."""

    def __init__(
        self,
        broker: Broker,
        redis_ping: Callable[[], Awaitable[object]],
        *,
        interval: float,
        timeout: float,
        reachable: Callable[[], Awaitable[bool]] = _always,
        observe: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.broker = broker
        self.redis_ping = redis_ping
        self.interval = interval
        self.timeout = timeout
        self.reachable = reachable
        self.observe = observe
        self.connected = False
        self.kafka_ready = False
        self.redis_ready = False
        self._failed_connects = 0
        self._stop = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self.kafka_ready and self.redis_ready

    def snapshot(self) -> dict[str, bool]:
        return {"kafka": self.kafka_ready, "redis": self.redis_ready}

    async def check(self) -> None:
        """One round: connect the producer if it never was, then ping Kafka and Redis."""
        if not self.connected:
            await self._connect()
        kafka = self.connected and await self.broker.ping(self.timeout)
        try:
            await asyncio.wait_for(self.redis_ping(), timeout=self.timeout)
            redis = True
        except Exception:
            redis = False
        self._set("kafka", kafka)
        self._set("redis", redis)

    async def _connect(self) -> None:
        # aiokafka leaks a producer on every failed start; only try when a broker accepts TCP.
        if not await self.reachable():
            self._not_connected("KafkaUnreachable")
            return
        try:
            await asyncio.wait_for(self.broker.start(), timeout=max(self.timeout, 5.0))
        except Exception as exc:
            self._not_connected(type(exc).__name__)
            try:
                await self.broker.stop()
            except Exception as stop_exc:
                log.debug(
                    "stopping a half-started broker failed",
                    extra={"error_class": type(stop_exc).__name__},
                )
            return
        self.connected = True
        log.info("Kafka producer connected")

    def _not_connected(self, reason: str) -> None:
        # Once a minute at most: an outage must not flood the log.
        if self._failed_connects % 60 == 0:
            log.warning(
                "Kafka producer not connected yet",
                extra={"error_class": reason, "attempts": self._failed_connects + 1},
            )
        self._failed_connects += 1

    def _set(self, name: str, value: bool) -> None:
        attribute = f"{name}_ready"
        if getattr(self, attribute) != value:
            level = logging.INFO if value else logging.WARNING
            log.log(
                level, f"{name} {'ready' if value else 'unavailable'}", extra={"dependency": name}
            )
        setattr(self, attribute, value)
        if self.observe is not None:
            self.observe(name, value)

    async def run(self) -> None:
        """Check every `interval` seconds until stop()."""
        while not self._stop.is_set():
            try:
                await self.check()
            except Exception:
                log.exception("readiness check failed")
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()
