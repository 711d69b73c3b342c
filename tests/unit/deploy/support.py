"""Helpers of the deployment checks: YAML documents, compose interpolation, settings from an
environment."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.services import ROOT, settings_class
from shared.settings import BaseServiceSettings

K8S = ROOT / "deploy" / "k8s"


def documents(path: Path) -> list[dict[str, Any]]:
    """Every YAML document of a file (empty ones dropped)."""
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as docker compose reads them (a value in single quotes is literal)."""
    pairs = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if not sep or line.lstrip().startswith("#"):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        pairs[key.strip()] = value
    return pairs


_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable substitution: ${X}, ${X:-default}, ${X:?error}, $$."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op and op.endswith("?") and not value:
            raise KeyError(f"{name}: {arg}")
        if op and op.endswith("-") and not value:
            return arg or ""
        return value or ""

    return _VAR.sub(one, text)


def required_variables(text: str) -> set[str]:
    """The variables a compose file refuses to run without (${X:?...})."""
    return {m.group(1) for m in _VAR.finditer(text) if m.group(2) in (":?", "?")}


def mtm_items(env: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    return ((k, str(v)) for k, v in env.items() if k.startswith("MTM_"))


def settings_from(
    service: str, env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch
) -> BaseServiceSettings:
    """The service's settings as its process would read them from exactly this environment."""
    import os

    for key in list(os.environ):
        if key.startswith("MTM_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return settings_class(service)(_env_file=None)
