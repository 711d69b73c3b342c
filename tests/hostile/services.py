"""All six services in this process against the real Kafka and Redis, as their app.py wires them
(the gateway is an HTTP edge and consumes nothing; its input is fuzzed over HTTP instead)."""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber
from pydantic import TypeAdapter

from demo.fake_sms import FakeSms
from services.adherence.app import build as build_adherence
from services.adherence.context import Context as AdherenceContext
from services.adherence.settings import AdherenceSettings
from services.dispatcher.app import build as build_dispatcher
from services.dispatcher.context import Context as DispatcherContext
from services.dispatcher.settings import DispatcherSettings
from services.escalation.app import build as build_escalation
from services.escalation.context import Context as EscalationContext
from services.escalation.settings import EscalationSettings
from services.reminders.app import build as build_reminders
from services.reminders.settings import RemindersSettings
from services.symptoms.app import build as build_symptoms
from services.symptoms.settings import SymptomsSettings
from shared.runtime import Service


@dataclass(frozen=True)
class Consumer:
    """One subscription: a consumer group on some topics, and the type its handler accepts."""

    service: str
    group: str
    topics: tuple[str, ...]
    accepts: TypeAdapter[Any]
    subscriber: Any = field(compare=False, repr=False)


@dataclass
class Running:
    dispatcher: DispatcherContext
    sms: FakeSms
    adherence: AdherenceContext
    escalation: EscalationContext
    brokers: dict[str, KafkaBroker]
    consumers: list[Consumer]

    def groups_of(self, topic: str) -> list[Consumer]:
        return [c for c in self.consumers if topic in c.topics]

    def dead_consumers(self) -> list[str]:
        """Subscribers whose consume loop stopped (crashed or was cancelled)."""
        dead = []
        for c in self.consumers:
            tasks = list(getattr(c.subscriber, "tasks", []))
            if not c.subscriber.running or not tasks or any(t.done() for t in tasks):
                dead.append(c.group)
        return dead


def common(*, kafka: str, prefix: str, redis_url: str, namespace: str) -> dict[str, Any]:
    return {
        "env": "test",
        "kafka": {
            "bootstrap_servers": kafka,
            "topic_prefix": prefix,
            "retry_backoff_seconds": 0.05,
        },
        "redis": {"url": redis_url, "namespace": namespace},
        "log": {"level": "WARNING"},
    }


def consumers_of(service: str, broker: KafkaBroker) -> list[Consumer]:
    """The subscriptions of a built broker, with the handler's annotated event type."""
    found = []
    for sub in broker.subscribers:
        # A Kafka subscriber, and every subscription of the services names its group.
        assert isinstance(sub, LogicSubscriber) and sub.group_id is not None, sub
        [call] = sub.calls
        hints = typing.get_type_hints(call.handler._original_call, include_extras=True)
        accepts = next(v for k, v in hints.items() if k != "return")
        found.append(
            Consumer(
                service=service,
                group=sub.group_id,
                topics=tuple(t.name for t in sub.topics),
                accepts=TypeAdapter(accepts),
                subscriber=sub,
            )
        )
    return found


@dataclass
class Built:
    """The six services wired but not started: their apps and their subscriptions."""

    running: Running
    apps: list[FastStream]


def build_six(**env: str) -> Built:
    """Build every service with its own broker and Redis client; nothing connects yet."""
    base = common(**env)
    sms = FakeSms()
    services: dict[str, Service[Any]] = {
        "dispatcher": build_dispatcher(
            DispatcherSettings(**base, dispatcher={"rate_per_second": 500.0}), sender=sms
        ),
        "reminders": build_reminders(RemindersSettings(**base)),
        "adherence": build_adherence(AdherenceSettings(**base)),
        "symptoms": build_symptoms(SymptomsSettings(**base)),
        "escalation": build_escalation(EscalationSettings(**base)),
    }
    apps = {name: (service.app(), service.runtime.broker) for name, service in services.items()}
    running = Running(
        dispatcher=services["dispatcher"].context,
        sms=sms,
        adherence=services["adherence"].context,
        escalation=services["escalation"].context,
        brokers={name: broker for name, (_, broker) in apps.items()},
        consumers=[c for name, (_, broker) in apps.items() for c in consumers_of(name, broker)],
    )
    return Built(running, [app for app, _ in apps.values()])


@asynccontextmanager
async def started(built: Built) -> AsyncIterator[Running]:
    """Start every app (lifespan, broker, loops); stop them all on exit."""
    async with AsyncExitStack() as stack:
        for app in built.apps:
            await stack.enter_async_context(app.lifespan_context())
            await app.start()
            stack.push_async_callback(app.stop)
        yield built.running
