"""The whole system as local processes: Kafka, Redis, the fake Twilio and the six services.

    python deploy/local/stack.py up       # start what is not running, wait until each is ready
    python deploy/local/stack.py down     # stop what `up` started (Kafka and Redis only if it
                                          # started them), and check that nothing is left
    python deploy/local/stack.py status   # what runs, pid, readiness, log file

Kafka and Redis come from deploy/local/infra.py (reused when they already run). The topics are
created with the partition counts of deploy/topics.py. Pid files and logs are in
<MTM_INFRA_DIR>/local/ (default .infra/local/). The fake Twilio listens on MTM_LOCAL_TWILIO_PORT
(8099), the gateway on MTM_LOCAL_GATEWAY_PORT (8080). Every other MTM_* variable in the
environment reaches the services (a topic prefix, a Redis namespace, a faster reminder cascade).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `shared` and `deploy` importable
    sys.path.insert(0, str(ROOT))

from deploy.local.find_infra import read_env_file  # noqa: E402
from shared.health import probe  # noqa: E402

INFRA_DIR = Path(os.environ.get("MTM_INFRA_DIR", ROOT / ".infra"))
STATE = INFRA_DIR / "local"
INFRA = ROOT / "deploy" / "local" / "infra.py"
HOST = "127.0.0.1"
TWILIO_PORT = int(os.environ.get("MTM_LOCAL_TWILIO_PORT", "8099"))
GATEWAY_PORT = int(os.environ.get("MTM_LOCAL_GATEWAY_PORT", "8080"))
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "local-fake-twilio-token"  # noqa: S105  (the fake's and the services': not a secret)
WORKERS = ("dispatcher", "reminders", "adherence", "symptoms", "escalation")
ORDER = ("fake-twilio", "gateway", *WORKERS)
READY_WITHIN = 120.0
STOP_WITHIN = 20.0


def say(text: str) -> None:
    print(f"[stack] {text}", flush=True)


@dataclass
class Component:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready: Callable[[], bool]

    @property
    def pidfile(self) -> Path:
        return STATE / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return STATE / f"{self.name}.log"

    @property
    def health(self) -> Path:
        return STATE / f"{self.name}.health"


# ---------------------------------------------------------------- processes


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process: tells a pid apart from a later reuse of it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(") ", 1)[-1].startswith("Z"))


def running_pid(pidfile: Path) -> int | None:
    """The pid in a pid file, if that very process (not a reuse of its pid) still runs."""
    try:
        pid_text, _, started = pidfile.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(pid):
        return None
    now_started = _start_time(pid)
    if started and now_started and started != now_started:
        return None
    return pid


def spawn(c: Component) -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    with c.log.open("ab") as log:
        proc = subprocess.Popen(
            c.argv,
            cwd=ROOT,
            env=c.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    c.pidfile.write_text(f"{proc.pid} {_start_time(proc.pid) or ''}\n")
    return proc.pid


def terminate(pidfile: Path, name: str) -> bool:
    """SIGTERM the process group, SIGKILL it after STOP_WITHIN; True if something was stopped."""
    pid = running_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    for sig, wait in ((signal.SIGTERM, STOP_WITHIN), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if not _alive(pid):
            break
        say(f"{name} (pid {pid}) did not stop within {wait:.0f}s; killing it")
    pidfile.unlink(missing_ok=True)
    say(f"stopped {name} (pid {pid})")
    return True


# ---------------------------------------------------------------- readiness


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (http on loopback)
                return bool(answer.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    return check


def heartbeat_ready(path: Path) -> Callable[[], bool]:
    return lambda: probe(path, ready=True)[0]


# ---------------------------------------------------------------- the stack


def infra_running() -> bool:
    return (
        subprocess.run([sys.executable, str(INFRA), "status"], capture_output=True).returncode == 0
    )


def components(infra_env: dict[str, str]) -> list[Component]:
    base = {
        "MTM_ENV": "development",
        **os.environ,
        "MTM_KAFKA__BOOTSTRAP_SERVERS": infra_env["MTM_KAFKA__BOOTSTRAP_SERVERS"],
        "MTM_REDIS__URL": infra_env["MTM_REDIS__URL"],
        "PYTHONPATH": str(ROOT),
    }
    twilio = {
        "MTM_TWILIO__ACCOUNT_SID": ACCOUNT_SID,
        "MTM_TWILIO__AUTH_TOKEN": AUTH_TOKEN,
        "MTM_TWILIO__BASE_URL": f"http://{HOST}:{TWILIO_PORT}",
    }
    gateway_url = f"http://{HOST}:{GATEWAY_PORT}"
    py = sys.executable
    out = [
        Component(
            "fake-twilio",
            [
                *(py, "-m", "deploy.local.fake_twilio", "--port", str(TWILIO_PORT)),
                *("--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN),
            ],
            base,
            http_ok(f"http://{HOST}:{TWILIO_PORT}/_fake/faults"),
        ),
        Component(
            "gateway",
            [py, "-m", "services.gateway"],
            {
                **base,
                **twilio,
                "MTM_GATEWAY__HOST": HOST,
                "MTM_GATEWAY__PORT": str(GATEWAY_PORT),
                "MTM_GATEWAY__PUBLIC_BASE_URL": gateway_url,
            },
            http_ok(f"{gateway_url}/readyz"),
        ),
    ]
    for name in WORKERS:
        health = STATE / f"{name}.health"
        env = {**base, "MTM_HEALTH__FILE": str(health), "MTM_HEALTH__INTERVAL_SECONDS": "1"}
        if name == "dispatcher":
            env |= {**twilio, "MTM_DISPATCHER__STATUS_CALLBACK_URL": f"{gateway_url}/twilio/status"}
        out.append(Component(name, [py, "-m", f"services.{name}"], env, heartbeat_ready(health)))
    return out


async def _create_topics(bootstrap: str, prefix: str) -> None:
    from deploy.topics import all_topics
    from shared.admin import ensure_topics

    by_count: dict[int, list[str]] = {}
    for spec in all_topics():
        by_count.setdefault(spec.partitions, []).append(prefix + spec.name)
    for partitions, names in sorted(by_count.items()):
        await ensure_topics(bootstrap, names, partitions=partitions)


def up() -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    marker = STATE / "infra-started-by-stack"
    was_running = infra_running()
    # Idempotent: reuses servers that run, waits until Kafka takes a produce, writes the env file.
    if subprocess.run([sys.executable, str(INFRA), "up"], check=False).returncode != 0:
        say("Kafka and Redis did not start (see above)")
        return 1
    if not was_running:
        marker.touch()
    infra_env = read_env_file(INFRA_DIR / "env")
    prefix = os.environ.get("MTM_KAFKA__TOPIC_PREFIX", "")
    asyncio.run(_create_topics(infra_env["MTM_KAFKA__BOOTSTRAP_SERVERS"], prefix))
    say(f"topics ready (prefix {prefix!r})")
    workers = []
    for c in components(infra_env):
        pid = running_pid(c.pidfile)
        if pid is None:
            c.health.unlink(missing_ok=True)
            pid = spawn(c)
            say(f"started {c.name} (pid {pid}), log {c.log}")
        else:
            say(f"{c.name} already running (pid {pid})")
        if c.name not in WORKERS:  # the fake and the gateway first: the dispatcher needs both
            if not wait_ready([c]):
                return fail_up()
        else:
            workers.append(c)
    if not wait_ready(workers):  # the five consumers start side by side
        return fail_up()
    say(f"up: gateway http://{HOST}:{GATEWAY_PORT}, fake Twilio http://{HOST}:{TWILIO_PORT}")
    return 0


def wait_ready(cs: list[Component]) -> bool:
    deadline = time.monotonic() + READY_WITHIN
    waiting = list(cs)
    while waiting:
        for c in list(waiting):
            if running_pid(c.pidfile) is None:
                tail = c.log.read_text(errors="replace")[-2000:] if c.log.exists() else ""
                say(f"{c.name} exited while starting; its log ends with:\n{tail}")
                return False
            if c.ready():
                say(f"{c.name} ready")
                waiting.remove(c)
        if waiting and time.monotonic() > deadline:
            say(f"not ready within {READY_WITHIN:.0f}s: {', '.join(c.name for c in waiting)}")
            return False
        time.sleep(0.2)
    return True


def fail_up() -> int:
    say("start-up failed; stopping what was started")
    down()
    return 1


def down() -> int:
    for name in reversed(ORDER):
        terminate(STATE / f"{name}.pid", name)
        (STATE / f"{name}.health").unlink(missing_ok=True)
    marker = STATE / "infra-started-by-stack"
    if marker.exists():
        subprocess.run([sys.executable, str(INFRA), "down"], check=False)
        marker.unlink()
    left = [n for n in ORDER if running_pid(STATE / f"{n}.pid") is not None]
    if left:
        say(f"still running: {', '.join(left)}")
        return 1
    say("down: no process of the stack is left")
    return 0


def status() -> int:
    running = 0
    for name in ORDER:
        pid = running_pid(STATE / f"{name}.pid")
        state = "stopped"
        if pid is not None:
            running += 1
            state = f"running, pid {pid}"
            if name in WORKERS:
                state += (
                    ", ready" if probe(STATE / f"{name}.health", ready=True)[0] else ", not ready"
                )
        print(f"{name:12} {state:32} {STATE / (name + '.log')}")
    subprocess.run([sys.executable, str(INFRA), "status"], check=False)
    return 0 if running == len(ORDER) else 3


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    actions = {"up": up, "down": down, "status": status}
    if command not in actions:
        say(f"unknown command {command!r}; use up, down or status")
        sys.exit(2)
    sys.exit(actions[command]())
