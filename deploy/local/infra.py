"""A real Kafka 4.x (KRaft, from Maven Central jars) and a real redis-server on loopback, no Docker.

    python deploy/local/infra.py up       # start both (reuses running ones), wait, write .infra/env
    python deploy/local/infra.py down     # stop both
    python deploy/local/infra.py status   # what runs where

Data and logs live under .infra/ (git-ignored); the Kafka jars are fetched once with Maven into
~/.cache/mtm-notify (override with MTM_LOCAL_CACHE). Ports: MTM_LOCAL_KAFKA_PORT (19092),
MTM_LOCAL_KAFKA_CONTROLLER_PORT (19093), MTM_LOCAL_REDIS_PORT (16379).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
INFRA = Path(os.environ.get("MTM_INFRA_DIR", ROOT / ".infra"))
CACHE = Path(os.environ.get("MTM_LOCAL_CACHE", Path.home() / ".cache" / "mtm-notify"))
KAFKA_PORT = int(os.environ.get("MTM_LOCAL_KAFKA_PORT", "19092"))
CONTROLLER_PORT = int(os.environ.get("MTM_LOCAL_KAFKA_CONTROLLER_PORT", "19093"))
REDIS_PORT = int(os.environ.get("MTM_LOCAL_REDIS_PORT", "16379"))
KAFKA_HEAP = os.environ.get("MTM_LOCAL_KAFKA_HEAP", "-Xms256m -Xmx768m")
HOST = "127.0.0.1"


def say(text: str) -> None:
    print(f"[infra] {text}", flush=True)


def fail(text: str) -> None:
    print(f"[infra] ERROR: {text}", file=sys.stderr, flush=True)
    sys.exit(1)


def kafka_version() -> str:
    pom = (HERE / "kafka" / "pom.xml").read_text()
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert match, "kafka.version missing from deploy/local/kafka/pom.xml"
    return match.group(1)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((HOST, port)) == 0


def pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"):
        return None  # a zombie is not a server
    return pid


# ---------------------------------------------------------------- Kafka


def kafka_libs() -> Path:
    """Fetch kafka_2.13 and its log4j2 binding once; returns the libs directory."""
    version = kafka_version()
    libs = CACHE / f"kafka-{version}" / "libs"
    if libs.is_dir() and any(libs.glob(f"kafka_2.13-{version}.jar")):
        return libs
    if shutil.which("java") is None:
        fail(
            "Java 17+ is required to run Kafka locally "
            "(apt-get install openjdk-17-jre-headless), or use Docker."
        )
    if shutil.which("mvn") is None:
        fail(
            "Maven is required to fetch Kafka from Maven Central "
            "(apt-get install maven), or use Docker."
        )
    say(f"fetching Apache Kafka {version} jars from Maven Central (once) into {libs}")
    tmp = libs.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(HERE / "kafka" / "pom.xml"),
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
        f"-DoutputDirectory={tmp}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        fail("Maven could not fetch Kafka:\n" + result.stdout[-2000:] + result.stderr[-2000:])
    shutil.rmtree(libs, ignore_errors=True)
    tmp.rename(libs)
    return libs


def java_cmd(libs: Path, *args: str, heap: str = "-Xmx256m") -> list[str]:
    return [
        "java",
        *heap.split(),
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={HERE / 'kafka' / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={INFRA / 'kafka' / 'logs'}",
        "-cp",
        f"{libs}/*",
        *args,
    ]


def kafka_config() -> Path:
    data = INFRA / "kafka" / "data"
    data.mkdir(parents=True, exist_ok=True)
    text = (HERE / "kafka" / "server.properties.in").read_text()
    for key, value in {
        "@PORT@": KAFKA_PORT,
        "@CONTROLLER_PORT@": CONTROLLER_PORT,
        "@DATA_DIR@": data,
    }.items():
        text = text.replace(key, str(value))
    path = INFRA / "kafka" / "server.properties"
    path.write_text(text)
    return path


def _raise_open_files_limit() -> None:
    """Kafka keeps descriptors per log segment; a soft limit of 1024 is soon reached."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def kafka_up() -> None:
    pidfile = INFRA / "kafka" / "kafka.pid"
    if pid_alive(pidfile) and port_open(KAFKA_PORT):
        say(f"Kafka already running (pid {pid_alive(pidfile)}) on {HOST}:{KAFKA_PORT}")
        return
    if port_open(KAFKA_PORT) or port_open(CONTROLLER_PORT):
        fail(
            f"port {KAFKA_PORT} or {CONTROLLER_PORT} is taken by another process; "
            "set MTM_LOCAL_KAFKA_PORT / MTM_LOCAL_KAFKA_CONTROLLER_PORT"
        )
    libs = kafka_libs()
    config = kafka_config()
    data = INFRA / "kafka" / "data"
    if not (data / "meta.properties").exists():
        cluster_id = (
            subprocess.run(
                java_cmd(libs, "kafka.tools.StorageTool", "random-uuid"),
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        out = subprocess.run(
            java_cmd(
                libs,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(config),
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            fail("formatting the Kafka data directory failed:\n" + out.stdout + out.stderr)
        say(f"formatted {data} (cluster {cluster_id})")
    log = INFRA / "kafka" / "kafka.out"
    (INFRA / "kafka" / "logs").mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out_file:
        proc = subprocess.Popen(
            java_cmd(libs, "kafka.Kafka", str(config), heap=KAFKA_HEAP),
            stdout=out_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_raise_open_files_limit,  # the launcher runs no threads
        )
    pidfile.write_text(str(proc.pid))
    say(f"started Kafka {kafka_version()} (pid {proc.pid}) on {HOST}:{KAFKA_PORT}, log {log}")


async def _produce_once(bootstrap: str) -> None:
    import logging

    from aiokafka import AIOKafkaProducer

    logging.getLogger("aiokafka").setLevel(
        logging.CRITICAL
    )  # "topic not found yet" while it is created
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, request_timeout_ms=5000
    )
    await producer.start()
    try:
        await producer.send_and_wait("mtm.infra.ready", b"ping", key=b"infra")
    finally:
        await producer.stop()


def kafka_wait(timeout: float = 90) -> None:
    bootstrap = f"{HOST}:{KAFKA_PORT}"
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not pid_alive(INFRA / "kafka" / "kafka.pid"):
            tail = (INFRA / "kafka" / "kafka.out").read_text(errors="replace")[-3000:]
            fail("Kafka exited during start-up; its log ends with:\n" + tail)
        if port_open(KAFKA_PORT):
            try:
                asyncio.run(asyncio.wait_for(_produce_once(bootstrap), 15))
                say(f"Kafka {kafka_version()} accepts produce at {bootstrap}")
                return
            except Exception as exc:  # the broker is still electing / creating the topic
                last = exc
        time.sleep(0.5)
    fail(f"Kafka did not accept a produce within {timeout:.0f}s: {last!r}")


# ---------------------------------------------------------------- Redis


def redis_binary() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing redis-server with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        ok = (
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "redis-server"], env=env, check=False
            ).returncode
            == 0
        )
        if not ok:
            subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
            subprocess.run(["apt-get", "install", "-y", "-q", "redis-server"], env=env, check=True)
        # Debian starts its own service on 6379; ours runs on its own port, so leave that one alone.
        return "/usr/bin/redis-server"
    fail(
        "redis-server is not installed: run `sudo apt-get install redis-server` (Debian/Ubuntu) "
        "or `brew install redis` (macOS), or use Docker."
    )
    raise AssertionError


def redis_up() -> None:
    pidfile = INFRA / "redis" / "redis.pid"
    if pid_alive(pidfile) and port_open(REDIS_PORT):
        say(f"Redis already running (pid {pid_alive(pidfile)}) on {HOST}:{REDIS_PORT}")
        return
    if port_open(REDIS_PORT):
        fail(f"port {REDIS_PORT} is taken by another process; set MTM_LOCAL_REDIS_PORT")
    binary = redis_binary()
    data = INFRA / "redis"
    data.mkdir(parents=True, exist_ok=True)
    log = data / "redis.log"
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            HOST,
            "--port",
            str(REDIS_PORT),
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--protected-mode",
            "yes",
            "--logfile",
            str(log),
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    pidfile.write_text(str(proc.pid))
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False
    ).stdout.split()
    say(
        f"started redis-server {next((v[2:] for v in version if v.startswith('v=')), '?')} "
        f"(pid {proc.pid}) on {HOST}:{REDIS_PORT}, AOF on, log {log}"
    )


def redis_wait(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, REDIS_PORT), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    say(f"Redis answers PING at {HOST}:{REDIS_PORT}")
                    return
        except OSError:
            pass
        time.sleep(0.2)
    fail(f"Redis did not answer PING within {timeout:.0f}s (log: {INFRA / 'redis' / 'redis.log'})")


# ---------------------------------------------------------------- commands


def write_env() -> None:
    env = INFRA / "env"
    env.write_text(
        f"MTM_KAFKA__BOOTSTRAP_SERVERS={HOST}:{KAFKA_PORT}\n"
        f"MTM_REDIS__URL=redis://{HOST}:{REDIS_PORT}/0\n"
        f"MTM_LOCAL_KAFKA_VERSION={kafka_version()}\n"
    )
    say(f"wrote {env}")


def stop(pidfile: Path, name: str) -> None:
    pid = pid_alive(pidfile)
    if pid is None:
        say(f"{name} not running")
        pidfile.unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and pid_alive(pidfile):
        time.sleep(0.2)
    if pid_alive(pidfile):
        os.kill(pid, signal.SIGKILL)
        say(f"{name} did not stop in 30 s; killed")
    pidfile.unlink(missing_ok=True)
    say(f"stopped {name} (pid {pid})")


def up() -> None:
    INFRA.mkdir(parents=True, exist_ok=True)
    redis_up()
    kafka_up()
    redis_wait()
    kafka_wait()
    write_env()


def down() -> None:
    stop(INFRA / "kafka" / "kafka.pid", "Kafka")
    stop(INFRA / "redis" / "redis.pid", "Redis")
    (INFRA / "env").unlink(missing_ok=True)


def status() -> int:
    rows = [
        ("Kafka " + kafka_version(), INFRA / "kafka" / "kafka.pid", KAFKA_PORT),
        ("Redis", INFRA / "redis" / "redis.pid", REDIS_PORT),
    ]
    running = 0
    for name, pidfile, port in rows:
        pid = pid_alive(pidfile)
        state = f"running, pid {pid}, {HOST}:{port}" if pid and port_open(port) else "stopped"
        running += state != "stopped"
        print(f"{name:12} {state}")
    env = INFRA / "env"
    print(f"env file     {env if env.exists() else '(none)'}")
    return 0 if running == len(rows) else 3


def reset() -> None:
    """Stop both and delete their data."""
    down()
    shutil.rmtree(INFRA / "kafka", ignore_errors=True)
    shutil.rmtree(INFRA / "redis", ignore_errors=True)
    say("deleted local Kafka and Redis data")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    actions = {"up": up, "down": down, "reset": reset}
    if command == "status":
        sys.exit(status())
    if command not in actions:
        fail(f"unknown command {command!r}; use up, down, status or reset")
    actions[command]()
