"""The heartbeat file behind the exec probes of the FastStream services (shared/health.py) and
the runtime that writes it."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import fakeredis
import pytest
from faststream.kafka import KafkaBroker

from shared.health import Heartbeat, main, probe
from shared.runtime import Runtime
from shared.settings import BaseServiceSettings
from tests.kafka_tools import eventually


async def ok() -> bool:
    return True


async def refused() -> bool:
    raise ConnectionRefusedError


async def hangs() -> bool:
    await asyncio.sleep(60)
    return True


async def test_a_beat_records_liveness_and_each_check(tmp_path: Path) -> None:
    path = tmp_path / "health"
    beat = Heartbeat(
        path,
        service="reminders",
        checks={"kafka": ok, "redis": refused, "slow": hangs},
        interval=1,
        timeout=0.05,
    )
    state = await beat.beat()
    assert json.loads(path.read_text()) == state
    assert state["checks"] == {"kafka": True, "redis": False, "slow": False}
    assert state["ready"] is False
    assert probe(path, ready=False)[0] is True
    assert probe(path, ready=True) == (False, "reminders: not ready (redis, slow)")


async def test_ready_when_every_check_passes_and_gone_after_stop(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "health"
    beat = Heartbeat(path, service="adherence", checks={"kafka": ok}, interval=0.05)
    beat.start()
    await eventually(lambda: probe(path, ready=True)[0], timeout=5, message="ready")
    await beat.stop()
    assert not path.exists()
    assert probe(path, ready=False) == (False, f"{path}: no heartbeat yet (starting, or stopped)")


def test_a_stale_heartbeat_is_not_live(tmp_path: Path) -> None:
    path = tmp_path / "health"
    path.write_text(json.dumps({"service": "x", "at": time.time() - 100, "stale_after": 30}))
    assert probe(path, ready=False)[0] is False
    assert probe(path, ready=False, max_age=200)[0] is True


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "health"
    path.write_text(json.dumps({"service": "x", "at": time.time(), "ready": False}))
    monkeypatch.delenv("MTM_HEALTH__FILE", raising=False)
    assert main([]) == 2  # no file named anywhere
    monkeypatch.setenv("MTM_HEALTH__FILE", str(path))
    assert main([]) == 0
    assert main(["--ready"]) == 1
    assert main(["--file", str(tmp_path / "missing")]) == 1


async def test_the_runtime_writes_it_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "health"
    redis = fakeredis.FakeAsyncRedis()
    unset = Runtime.create(BaseServiceSettings(), name="x", broker=KafkaBroker(), redis=redis)
    assert unset.heartbeat() is None

    settings = BaseServiceSettings(health={"file": str(path), "interval_seconds": 0.05})
    # A broker that never started: live (the loop turns) but not ready (Kafka unreachable).
    rt = Runtime.create(settings, name="symptoms", broker=KafkaBroker("127.0.0.1:1"), redis=redis)
    async with rt.lifespan():
        await eventually(path.exists, timeout=5, message="heartbeat file")
        state = json.loads(path.read_text())
        assert (state["service"], state["pid"]) == ("symptoms", os.getpid())
        assert state["checks"] == {"kafka": False, "redis": True}
    assert not path.exists()
