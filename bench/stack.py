"""The services of a scenario as processes on one topic prefix and Redis namespace, ready when
their consumer groups exist and the on-call team has reached the dispatcher and escalation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis

from bench.clinic import SITES, TEAM, rosters, team
from bench.infra import BenchInfra
from bench.kafka import publish_events, wait_for_groups
from bench.procs import ServiceProc
from bench.services import groups
from services.escalation.state import Keys
from shared.topics import RedisPrefix, redis_prefix


@dataclass
class Stack:
    infra: BenchInfra
    prefix: str
    namespace: str
    log_dir: Path
    procs: dict[str, ServiceProc] = field(default_factory=dict)

    async def start(self, envs: Mapping[str, Mapping[str, str]], *, team_needed: bool) -> None:
        """Start every service (name -> environment); wait until they listen."""
        for name, env in envs.items():
            log = self.log_dir / f"{self.prefix.rstrip('.')}-{name}.log"
            self.procs[name] = ServiceProc(name, f"services.{name}", env, log).start()
        wanted = [g for name in envs for g in groups(name, self.prefix)]
        try:
            await wait_for_groups(self.infra.kafka, wanted, within=90)
        except TimeoutError:
            self.check()
            raise
        if team_needed:
            await publish_events(self.infra.kafka, self.prefix, [*team(), *rosters()])
            await self._wait_for_team()

    async def _wait_for_team(self) -> None:
        redis = Redis.from_url(self.infra.redis_url)
        dispatcher = redis_prefix(self.namespace, RedisPrefix.DISPATCHER)
        escalation = Keys(redis_prefix(self.namespace, RedisPrefix.ESCALATION))
        keys = [f"{dispatcher}:contact:clinician:{cid}" for cid in TEAM]
        keys += [escalation.roster(site) for site in SITES]
        deadline = time.monotonic() + 60
        try:
            while await redis.exists(*keys) < len(keys):
                self.check()
                if time.monotonic() > deadline:
                    raise TimeoutError("the on-call team never reached dispatcher and escalation")
                await asyncio.sleep(0.2)
        finally:
            await redis.aclose()

    async def restart(self, name: str, env: Mapping[str, str]) -> None:
        """Stop one service (if running) and start it again with `env`; wait until it listens."""
        old = self.procs.pop(name, None)
        if old is not None:
            await asyncio.to_thread(old.stop)
        log = self.log_dir / f"{self.prefix.rstrip('.')}-{name}.log"
        self.procs[name] = ServiceProc(name, f"services.{name}", env, log).start()
        await wait_for_groups(self.infra.kafka, groups(name, self.prefix), within=90)

    def check(self) -> None:
        """Fail loudly if a service died."""
        for proc in self.procs.values():
            proc.check()

    def pids(self) -> dict[str, int | None]:
        return {name: proc.pid for name, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()
