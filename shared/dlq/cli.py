"""The command line of the dead-letter tool, `python -m shared.dlq list|show|replay TOPIC`
(usage in shared/dlq/__init__.py and docs/security.md). Output: one JSON object per line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from redis.exceptions import RedisError

from shared import topics
from shared.broker import SAFETY_LANES
from shared.connections import kafka_client_kwargs, redis_client
from shared.dlq import (
    LEDGER_TTL_SECONDS,
    DeadLetter,
    describe,
    parse_since,
    read_dead_letters,
    replay,
    summary,
    topic_names,
)
from shared.idempotency import Claims
from shared.settings import BaseServiceSettings

URGENT_NOTE = (
    "safety lane: a patient at risk may be in this record (item 9, C-SSRS, crisis words); "
    "read it now, fix the cause, replay it"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared.dlq", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="counts by error class and original partition")
    listing.add_argument("topic")
    show = commands.add_parser("show", help="headers and a redacted preview of dead letters")
    show.add_argument("topic")
    show.add_argument("--partition", type=int)
    show.add_argument("--offset", type=int, help="from this offset on (default: the newest)")
    show.add_argument("--limit", type=int, default=10)
    again = commands.add_parser("replay", help="re-produce originals to their topic, once")
    again.add_argument("topic")
    again.add_argument("--since", help="dead-lettered since: 2h, 30m, 7d or an ISO instant")
    again.add_argument("--error-class", help="only dead letters of this error class")
    again.add_argument("--partition", type=int)
    again.add_argument("--offset", type=int, help="from this offset of --partition on")
    again.add_argument("--dry-run", action="store_true", help="say what would be replayed")
    return parser


def _print(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str))


async def run(argv: Sequence[str], settings: BaseServiceSettings | None = None) -> int:
    """The command line; returns the exit status."""
    args = _parser().parse_args(argv)
    settings = settings or BaseServiceSettings()
    base, dlq_topic = topic_names(args.topic, settings.kafka.topic_prefix)
    urgent = base.removeprefix(settings.kafka.topic_prefix) in SAFETY_LANES
    partition, offset = getattr(args, "partition", None), getattr(args, "offset", None)
    if offset is not None and partition is None:
        raise SystemExit("--offset needs --partition")
    letters = await read_dead_letters(settings.kafka, dlq_topic, partition=partition, offset=offset)
    if args.command == "list":
        replayed = await _replayed_count(settings, letters)
        header: dict[str, Any] = {
            "topic": dlq_topic,
            "dead_letters": len(letters),
            "replayed": replayed,
        }
        if urgent and letters:
            header["urgent"] = URGENT_NOTE
        _print(header)
        for row in summary(letters):
            _print(row)
        return 0
    if args.command == "show":
        chosen = letters if offset is not None else sorted(letters, key=_newest_first)
        for letter in chosen[: args.limit]:
            row = describe(letter)
            if urgent:
                row = {"urgent": URGENT_NOTE, **row}
            _print(row)
        return 0
    if args.since:
        since = parse_since(args.since, now=datetime.now(UTC))
        letters = [d for d in letters if d.timestamp >= since]
    if args.error_class:
        letters = [d for d in letters if d.error_class == args.error_class]
    redis = redis_client(settings.redis)
    ledger = _ledger(redis, settings)
    producer = None
    if not args.dry_run:
        producer = AIOKafkaProducer(
            acks="all", enable_idempotence=True, **kafka_client_kwargs(settings.kafka)
        )
        await producer.start()
    try:
        report = await replay(
            letters, base_topic=base, dlq_topic=dlq_topic, producer=producer, ledger=ledger
        )
    finally:
        if producer is not None:
            await producer.stop()
        await redis.aclose()
    _print(
        {
            "topic": dlq_topic,
            "dry_run": args.dry_run,
            "would_replay" if args.dry_run else "replayed": len(report.replayed),
            "already_replayed": len(report.already),
            "skipped": report.skipped,
        }
    )
    return 0


def _newest_first(letter: DeadLetter) -> tuple[float, int, int]:
    return (-letter.timestamp.timestamp(), letter.partition, -letter.offset)


def _ledger(redis: Any, settings: BaseServiceSettings) -> Claims:
    prefix = topics.redis_prefix(settings.redis.namespace, topics.RedisPrefix.DLQ)
    return Claims(redis, prefix, done_ttl_seconds=LEDGER_TTL_SECONDS)


async def _replayed_count(
    settings: BaseServiceSettings, letters: Sequence[DeadLetter]
) -> int | None:
    """How many of the original records were replayed (None: the ledger is out of reach)."""
    redis = redis_client(settings.redis, socket_connect_timeout=2, socket_timeout=2)
    try:
        ledger = _ledger(redis, settings)
        return sum([await ledger.result(o) is not None for o in {d.origin for d in letters}])
    except (RedisError, OSError):
        return None
    finally:
        await redis.aclose()


def main() -> None:
    sys.exit(asyncio.run(run(sys.argv[1:])))
