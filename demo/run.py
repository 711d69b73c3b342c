"""One run of the demo: the network, the script step by step, then the timeline and summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from demo.fake_sms import FakeSms
from demo.network import network
from demo.script import END, START, script
from demo.steps import Inbound
from demo.summary import summary
from demo.timeline import Timeline
from shared.clock import FakeClock

HEADER = (
    "mtm-notify demo: two days of a clinic network in Austin, El Paso and Seattle.",
    "All six services in one process on their production settings; only Kafka, Redis, the",
    "clock and Twilio are in-memory fakes. Lines are in order of time, each in that person's",
    "own local time (this week CDT = UTC-5, MDT = UTC-6, PDT = UTC-7).",
    "  <- a text we sent   || held by quiet hours   xx not sent   !! alert   => what it led to",
)


@dataclass
class Report:
    lines: list[str]
    problems: list[str] = field(default_factory=list)


async def run() -> Report:
    """Play the script from START to END; the printed report and anything that went wrong."""
    clock, sms = FakeClock(START), FakeSms()
    timeline = Timeline(clock, sms)
    async with network(clock=clock, sms=sms, watch=timeline.watch) as net:
        for i, (at, step) in enumerate(script()):
            await net.run_until(at)
            for message in step.messages(timeline, str(i)):
                if isinstance(message, Inbound):
                    await net.text(message)
                else:
                    await net.publish(message)
        await net.run_until(END)
        failures = [f"{r.name}: {r.getMessage()}" for r in net.failures.records]
    problems = failures + [f"dead letter: {d}" for d in timeline.dead_letters]
    lines = [*HEADER, *timeline.render(), "", *summary(timeline, start=START, end=END)]
    return Report(lines, problems)
