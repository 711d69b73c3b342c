"""Where the tests get a real Kafka and Redis, in this order:

1. addresses in the environment (MTM_KAFKA__BOOTSTRAP_SERVERS and MTM_REDIS__URL);
2. `.infra/env`, written by `make infra-up`, when both answer;
3. the local launcher (deploy/local/infra.py: Kafka jars from Maven Central, Debian's redis-server),
   stopped again at the end of the session;
4. testcontainers, when a Docker engine answers;
5. otherwise the run fails with what to install. Nothing is ever skipped for lack of infrastructure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRA_ENV = ROOT / ".infra" / "env"


@dataclass
class Infra:
    kafka: str
    redis_url: str
    origin: str
    kafka_version: str = "unknown"
    stop: Callable[[], None] = field(default=lambda: None)


def _answers(hostport: str) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1):
            return True
    except (OSError, ValueError):
        return False


def _redis_hostport(url: str) -> str:
    rest = url.split("://", 1)[-1].rsplit("@", 1)[-1]
    return rest.split("/", 1)[0]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (the `.infra/env` the launcher writes), comments skipped."""
    pairs = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            pairs[key.strip()] = value.strip()
    return pairs


def _from_environment() -> Infra | None:
    kafka = os.environ.get("MTM_KAFKA__BOOTSTRAP_SERVERS")
    redis_url = os.environ.get("MTM_REDIS__URL")
    if kafka and redis_url:
        first = kafka.split(",")[0]
        if not (_answers(first) and _answers(_redis_hostport(redis_url))):
            raise RuntimeError(
                f"MTM_KAFKA__BOOTSTRAP_SERVERS={kafka} / MTM_REDIS__URL given but not answering"
            )
        return Infra(
            kafka, redis_url, "environment", os.environ.get("MTM_LOCAL_KAFKA_VERSION", "unknown")
        )
    return None


def _from_infra_env() -> Infra | None:
    if not INFRA_ENV.exists():
        return None
    env = read_env_file(INFRA_ENV)
    kafka, redis_url = env.get("MTM_KAFKA__BOOTSTRAP_SERVERS"), env.get("MTM_REDIS__URL")
    if kafka and redis_url and _answers(kafka) and _answers(_redis_hostport(redis_url)):
        return Infra(kafka, redis_url, ".infra/env", env.get("MTM_LOCAL_KAFKA_VERSION", "unknown"))
    return None


def _from_launcher() -> Infra | None:
    if not (shutil.which("java") and shutil.which("mvn")):
        return None
    script = ROOT / "deploy" / "local" / "infra.py"
    subprocess.run([sys.executable, str(script), "up"], check=True)
    infra = _from_infra_env()
    if infra is None:
        raise RuntimeError("the local launcher ran but .infra/env does not answer")
    infra.origin = "local launcher (started for this run)"

    def stop() -> None:
        subprocess.run([sys.executable, str(script), "down"], check=False)

    infra.stop = stop
    return infra


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def _from_testcontainers() -> Infra | None:
    if not _docker_answers():
        return None
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.redis import RedisContainer

    kafka = KafkaContainer("confluentinc/cp-kafka:8.0.0").with_kraft()
    redis = RedisContainer("redis:7")
    kafka.start()
    redis.start()
    url = f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(6379)}/0"

    def stop() -> None:
        kafka.stop()
        redis.stop()

    return Infra(kafka.get_bootstrap_server(), url, "testcontainers", "4.0 (cp-kafka 8.0.0)", stop)


def acquire() -> Infra:
    for source in (_from_environment, _from_infra_env, _from_launcher, _from_testcontainers):
        infra = source()
        if infra is not None:
            return infra
    raise RuntimeError(
        "No Kafka and Redis for the tests. Install Java 17 and Maven (the launcher fetches "
        "Kafka from Maven Central) and redis-server (apt-get install redis-server), or run a "
        "Docker engine, or point "
        "MTM_KAFKA__BOOTSTRAP_SERVERS and MTM_REDIS__URL at running ones."
    )
