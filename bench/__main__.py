"""`make bench` / `python -m bench`: start Kafka and Redis, run the scenarios, write
bench/results/<date>.json and .md, print the table.

    BENCH_SCALE=0.1   sizes x 0.1 (a quick check; the figures are not comparable)
    BENCH_RUNS=3      runs per scenario (each figure is the median of them, with the spread)
    BENCH_ONLY=baseline,dispatcher,burst,timers,steady   a subset
    BENCH_INFRA=private|shared   see bench/infra.py
    BENCH_PROFILE=1   py-spy the services in dispatcher run 1 and burst run 1 (py-spy on PATH)
    BENCH_KAFKA_PROPERTIES="k=v,..."   extra broker properties for the private Kafka (what-ifs)
    BENCH_ROUTINE_WORKERS=8   MTM_DISPATCHER__ROUTINE_WORKERS of the dispatcher (what-ifs)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench import report
from bench.fake import FakeProcess, LostOrDuplicated
from bench.infra import BenchInfra, acquire_bench_infra
from bench.machine import LoadSampler, loadavg, machine, versions
from bench.population import patients
from bench.profile import Profiler
from bench.progress import say
from bench.scenarios import baseline, burst, dispatcher, steady, timers
from bench.scenarios.dispatcher import request
from bench.stats import Figure

SCENARIOS = ("baseline", "dispatcher", "burst", "timers", "steady")
RESULTS = Path(__file__).resolve().parent / "results"
ROUTINE_WORKERS = int(os.environ.get("BENCH_ROUTINE_WORKERS", "8"))
"""MTM_DISPATCHER__ROUTINE_WORKERS in every scenario (default 1): routine partitions one
dispatcher process works on at once. With 8 (of mtm.notify.routine's 24) one process is close to
using its core; the baseline relay runs as many consumers, like for like."""


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Bench:
    def __init__(self) -> None:
        self.scale = float(os.environ.get("BENCH_SCALE", "1"))
        self.runs = max(1, _int("BENCH_RUNS", 3))
        only = os.environ.get("BENCH_ONLY", "")
        self.only = [s.strip() for s in only.split(",") if s.strip()] or list(SCENARIOS)
        unknown = set(self.only) - set(SCENARIOS)
        if unknown:
            raise SystemExit(f"BENCH_ONLY: unknown scenarios {sorted(unknown)}")
        self.log_dir = Path(tempfile.mkdtemp(prefix="mtm-bench-logs-"))
        self.sections: dict[str, dict[str, Any]] = {}
        self.profile = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
        self.profiles: list[str] = []
        if self.profile and not Profiler.available():
            raise SystemExit("BENCH_PROFILE=1 needs py-spy on PATH (pip install py-spy)")

    def n(self, full: int, least: int = 100) -> int:
        return max(least, round(full * self.scale))

    async def baseline(self, infra: BenchInfra) -> dict[str, Any]:
        body = request(patients(1, tag="x")[0], "size").model_dump_json().encode()
        variants: dict[float | None, list[baseline.BaselineRun]] = {0.1: [], None: []}
        for i in range(self.runs):
            for interval, runs in variants.items():
                if interval is None and i > 0:
                    continue  # the what-if once: a comparison, not a figure of ours
                every = "record" if interval is None else "100 ms"
                say(f"baseline run {i + 1}/{self.runs}, a commit per {every}")
                r = await baseline.run(
                    infra.kafka,
                    messages=self.n(12_000 if interval else 4000),
                    body=body,
                    consumers=ROUTINE_WORKERS,
                    commit_interval=interval,
                    kafka_pid=infra.kafka_pid,
                )
                if r.lost or r.duplicated:
                    raise LostOrDuplicated(
                        f"baseline: {r.lost} lost, {r.duplicated} duplicated records"
                    )
                runs.append(r)
        batched, per_record = variants[0.1], variants[None]
        return {
            "figures": [
                Figure("relay throughput", "msg/s", tuple(r.rate for r in batched)),
                Figure("what-if: a commit per record", "msg/s", tuple(r.rate for r in per_record)),
                Figure(
                    "Kafka CPU per message, a commit per 100 ms",
                    "ms",
                    tuple(r.kafka_cpu_ms for r in batched),
                    higher_is_better=False,
                ),
                Figure(
                    "Kafka CPU per message, a commit per record",
                    "ms",
                    tuple(r.kafka_cpu_ms for r in per_record),
                    higher_is_better=False,
                ),
            ],
            "details": {
                "message_bytes": len(body),
                "consumers": ROUTINE_WORKERS,
                "runs": [asdict(r) for r in batched],
                "commit_per_record": [asdict(r) for r in per_record],
            },
        }

    async def dispatcher(self, infra: BenchInfra) -> dict[str, Any]:
        fake = await FakeProcess.launch(self.log_dir).open()
        try:
            ceilings = []
            for i in range(self.runs):
                say(f"fake Twilio alone, run {i + 1}/{self.runs}")
                ceilings.append(await dispatcher.ceiling(fake, messages=self.n(10_000)))
            namespace = f"bdisp{int(time.time())}"
            people = await dispatcher.populate(infra, namespace, self.n(4000))
            lane = await dispatcher.start_lane(
                infra,
                fake,
                namespace=namespace,
                log_dir=self.log_dir,
                routine_workers=ROUTINE_WORKERS,
            )
            runs = []
            try:
                for i in range(self.runs):
                    say(f"dispatcher run {i + 1}/{self.runs}")
                    profiler = Profiler(seconds=10) if self.profile and i == 0 else None
                    runs.append(
                        await dispatcher.run(infra, fake, lane, people=people, profiler=profiler)
                    )
                    if profiler is not None:
                        self.profiles.append(profiler.summary("dispatcher scenario, run 1"))
            finally:
                await dispatcher.stop_lane(infra, lane)
        finally:
            await fake.close()
        return {
            "figures": [
                Figure("dispatcher throughput", "msg/s", tuple(r.rate for r in runs)),
                Figure("fake Twilio alone", "msg/s", tuple(c.rate for c in ceilings)),
                Figure(
                    "dispatcher CPU per message",
                    "ms",
                    tuple(r.cpu_ms_per_message.get("dispatcher", 0) for r in runs),
                    higher_is_better=False,
                ),
            ],
            "details": {
                "messages_per_run": runs[0].messages,
                "routine_workers": ROUTINE_WORKERS,
                "runs": [{**asdict(r), "tally": r.tally.as_dict()} for r in runs],
                "fake_alone": [asdict(c) for c in ceilings],
            },
        }

    async def burst(self, infra: BenchInfra) -> dict[str, Any]:
        fake = await FakeProcess.launch(self.log_dir).open()
        b = burst.Burst(infra, fake, self.log_dir, self.n(50_000), ROUTINE_WORKERS)
        runs = []
        try:
            await b.setup()
            for i in range(self.runs):
                profiler = Profiler(seconds=40) if self.profile and i == 0 else None
                runs.append(await b.run(i + 1, profiler))
                if profiler is not None:
                    self.profiles.append(profiler.summary("burst scenario, run 1"))
                r = runs[-1]
                say(
                    f"burst run {i + 1}: drained in {r.drain_seconds:.1f}s ({r.rate:.0f}/s), "
                    f"pages p99 {r.page_p99:.2f}s"
                )
        finally:
            await b.teardown()
            await fake.close()
        return {
            "figures": [
                Figure("time to drain", "s", tuple(r.drain_seconds for r in runs), False),
                Figure("throughput", "msg/s", tuple(r.rate for r in runs)),
                Figure("lag behind due time p50", "s", tuple(r.lag_p50 for r in runs), False),
                Figure("lag behind due time p99", "s", tuple(r.lag_p99 for r in runs), False),
                Figure("P0 page p50", "s", tuple(r.page_p50 for r in runs), False),
                Figure("P0 page p99", "s", tuple(r.page_p99 for r in runs), False),
                Figure(
                    "reminder requested (adherence) p99",
                    "s",
                    tuple(r.requested_p99 for r in runs),
                    False,
                ),
            ],
            "details": {
                "reminders_per_run": b.size,
                "alerts_per_run": burst.ALERTS,
                "routine_workers": ROUTINE_WORKERS,
                "runs": [{**asdict(r), "tally": r.tally.as_dict()} for r in runs],
            },
        }

    async def timers(self, infra: BenchInfra) -> dict[str, Any]:
        figures = await timers.run(
            infra,
            pending=self.n(1_000_000, 10_000),
            slice_size=self.n(50_000, 1000),
            rounds=self.runs,
        )
        return {
            "figures": [
                Figure(
                    "memory per pending timer",
                    "bytes",
                    (figures.bytes_per_timer,),
                    higher_is_better=False,
                ),
                Figure("claim-and-fire, one worker", "timers/s", tuple(figures.one_worker)),
                Figure("claim-and-fire, two workers", "timers/s", tuple(figures.two_workers)),
            ],
            "details": asdict(figures),
        }

    async def steady(self, infra: BenchInfra) -> dict[str, Any]:
        seconds = max(10, round(steady.SECONDS * self.scale))
        s = steady.Steady(
            infra, self.log_dir, runs=self.runs, seconds=seconds, routine_workers=ROUTINE_WORKERS
        )
        runs = []
        try:
            await s.setup()
            for i in range(self.runs):
                runs.append(await s.run(i))
                say(f"steady run {i + 1}: p50 {runs[-1].p50:.2f}s, p99 {runs[-1].p99:.2f}s")
        finally:
            await s.teardown()
        services = sorted({k for r in runs for k in r.cpu_cores})
        figures = [
            Figure("event to SMS p50", "s", tuple(r.p50 for r in runs), False),
            Figure("event to SMS p99", "s", tuple(r.p99 for r in runs), False),
        ]
        figures += [
            Figure(
                f"CPU {name}",
                "% of a core",
                tuple(100 * r.cpu_cores.get(name, 0) for r in runs),
                False,
            )
            for name in services
        ]
        return {
            "figures": figures,
            "details": {
                "rate": s.rate,
                "seconds": seconds,
                "runs": [{**asdict(r), "tally": r.tally.as_dict()} for r in runs],
            },
        }

    async def main(self) -> int:
        started = datetime.now(UTC)
        load_at_start = loadavg()
        say(
            f"scale {self.scale}, {self.runs} runs, scenarios {', '.join(self.only)}; "
            f"load average {load_at_start[0]:.2f}; service logs in {self.log_dir}"
        )
        sampler = LoadSampler().start()
        infra = acquire_bench_infra()
        say(
            f"Kafka {infra.kafka_version} at {infra.kafka}, Redis at {infra.redis_url} "
            f"({infra.origin})"
        )
        failure: str | None = None
        redis_version = "?"
        try:
            redis = Redis.from_url(infra.redis_url)
            redis_version = str((await redis.info("server"))["redis_version"])
            await redis.aclose()
            for name in self.only:
                t = time.monotonic()
                say(f"--- {name}")
                try:
                    section = await getattr(self, name)(infra)
                except LostOrDuplicated as exc:
                    failure = f"{name}: {exc}"
                    raise
                section["seconds"] = round(time.monotonic() - t, 1)
                self.sections[name] = section
                say(f"{name} took {section['seconds']:.0f}s")
        except BaseException as exc:
            failure = failure or f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        finally:
            infra.stop()
            load = sampler.stop()
        finished = datetime.now(UTC)
        result: dict[str, Any] = {
            "date": started.date().isoformat(),
            "started": started.isoformat(timespec="seconds"),
            "finished": finished.isoformat(timespec="seconds"),
            "seconds": round((finished - started).total_seconds()),
            "scale": self.scale,
            "runs": self.runs,
            "machine": machine(),
            "versions": versions(kafka=infra.kafka_version, redis=redis_version),
            "infra": infra.origin,
            "load_average": {"at_start": load_at_start[0], **load},
            "scenarios": {
                name: {
                    "seconds": section["seconds"],
                    "figures": [f.as_dict() for f in section["figures"]],
                    "details": section["details"],
                }
                for name, section in self.sections.items()
            },
            "failure": failure,
        }
        result["ratios"] = report.ratios(self.sections)
        result["targets"] = report.targets(self.sections) if self.scale == 1 else {}
        markdown = report.markdown(result, self.sections)
        RESULTS.mkdir(exist_ok=True)
        stem = (
            result["date"]
            if self.scale == 1 and set(self.only) == set(SCENARIOS)
            else (f"{result['date']}-partial")
        )
        (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        (RESULTS / f"{stem}.md").write_text(markdown)
        if self.profiles:
            header = f"py-spy profiles, {result['started']} (see bench/profile.py)\n\n"
            (RESULTS / f"profiles-{stem}.txt").write_text(header + "\n".join(self.profiles))
        print(markdown)
        say(f"wrote {RESULTS / (stem + '.json')} and .md in {result['seconds']}s")
        if failure:
            say(f"FAILED: {failure}")
            return 1
        return 0


def main() -> None:
    sys.exit(asyncio.run(Bench().main()))


if __name__ == "__main__":
    main()
