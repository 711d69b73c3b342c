"""`python -m shared.dlq` against the real Kafka and Redis: dead letters listed, shown without PHI,
and after the fix replayed to their topic once, however many groups dead-lettered them and
however often replay runs."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from deploy.local.find_infra import Infra
from shared import topics
from shared.broker import make_broker, subscriber
from shared.dlq import REPLAYED_FROM
from shared.dlq.cli import run
from shared.events import PatientEnrolled, PatientsEvent
from shared.settings import BaseServiceSettings
from shared.testing.factories import PHONE, sample
from tests.kafka_tools import eventually, produce_raw, read_all

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def settings_for(kafka: str, prefix: str, infra: Infra, namespace: str) -> BaseServiceSettings:
    return BaseServiceSettings(
        kafka={"bootstrap_servers": kafka, "topic_prefix": prefix, "retry_backoff_seconds": 0.02},
        redis={"url": infra.redis_url, "namespace": namespace},
    )


async def cli(
    capsys: pytest.CaptureFixture[str], settings: BaseServiceSettings, *argv: str
) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert await run(list(argv), settings) == 0
    out = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in out if line.startswith("{")]  # not the broker's lines


async def test_list_show_fix_replay_once(
    kafka: str,
    prefix: str,
    infra: Infra,
    namespace: str,
    redis: Redis,
    capsys: pytest.CaptureFixture[str],
    service_env: dict[str, str],
) -> None:
    settings = settings_for(kafka, prefix, infra, namespace)
    broker = make_broker(settings, client_id="dlq-tool")
    handled: Counter[tuple[str, str]] = Counter()
    fixed = asyncio.Event()

    def consumer(group: str) -> Any:
        async def on_patient(event: PatientsEvent) -> None:
            if event.patient_id.startswith("p-bug") and not fixed.is_set():
                raise RuntimeError("bug in the handler")
            handled[(group, event.patient_id)] += 1

        return on_patient

    # Two services read the topic; both have the bug, so each dead-letters the same records.
    for group in ("svc-a", "svc-b"):
        subscriber(broker, prefix + topics.PATIENTS, group=prefix + group)(consumer(group))
    bugs = [sample(PatientEnrolled, patient_id=f"p-bug-{i}") for i in (1, 2)]
    garbage = b'{"event_type": "PatientEnrolled", "phone": "' + PHONE.encode() + b'"'
    original = prefix + topics.PATIENTS
    dead = topics.dlq(original)
    async with broker:
        await broker.start()
        for i, event in enumerate(bugs):
            await produce_raw(
                kafka, original, [event.model_dump_json().encode()], key=f"p-bug-{i + 1}".encode()
            )
        await produce_raw(kafka, original, [garbage], key=b"p-garbage")
        await produce_raw(
            kafka, original, [sample(PatientEnrolled, patient_id="p-ok").model_dump_json().encode()]
        )

        async def six_dead_letters_and_the_good_one_handled() -> bool:
            # p-ok sits on its own partition: each group may reach it before or after its
            # dead letters.
            return len(handled) == 2 and len(await read_all(kafka, dead)) == 6

        await eventually(
            six_dead_letters_and_the_good_one_handled,
            timeout=60,
            message="3 records x 2 groups dead-lettered, p-ok handled by both",
        )
        assert handled == {("svc-a", "p-ok"): 1, ("svc-b", "p-ok"): 1}

        # list: counts by error class and original partition, newest first.
        [head, *rows] = await cli(capsys, settings, "list", "mtm.patients")
        assert head == {"topic": dead, "dead_letters": 6, "replayed": 0}
        by_class: Counter[str] = Counter()
        for row in rows:
            by_class[row["error_class"]] += row["count"]
        assert by_class == {"RuntimeError": 4, "ValidationError": 2}
        assert [r["newest"] for r in rows] == sorted((r["newest"] for r in rows), reverse=True)

        # show: our headers as they are, the body redacted (no phone, never the raw bytes).
        shown = await cli(capsys, settings, "show", "mtm.patients.dlq", "--limit", "10")
        assert len(shown) == 6
        text = json.dumps(shown)
        assert PHONE not in text and PHONE[2:] not in text
        for item in shown:
            assert item["headers"]["original_topic"] == original
            assert item["headers"]["consumer_group"] in (prefix + "svc-a", prefix + "svc-b")
            assert item["headers"]["error"]
        previews = [item["preview"] for item in shown]
        assert any(isinstance(p, str) and "not JSON" in p for p in previews)
        enrolled = [p for p in previews if isinstance(p, dict)]
        assert enrolled and all(p["phone"] == "[redacted]" for p in enrolled)
        assert {p["patient_id"] for p in enrolled} == {"p-bug-1", "p-bug-2"}
        [one] = await cli(
            capsys,
            settings,
            "show",
            "mtm.patients",
            "--partition",
            str(shown[0]["partition"]),
            "--offset",
            str(shown[0]["offset"]),
            "--limit",
            "1",
        )
        assert one["offset"] == shown[0]["offset"]

        # The fix ships. A dry run says what would go back and sends nothing.
        fixed.set()
        [dry] = await cli(
            capsys, settings, "replay", "mtm.patients", "--dry-run", "--error-class", "RuntimeError"
        )
        assert (dry["would_replay"], dry["already_replayed"]) == (2, 0)
        assert len(await read_all(kafka, original)) == 4

        # Replay: each original once, although two groups dead-lettered it.
        [done] = await cli(
            capsys,
            settings,
            "replay",
            "mtm.patients",
            "--error-class",
            "RuntimeError",
            "--since",
            "1h",
        )
        assert (done["replayed"], done["already_replayed"]) == (2, 0)

        def all_handled() -> bool:
            return all(handled[(g, e.patient_id)] >= 1 for g in ("svc-a", "svc-b") for e in bugs)

        await eventually(all_handled, timeout=30, message="replayed records handled")
        # Running it again (or replaying every class) sends no RuntimeError record twice.
        [again] = await cli(
            capsys, settings, "replay", "mtm.patients", "--error-class", "RuntimeError"
        )
        assert (again["replayed"], again["already_replayed"]) == (0, 2)
        await asyncio.sleep(1)  # anything sent twice would have been handled by now

    assert {k: v for k, v in handled.items() if k[1].startswith("p-bug")} == {
        (g, e.patient_id): 1 for g in ("svc-a", "svc-b") for e in bugs
    }
    records = await read_all(kafka, original)
    replayed = [r for r in records if REPLAYED_FROM in dict(r.headers)]
    assert len(replayed) == 2
    assert {r.key for r in replayed} == {b"p-bug-1", b"p-bug-2"}
    assert {r.value for r in replayed} == {e.model_dump_json().encode() for e in bugs}
    for r in replayed:
        source = dict(r.headers)[REPLAYED_FROM].decode()
        assert source.startswith(dead + ":")
        assert not {"error", "error_class", "original_offset"} & dict(r.headers).keys()

    # The command line entry point, as an operator runs it.
    listing = subprocess.run(
        [sys.executable, "-m", "shared.dlq", "list", "mtm.patients"],
        env={**service_env, "MTM_LOG__LEVEL": "WARNING"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    head = json.loads(listing.stdout.splitlines()[0])
    assert head == {"topic": dead, "dead_letters": 6, "replayed": 2}


async def test_safety_lane_dead_letters_are_marked_urgent(
    kafka: str,
    prefix: str,
    infra: Infra,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(kafka, prefix, infra, namespace)
    await produce_raw(
        kafka, topics.dlq(prefix + topics.SYMPTOMS), [b"{}"], headers=[("error_class", b"X")]
    )
    await produce_raw(
        kafka, topics.dlq(prefix + topics.PATIENTS), [b"{}"], headers=[("error_class", b"X")]
    )
    [symptoms, *_] = await cli(capsys, settings, "list", topics.SYMPTOMS)
    assert symptoms["dead_letters"] == 1 and "safety lane" in symptoms["urgent"]
    [shown] = await cli(capsys, settings, "show", topics.SYMPTOMS)
    assert "safety lane" in shown["urgent"]
    [patients, *_] = await cli(capsys, settings, "list", topics.PATIENTS)
    assert "urgent" not in patients
