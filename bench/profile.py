"""py-spy profiles of service processes while a scenario runs (BENCH_PROFILE=1), summarised as
text: self time and inclusive time by function, and the share of a few libraries.

py-spy is not a project dependency: install it outside the venv (`pip install py-spy`)."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

GROUPS = {
    "redis client (redis-py)": "(redis/",
    "Kafka client (aiokafka)": "(aiokafka/",
    "FastStream + fast_depends": ("(faststream/", "(fast_depends/"),
    "twilio SDK + aiohttp": ("(twilio/", "(aiohttp/"),
    "pydantic": "(pydantic",
    "logging": "(logging/",
    "socket writes (kernel send)": "_SelectorSocketTransport.write",
}


class Profiler:
    def __init__(self, seconds: int = 40, rate: int = 100) -> None:
        self.seconds, self.rate = seconds, rate
        self.dir = Path(tempfile.mkdtemp(prefix="mtm-bench-pyspy-"))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    @staticmethod
    def available() -> bool:
        return shutil.which("py-spy") is not None

    def start(self, pids: dict[str, int | None]) -> None:
        for name, pid in pids.items():
            if pid is None:
                continue
            self.procs[name] = subprocess.Popen(
                [
                    "py-spy", "record", "-p", str(pid), "-d", str(self.seconds),
                    "-r", str(self.rate), "-f", "raw", "-o", str(self.dir / f"{name}.raw"),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip

    def summary(self, title: str) -> str:
        for proc in self.procs.values():
            try:
                proc.wait(timeout=self.seconds + 30)
            except subprocess.TimeoutExpired:
                proc.kill()
        parts = [f"## {title}\n"]
        for name in self.procs:
            raw = self.dir / f"{name}.raw"
            if raw.exists():
                parts.append(summarise(name, raw, self.seconds * self.rate))
        return "\n".join(parts)


def _name(frame: str) -> str:
    match = re.match(r"(.*) \((.*):\d+\)", frame)
    if not match:
        return frame
    function, path = match.groups()
    path = path.split("site-packages/")[-1].split("/work/main/")[-1]
    return f"{function} ({path})"


def summarise(name: str, raw: Path, possible: int, top: int = 25) -> str:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    groups: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        names = [_name(f) for f in frames]
        own[names[-1]] += n
        for each in set(names):
            inclusive[each] += n
        for group, marks in GROUPS.items():
            marks = (marks,) if isinstance(marks, str) else marks
            if any(m in stack for m in marks):
                groups[group] += n
    if not total:
        return f"### {name}: no samples\n"
    lines = [
        f"### {name}: {total} samples of {possible} possible ({100 * total / possible:.0f}% busy)",
        "",
        "share of busy time, by library (a sample can count in several):",
        *(f"  {100 * v / total:5.1f}%  {k}" for k, v in groups.most_common()),
        "",
        f"top {top} by self time:",
        *(f"  {100 * v / total:5.1f}%  {k}" for k, v in own.most_common(top)),
        "",
        f"top {top} by inclusive time (project code and its direct callees):",
        *(
            f"  {100 * v / total:5.1f}%  {k}"
            for k, v in inclusive.most_common(300)
            if "services/" in k or "shared/" in k
        ),
        "",
    ]
    return "\n".join(lines[: 12 + 2 * top + 40])
