"""The project's launcher (deploy/local/infra.py) with extra broker properties appended to the
generated server.properties, for what-if runs: `BENCH_KAFKA_PROPERTIES="a=1,b=2" make bench`.

    python -m bench.launcher up|down|reset      (same environment as the launcher itself)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

LAUNCHER = Path(__file__).resolve().parents[1] / "deploy" / "local" / "infra.py"


def extra_properties() -> list[str]:
    raw = os.environ.get("BENCH_KAFKA_PROPERTIES", "")
    return [p.strip() for p in raw.split(",") if p.strip()]


def main() -> None:
    spec = importlib.util.spec_from_file_location("mtm_local_infra", LAUNCHER)
    assert spec is not None and spec.loader is not None
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    render = launcher.kafka_config

    def kafka_config() -> Path:
        path: Path = render()
        extra = extra_properties()
        if extra:
            path.write_text(path.read_text() + "\n# BENCH_KAFKA_PROPERTIES\n" + "\n".join(extra))
        return path

    launcher.kafka_config = kafka_config  # type: ignore[attr-defined]
    commands = {"up": launcher.up, "down": launcher.down, "reset": launcher.reset}
    commands[sys.argv[1]]()


if __name__ == "__main__":
    main()
