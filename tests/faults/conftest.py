"""The fault suite's private Kafka and Redis (never the shared ones: this suite stops them), and
the table printed at the end of the run."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.private_kafka import PrivateKafka
from tests.faults.report import plain, write
from tests.faults.scenarios import Outcome, scale

_outcomes: list[Outcome] = []


@pytest.fixture(scope="session")
def fault_infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateKafka]:
    """One private Kafka + Redis for every scenario (each uses its own topic prefix and Redis
    namespace); stopped and wiped at the end, and checked to be gone."""
    with PrivateKafka.launched(tmp_path_factory.mktemp("faults-infra")) as private:
        yield private
        servers = private.pids()
    assert set(servers) == {"kafka", "redis"}, f"not running at the end: {servers}"
    left = {name: pid for name, pid in servers.items() if _running(pid)}
    assert not left, f"private servers left running: {left}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


@pytest.fixture(scope="session")
def fault_report() -> list[Outcome]:
    return _outcomes


LOGS = Path(__file__).resolve().parents[2] / ".infra" / "faults"
KEEP_RUNS = 3


@pytest.fixture(scope="session")
def fault_logs() -> Path:
    """Where this run's service logs go (.infra/faults/<run>/, the last few runs kept)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    for old in sorted(LOGS.iterdir())[: -KEEP_RUNS + 1]:
        shutil.rmtree(old, ignore_errors=True)
    run = LOGS / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    run.mkdir()
    return run


@pytest.fixture
def workdir(fault_logs: Path, request: pytest.FixtureRequest) -> Path:
    return fault_logs / request.node.callspec.id


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    if not _outcomes:
        return
    path = write(_outcomes, scale())
    terminalreporter.section(f"fault scenarios ({scale()})")
    for line in plain(_outcomes):
        terminalreporter.write_line(line)
    for o in _outcomes:
        for note in o.tally.notes:
            terminalreporter.write_line(f"{o.scenario.name}: {note}")
    terminalreporter.write_line(f"report: {path} (and faults-report.json beside it)")
