"""Session infrastructure (real Kafka and Redis: deploy/local/find_infra.py) and per-test isolation:
every test gets its own topic prefix and Redis namespace."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from redis.asyncio import Redis

from deploy.local.find_infra import Infra, acquire
from shared.admin import delete_topics, ensure_topics, project_topics
from tests import phi_scan

_infra: Infra | None = None

# No wall-clock deadlines on a loaded 2-core machine; in CI the examples are fixed so a run can be
# repeated exactly (locally hypothesis keeps exploring new ones).
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    global _infra
    _infra = acquire()
    try:
        yield _infra
    finally:
        _infra.stop()


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def namespace() -> str:
    """A Redis namespace of this test's own."""
    return f"test{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def kafka(infra: Infra, prefix: str) -> AsyncIterator[str]:
    """The bootstrap address, with every project topic created under this test's prefix.

    The topics are deleted afterwards: a broker holding thousands of partitions runs out of
    file descriptors and memory maps."""
    await ensure_topics(infra.kafka, project_topics(prefix), partitions=3)
    try:
        yield infra.kafka
    finally:
        await delete_topics(infra.kafka, prefix=prefix)


@pytest.fixture
async def redis(infra: Infra, namespace: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    try:
        yield client
    finally:
        keys = [k async for k in client.scan_iter(match=f"{namespace}:*", count=1000)]
        for i in range(0, len(keys), 1000):
            await client.delete(*keys[i : i + 1000])
        await client.aclose()


@pytest.fixture
def service_env(infra: Infra, prefix: str, namespace: str) -> dict[str, str]:
    """Environment for a service process in this test."""
    return {
        **os.environ,
        "MTM_KAFKA__BOOTSTRAP_SERVERS": infra.kafka,
        "MTM_KAFKA__TOPIC_PREFIX": prefix,
        "MTM_REDIS__URL": infra.redis_url,
        "MTM_REDIS__NAMESPACE": namespace,
        "MTM_ENV": "test",
        "PYTHONPATH": str(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """PHI scan: while an integration, e2e or hostile test runs (setup to teardown), every log
    record of this process is formatted as the services format it and searched (tests/phi_scan.py);
    the project's loggers log at INFO at least meanwhile, so their INFO lines are searched too."""
    if not any(item.get_closest_marker(m) for m in phi_scan.SCANNED_MARKERS):
        yield
        return
    handler = phi_scan.CaptureHandler(phi_scan.prime())
    handler.where = item.nodeid
    handler.scanner.tests += 1
    project = logging.getLogger("mtm")
    level = project.level
    if project.getEffectiveLevel() > logging.INFO:
        project.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        project.setLevel(level)


def _scan_service_logs(config: pytest.Config) -> None:
    """The log files tests wrote for the service processes they started."""
    factory = getattr(config, "_tmp_path_factory", None)
    basetemp = getattr(factory, "_basetemp", None) if factory is not None else None
    if basetemp is None or not Path(basetemp).exists():
        return
    for path in sorted(Path(basetemp).rglob("*.log")):
        phi_scan.SCANNER.scan_file(path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by folder, so the PHI scan and `-m` selections never depend on a file
    remembering its marker."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        for folder in ("integration", "e2e", "hostile", "faults"):
            if folder in parts and item.get_closest_marker(folder) is None:
                item.add_marker(folder)


class _DeletedTestTopics(logging.Filter):
    """Every test deletes its own topics afterwards; a consumer group still committing offsets
    of a deleted topic makes aiokafka log `OffsetCommit failed ... UnknownTopicOrPartitionError`
    at ERROR, expected and many times over. Those lines, and only those, are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not ("OffsetCommit failed" in text and "UnknownTopicOrPartition" in text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hostile: generated hostile input against the running services (tests/hostile)"
    )
    logging.getLogger("aiokafka.consumer.group_coordinator").addFilter(_DeletedTestTopics())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int) -> None:
    from tests import summary

    for line in summary.LINES:
        terminalreporter.write_line(line)
    if phi_scan.SCANNER.tests:
        for line in phi_scan.summary(phi_scan.SCANNER):
            terminalreporter.write_line(line)
    skipped = len(terminalreporter.stats.get("skipped", []))
    if _infra is not None:
        terminalreporter.write_line(
            f"infrastructure: Apache Kafka {_infra.kafka_version} at {_infra.kafka} "
            f"({_infra.origin}); "
            f"Redis at {_infra.redis_url.split('@')[-1]}"
        )
    terminalreporter.write_line(f"skipped tests: {skipped}")
    stats = terminalreporter.stats
    for report_ in stats.get("failed", []) + stats.get("error", []):
        where = getattr(report_, "nodeid", "?")
        phase = getattr(report_, "when", "?")
        crash = getattr(getattr(report_, "longrepr", None), "reprcrash", None)
        reason = crash.message.splitlines()[0][:200] if crash and crash.message else ""
        terminalreporter.write_line(f"FAILED ({phase}) {where}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if phi_scan.SCANNER.tests:
        _scan_service_logs(session.config)
    if phi_scan.SCANNER.hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
