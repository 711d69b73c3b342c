"""The image and the make targets around it, read as text (no Docker engine here): one image
from the lock file without dev dependencies, a non-root user, nothing but the code in the build
context; `make up/down` drive compose and `make local-up/down` the local stack."""

from __future__ import annotations

import re

from deploy.services import ROOT

DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def recipe(target: str) -> str:
    match = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)+)", MAKEFILE, re.MULTILINE)
    assert match, f"Makefile has no target {target}"
    return match.group(1)


def test_one_image_from_the_lock_file_without_dev_dependencies() -> None:
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE
    assert "uv sync --frozen --no-dev" in DOCKERFILE
    assert "COPY tests" not in DOCKERFILE.split("AS dev")[0], "tests belong in the dev target only"


def test_the_image_runs_as_a_non_root_user() -> None:
    runtime = DOCKERFILE.split("AS runtime", 1)[1].split("AS dev", 1)[0]
    users = re.findall(r"^USER (\S+)", runtime, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    dev = DOCKERFILE.split("AS dev", 1)[1]
    assert re.findall(r"^USER (\S+)", dev, re.MULTILINE)[-1] == users[-1]
    assert "PYTHONDONTWRITEBYTECODE=1" in DOCKERFILE  # read-only root filesystem


def test_the_build_context_holds_only_the_code() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "allow-list: exclude everything, then name what the image needs"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {
        "pyproject.toml",
        "uv.lock",
        "shared",
        "services",
        "deploy/__init__.py",
        "deploy/local/__init__.py",
        "deploy/local/fake_twilio",
    }
    assert "**/.env" in lines


def test_make_targets() -> None:
    assert "COMPOSE := docker compose" in MAKEFILE
    assert "$(COMPOSE) up" in recipe("up")
    assert "--profile dev" in MAKEFILE and "$(COMPOSE_DEV) up" in recipe("up-dev")
    assert "$(COMPOSE_DEV) down" in recipe("down")
    assert "$(STACK) up" in recipe("local-up")
    assert "$(STACK) down" in recipe("local-down")
    assert "$(STACK) status" in recipe("local-status")
    assert "STACK := $(PY) deploy/local/stack.py" in MAKEFILE
    assert "-m deploy.generate" in recipe("generate")
