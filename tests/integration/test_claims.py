"""Idempotency claims against the real Redis: one owner at a time, completion records a result,
an abandoned lease lets a new owner in, and an effect written with the completion lands once."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import WatchError

from shared.idempotency import Claim, Claims, ClaimState
from tests.kafka_tools import eventually

pytestmark = pytest.mark.integration

ACQUIRED = Claim(ClaimState.ACQUIRED)
IN_PROGRESS = Claim(ClaimState.IN_PROGRESS)


def _pair(redis: Redis, namespace: str) -> tuple[Claims, Claims]:
    """Two owners (two workers) of one claim prefix."""
    prefix = f"{namespace}:test"
    return Claims(redis, prefix), Claims(redis, prefix)


async def test_one_owner_at_a_time_and_done_returns_the_recorded_result(
    redis: Redis, namespace: str
) -> None:
    mine, theirs = _pair(redis, namespace)
    assert await mine.claim("notif:n1") == ACQUIRED
    assert await theirs.claim("notif:n1") == IN_PROGRESS
    assert await mine.claim("notif:n1") == IN_PROGRESS  # a second delivery in the same worker

    assert await mine.complete("notif:n1", result="SM0001")
    assert await theirs.claim("notif:n1") == Claim(ClaimState.DONE, "SM0001")
    assert await mine.claim("notif:n1") == Claim(ClaimState.DONE, "SM0001")
    assert await theirs.result("notif:n1") == "SM0001"
    assert await mine.complete("notif:n1", result="SM0001")  # completing again is harmless
    assert not await theirs.complete("notif:n1", result="SM9999")  # never over another result
    assert await mine.result("notif:n1") == "SM0001"
    assert await mine.result("notif:never") is None


async def test_exactly_one_of_many_concurrent_claimants_acquires(
    redis: Redis, namespace: str
) -> None:
    owners = [Claims(redis, f"{namespace}:test") for _ in range(25)]
    results = await asyncio.gather(*(o.claim("dose:pl-1:2025-06-01:08:00") for o in owners))
    assert sorted(r.state.value for r in results) == ["acquired"] + ["in_progress"] * 24


async def test_release_gives_the_key_back_only_for_its_owner(redis: Redis, namespace: str) -> None:
    mine, theirs = _pair(redis, namespace)
    assert await mine.claim("notif:n2") == ACQUIRED
    assert not await theirs.release("notif:n2")  # not theirs to give back
    assert await theirs.claim("notif:n2") == IN_PROGRESS
    assert await mine.release("notif:n2")
    assert await theirs.claim("notif:n2") == ACQUIRED
    assert await theirs.complete("notif:n2", result="SM0002")
    assert not await theirs.release("notif:n2")  # a completion is never released
    assert await mine.claim("notif:n2") == Claim(ClaimState.DONE, "SM0002")


async def test_an_expired_lease_lets_a_new_owner_take_the_key(redis: Redis, namespace: str) -> None:
    dead, alive = _pair(redis, namespace)
    assert await dead.claim("notif:n3", lease_seconds=0.3) == ACQUIRED  # then the worker dies
    assert await alive.claim("notif:n3", lease_seconds=30) == IN_PROGRESS
    await eventually(
        lambda: _acquires(alive, "notif:n3"), timeout=10, interval=0.05, message="lease expired"
    )
    assert not await dead.complete("notif:n3", result="late")  # the old owner is shut out
    assert not await dead.release("notif:n3")
    assert await alive.complete("notif:n3", result="SM0003")
    assert await dead.claim("notif:n3") == Claim(ClaimState.DONE, "SM0003")


async def _acquires(claims: Claims, name: str) -> bool:
    return (await claims.claim(name, lease_seconds=30)).state is ClaimState.ACQUIRED


async def test_complete_with_a_pipe_lands_the_writes_and_the_completion_together(
    redis: Redis, namespace: str
) -> None:
    mine, theirs = _pair(redis, namespace)
    ledger = f"{namespace}:test:ledger"
    assert await mine.claim("dose:d1") == ACQUIRED
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(ledger, "dose:d1", 1)
        assert await mine.complete("dose:d1", result="taken", pipe=pipe)
        pipe.hset(ledger, "last", "dose:d1")  # writes queued after complete() join the MULTI too
        # Until execute() nothing is visible: neither the writes nor the completion.
        assert await redis.exists(ledger) == 0
        assert await theirs.claim("dose:d1") == IN_PROGRESS
        await pipe.execute()
    assert await redis.hgetall(ledger) == {b"dose:d1": b"1", b"last": b"dose:d1"}
    assert await theirs.claim("dose:d1") == Claim(ClaimState.DONE, "taken")


async def test_a_pipe_whose_claim_was_lost_writes_nothing(redis: Redis, namespace: str) -> None:
    dead, alive = _pair(redis, namespace)
    ledger = f"{namespace}:test:ledger"
    assert await dead.claim("dose:d2", lease_seconds=0.2) == ACQUIRED
    await eventually(
        lambda: _acquires(alive, "dose:d2"),
        timeout=10,
        interval=0.05,
        message="lease expired and taken over",
    )

    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(ledger, "dose:d2", 1)
        assert not await dead.complete("dose:d2", pipe=pipe)
        assert await pipe.execute() == []  # the queued writes were discarded
    assert await redis.exists(ledger) == 0

    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(ledger, "dose:d2", 1)
        assert await alive.complete("dose:d2", result="taken", pipe=pipe)
        await pipe.execute()
    async with redis.pipeline(transaction=True) as pipe:  # a replay by the new owner
        pipe.hincrby(ledger, "dose:d2", 1)
        assert not await alive.complete("dose:d2", result="taken", pipe=pipe)
        await pipe.execute()
    assert await redis.hgetall(ledger) == {b"dose:d2": b"1"}


async def test_a_lapsed_lease_nobody_took_can_still_be_completed_with_its_writes(
    redis: Redis, namespace: str
) -> None:
    slow, other = _pair(redis, namespace)
    ledger = f"{namespace}:test:ledger"
    assert await slow.claim("dose:d5", lease_seconds=0.2) == ACQUIRED
    await eventually(
        lambda: _gone(redis, slow.key("dose:d5")), timeout=10, interval=0.05, message="lease lapsed"
    )
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(ledger, "dose:d5", 1)
        assert await slow.complete("dose:d5", result="taken", pipe=pipe)
        await pipe.execute()
    assert await redis.hgetall(ledger) == {b"dose:d5": b"1"}
    assert await other.claim("dose:d5") == Claim(ClaimState.DONE, "taken")


async def _gone(redis: Redis, key: str) -> bool:
    return await redis.exists(key) == 0


async def test_a_claim_taken_over_between_complete_and_execute_writes_nothing(
    redis: Redis, namespace: str
) -> None:
    dead, alive = _pair(redis, namespace)
    ledger = f"{namespace}:test:ledger"
    assert await dead.claim("dose:d3", lease_seconds=0.5) == ACQUIRED
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(ledger, "dose:d3", 1)
        assert await dead.complete("dose:d3", pipe=pipe)
        # The worker stalls here until its lease runs out and another worker takes the key.
        await eventually(
            lambda: _acquires(alive, "dose:d3"),
            timeout=10,
            interval=0.05,
            message="lease expired and taken over",
        )
        with pytest.raises(WatchError):
            await pipe.execute()
    assert await redis.exists(ledger) == 0
    assert await dead.claim("dose:d3") == IN_PROGRESS


async def test_complete_with_a_plain_pipeline_is_refused(redis: Redis, namespace: str) -> None:
    mine, _ = _pair(redis, namespace)
    assert await mine.claim("dose:d4") == ACQUIRED
    async with redis.pipeline(transaction=False) as pipe:
        with pytest.raises(ValueError, match="transaction=True"):
            await mine.complete("dose:d4", pipe=pipe)


async def test_complete_with_applies_the_writes_and_the_completion_in_one_step(
    redis: Redis, namespace: str
) -> None:
    mine, theirs = _pair(redis, namespace)
    ledger, ctx, sid = (f"{namespace}:test:{k}" for k in ("ledger", "ctx", "sid"))
    assert await mine.claim("send:n1") == ACQUIRED
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(sid, "n1", ex=60)
        pipe.lpush(ctx, "prompt")
        pipe.ltrim(ctx, 0, 9)
        pipe.zadd(ledger, {"SM1": 1234})
        pipe.delete(f"{namespace}:test:attempt")
        assert await mine.complete_with("send:n1", "sent:SM1", pipe)
        assert pipe.command_stack == []  # the recorder was emptied
    assert await redis.get(sid) == b"n1"
    assert 0 < await redis.ttl(sid) <= 60
    assert await redis.lrange(ctx, 0, -1) == [b"prompt"]
    assert await redis.zscore(ledger, "SM1") == 1234
    assert await theirs.claim("send:n1") == Claim(ClaimState.DONE, "sent:SM1")
    # A replay by the same owner writes nothing twice.
    async with redis.pipeline(transaction=False) as pipe:
        pipe.lpush(ctx, "prompt")
        assert not await mine.complete_with("send:n1", "sent:SM1", pipe)
    assert await redis.lrange(ctx, 0, -1) == [b"prompt"]


async def test_complete_with_after_a_takeover_writes_nothing(redis: Redis, namespace: str) -> None:
    dead, alive = _pair(redis, namespace)
    ledger = f"{namespace}:test:ledger"
    assert await dead.claim("send:n2", lease_seconds=0.2) == ACQUIRED
    await eventually(
        lambda: _acquires(alive, "send:n2"),
        timeout=10,
        interval=0.05,
        message="lease expired and taken over",
    )
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(ledger, "n2", 1)
        assert not await dead.complete_with("send:n2", "sent:SM-dead", pipe)
    assert await redis.exists(ledger) == 0
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(ledger, "n2", 1)
        assert await alive.complete_with("send:n2", "sent:SM-alive", pipe)
    assert await redis.hgetall(ledger) == {b"n2": b"1"}
    assert await dead.claim("send:n2") == Claim(ClaimState.DONE, "sent:SM-alive")


async def test_complete_with_refuses_writes_it_cannot_guard(redis: Redis, namespace: str) -> None:
    mine, _ = _pair(redis, namespace)
    assert await mine.claim("send:n3") == ACQUIRED
    async with redis.pipeline(transaction=False) as pipe:
        pipe.flushdb()
        with pytest.raises(ValueError, match="FLUSHDB"):
            await mine.complete_with("send:n3", "x", pipe)
        pipe.delete("a", "b")
        with pytest.raises(ValueError, match="one key"):
            await mine.complete_with("send:n3", "x", pipe)
    assert await mine.claim("send:n3") == IN_PROGRESS  # still ours, not completed


async def test_once_is_true_only_the_first_time(redis: Redis, namespace: str) -> None:
    mine, theirs = _pair(redis, namespace)
    assert await mine.once("sms:SM1")
    assert not await theirs.once("sms:SM1")
    assert not await mine.once("sms:SM1")
    assert await theirs.claim("sms:SM1") == Claim(ClaimState.DONE, "")
    ttl = await redis.ttl(mine.key("sms:SM1"))
    assert 0 < ttl <= 30 * 24 * 3600
