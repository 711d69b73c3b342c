"""The results as the README's Performance section shows them: one markdown table."""

from __future__ import annotations

import math
from typing import Any

from bench.stats import Figure

TARGETS = {
    ("burst", "time to drain"): ("< 60 s", lambda v: v < 60),
    ("burst", "P0 page p99"): ("< 2 s", lambda v: v < 2),
    ("timers", "memory per pending timer"): ("< 200 B", lambda v: v < 200),
}
TITLES = {
    "baseline": "1. Baseline: plain aiokafka relay (acks=all, a commit per 100 ms)",
    "dispatcher": "2. Dispatcher: routine requests on the topic → fake Twilio",
    "burst": "3. 8 a.m. burst: dose reminders due in one minute, end to end",
    "timers": "4. Timer scale: pending timers in Redis",
    "steady": "5. Steady state: events → SMS, all six services",
}


def _figure(sections: dict[str, dict[str, Any]], scenario: str, name: str) -> Figure | None:
    for f in sections.get(scenario, {}).get("figures", []):
        if f.name == name:
            return f
    return None


def ratios(sections: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Dispatcher and burst throughput over the baseline of the same `make bench`."""
    base = _figure(sections, "baseline", "relay throughput")
    out: dict[str, float] = {}
    if base is None or not base.median:
        return out
    for scenario, name in (("dispatcher", "dispatcher throughput"), ("burst", "throughput")):
        f = _figure(sections, scenario, name)
        if f is not None:
            out[scenario] = round(f.median / base.median, 2)
    return out


def targets(sections: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for (scenario, name), (text, ok) in TARGETS.items():
        f = _figure(sections, scenario, name)
        if f is not None:
            out[f"{scenario}: {name}"] = {"target": text, "median": f.median, "met": ok(f.median)}
    r = ratios(sections).get("dispatcher")
    if r is not None:
        out["dispatcher: throughput / baseline"] = {"target": "≥ 0.5", "median": r, "met": r >= 0.5}
    return out


def _num(value: float) -> str:
    if math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def markdown(result: dict[str, Any], sections: dict[str, dict[str, Any]]) -> str:
    m = result["machine"]
    v = result["versions"]
    load = result["load_average"]
    lines = [
        f"### Benchmark {result['date']}",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}. "
        f"Load average (1 min) {load.get('at_start')} at the start, mean {load.get('mean')}, "
        f"max {load.get('max')} during the run. {result['runs']} runs per figure, scale "
        f"{result['scale']}, {result['seconds'] // 60} min {result['seconds'] % 60} s in all.",
        "",
        f"Versions: Python {v['python']}, Apache Kafka {v['kafka']} (KRaft, single node), "
        f"Redis {v['redis']}, faststream {v['faststream']}, aiokafka {v['aiokafka']}, "
        f"redis-py {v['redis-py']} (hiredis {v.get('hiredis', '-')}), twilio {v['twilio']}, "
        f"uvloop {v.get('uvloop', '-')}. Infrastructure: {result['infra']}.",
        "",
        "| scenario | figure | median | spread (min - max) | target |",
        "|---|---|---:|---:|---|",
    ]
    # The targets are stated for the scenarios' full sizes.
    target_of = result.get("targets", {}) if result["scale"] == 1 else {}
    for scenario, section in sections.items():
        title = TITLES[scenario]
        for f in section["figures"]:
            spread = f"{_num(f.low)} - {_num(f.high)}" if len(f.runs) > 1 else "(one value)"
            t = target_of.get(f"{scenario}: {f.name}")
            mark = ""
            if t is not None:
                mark = f"{t['target']}: {'met' if t['met'] else '**missed**'}"
            lines.append(
                f"| {title} | {f.name} ({f.unit}) | {_num(f.median)} | {spread} | {mark} |"
            )
            title = ""
        ratio = result.get("ratios", {}).get(scenario)
        if ratio is not None:
            t = (
                target_of.get("dispatcher: throughput / baseline")
                if scenario == "dispatcher"
                else None
            )
            mark = f"{t['target']}: {'met' if t['met'] else '**missed**'}" if t else ""
            lines.append(f"| | throughput / baseline (same run) | {ratio:.2f} | | {mark} |")
    lines.append("")
    lines.append(
        "SMS counted at the fake Twilio in every run of every scenario: 0 lost, 0 duplicated."
        if not result.get("failure")
        else f"**FAILED**: {result['failure']}"
    )
    lines.append("")
    return "\n".join(lines)
