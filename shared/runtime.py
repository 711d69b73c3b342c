"""What every service process shares: settings, broker, event bus, Redis, clock, background loops.

Every service's app.py has one `build(settings, *, clock=, broker=, redis=) -> Service[Context]`:

    rt = Runtime.create(settings, name="reminders", clock=clock, broker=broker, redis=redis)
    ctx = Context(...)                       # the one object its handlers and timers work with
    rt.include(make_router(ctx, prefix=...))
    worker = rt.timers(TimerWorker(...), early=True)
    return Service(rt, ctx, [worker])

and `create_app()` is `build(...).app()`.

Routers subscribe to bare topic names; the configured topic prefix is applied when included.
Several services can share one broker (the demo and the in-memory tests), so nothing here
assumes a service is alone in its process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import uvloop
from aiokafka.errors import KafkaError
from faststream import FastStream
from faststream.kafka import KafkaBroker, KafkaRouter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.broker import EventBus, Salvage, committer_of, make_broker, policy_of
from shared.clock import Clock, SystemClock
from shared.connections import redis_client
from shared.health import Heartbeat
from shared.logging import configure_logging
from shared.settings import BaseServiceSettings
from shared.timers import TimerWorker
from shared.topics import redis_prefix

log = logging.getLogger("mtm.runtime")
C = TypeVar("C")
Hook = Callable[[], Coroutine[Any, Any, None]]

STARTUP_RETRY_MAX_SECONDS = 5.0
"""A service started during an outage looks for Redis and Kafka at least this often."""


def run_service(main: Coroutine[Any, Any, Any]) -> None:
    """Run a service process's main coroutine to the end on uvloop: the same asyncio API, with
    the event loop and socket transports in C (dispatcher alone: 2.05 -> 1.98 ms of CPU per SMS,
    docs/performance.md). The gateway gets it from uvicorn, which picks uvloop when installed."""
    uvloop.run(main)


@dataclass
class Runtime:
    """The plumbing of one service (or of several sharing one broker)."""

    settings: BaseServiceSettings
    name: str
    broker: KafkaBroker
    bus: EventBus
    redis: Redis
    clock: Clock
    _loops: list[tuple[Callable[[], Coroutine[Any, Any, None]], Callable[[], None]]] = field(
        default_factory=list
    )
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _early: list[tuple[Callable[[], Coroutine[Any, Any, None]], Callable[[], None]]] = field(
        default_factory=list
    )
    _early_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _on_start: list[Hook] = field(default_factory=list)
    _on_stop: list[Hook] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        settings: BaseServiceSettings,
        *,
        name: str,
        clock: Clock | None = None,
        broker: KafkaBroker | None = None,
        redis: Redis | None = None,
    ) -> Runtime:
        """Build the clients (nothing connects until the app starts)."""
        broker = broker or make_broker(settings, client_id=name)
        redis = redis or redis_client(settings.redis, health_check_interval=30)
        bus = EventBus(broker, prefix=settings.kafka.topic_prefix)
        return cls(
            settings=settings,
            name=name,
            broker=broker,
            bus=bus,
            redis=redis,
            clock=clock or SystemClock(),
        )

    def key_prefix(self, service: str) -> str:
        """Redis key prefix of a service under the configured namespace."""
        return redis_prefix(self.settings.redis.namespace, service)

    def include(self, router: KafkaRouter) -> None:
        self.broker.include_router(router, prefix=self.settings.kafka.topic_prefix)

    def salvage(self, group: str, salvage: Salvage) -> None:
        """What to rescue from a record of consumer group `group` that fails validation, before
        it is dead-lettered (shared.broker.DeadLetterPolicy.salvage)."""
        policy = policy_of(self.broker)
        if policy is None:
            raise RuntimeError("the broker was not made by shared.broker.make_broker")
        policy.salvage(group, salvage)

    def background(
        self,
        run: Callable[[], Coroutine[Any, Any, None]],
        stop: Callable[[], None],
        *,
        early: bool = False,
    ) -> None:
        """A loop that runs while the app runs: once the consumers have started, or, `early`,
        as soon as Redis and the producer answer, before the consumers join their groups (after
        a crash that join waits out the dead member's session timeout, and a due page or
        reminder must not). Early loops stop before the broker does, so a firing in progress can
        still publish; a firing stuck past 10 s is cancelled and its timer fires again later."""
        (self._early if early else self._loops).append((run, stop))

    def timers(self, worker: TimerWorker, *, early: bool = False) -> TimerWorker:
        """A timer worker as a background loop (see `background`); returns it."""
        self.background(worker.run, worker.stop, early=early)
        return worker

    def on_start(self, hook: Hook) -> None:
        """Run once Redis and Kafka answer, before the consumers start (e.g. open a session)."""
        self._on_start.append(hook)

    def on_stop(self, hook: Hook) -> None:
        """Run after the app has stopped (e.g. close that session)."""
        self._on_stop.append(hook)

    @staticmethod
    def _start(loops: list[tuple[Any, Any]], name: str) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(run(), name=name) for run, _ in loops]

    @staticmethod
    async def _stop(loops: list[tuple[Any, Any]], tasks: list[asyncio.Task[None]]) -> None:
        for _, stop in loops:
            stop()
        for task in tasks:
            try:
                await asyncio.wait_for(task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        tasks.clear()

    async def start_early(self) -> None:
        if self._early:
            await self.broker.connect()
            self._early_tasks.extend(self._start(self._early, f"{self.name}-early"))

    async def stop_early(self) -> None:
        await self._stop(self._early, self._early_tasks)

    async def start_background(self) -> None:
        self._tasks.extend(self._start(self._loops, f"{self.name}-loop"))

    async def stop_background(self) -> None:
        await self._stop(self._loops, self._tasks)

    def heartbeat(self) -> Heartbeat | None:
        """The health file for exec probes, when MTM_HEALTH__FILE asks for one."""
        health = self.settings.health
        if not health.file:
            return None
        return Heartbeat(
            health.file,
            service=self.name,
            checks={"kafka": lambda: self.broker.ping(timeout=2.0), "redis": self.redis.ping},
            interval=health.interval_seconds,
        )

    async def wait_for_infrastructure(self) -> None:
        """Start during an outage instead of exiting: wait until Redis answers and Kafka takes
        the producer's connection. (A process that exits is restarted by its supervisor, but
        Kubernetes backs off for up to five minutes, and a page would wait that long.)"""
        delay = 0.5
        while True:
            try:
                await self.redis.ping()
                await self.broker.connect()
                return
            except (RedisError, KafkaError, OSError) as exc:
                log.warning(
                    "waiting for Redis and Kafka",
                    extra={
                        "service": self.name,
                        "error_class": type(exc).__name__,
                        "retry_in": delay,
                    },
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, STARTUP_RETRY_MAX_SECONDS)

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        # Redis and Kafka are awaited in the app's first startup hook (wait_for_infrastructure),
        # where a SIGTERM can still stop the process.
        log.info("service starting", extra={"service": self.name})
        # Live from here; ready once the broker has started and both stores answer.
        heartbeat = self.heartbeat()
        if heartbeat is not None:
            heartbeat.start()
        yield
        if heartbeat is not None:
            await heartbeat.stop()
        await self.stop_background()
        await self.redis.aclose()
        log.info("service stopped", extra={"service": self.name})

    def app(self) -> FastStream:
        """A FastStream app: Redis and Kafka awaited, broker started, then the background loops."""
        configure_logging(
            level=self.settings.log.level,
            json_format=self.settings.log.json_format,
            redact=self.settings.log.redact,
        )
        app = FastStream(self.broker, lifespan=self.lifespan)
        app.on_startup(self.wait_for_infrastructure)  # first: the other hooks need both stores
        for hook in self._on_start:
            app.on_startup(hook)
        app.on_startup(self.start_early)
        app.after_startup(self.start_background)
        committer = committer_of(self.broker)
        if committer is not None:  # the last handled offsets, before the consumers stop
            app.on_shutdown(committer.close)
        app.on_shutdown(self.stop_early)  # before the broker stops: a firing can still publish
        for hook in self._on_stop:
            app.after_shutdown(hook)
        return app


@dataclass
class Service(Generic[C]):
    """A built service, as every app.py's `build()` returns it: its runtime, the one context its
    handlers and timers work with, and its timer workers (the demo fires them by hand)."""

    runtime: Runtime
    context: C
    workers: list[TimerWorker] = field(default_factory=list)

    def app(self) -> FastStream:
        """The FastStream app; nothing connects until it starts."""
        return self.runtime.app()
