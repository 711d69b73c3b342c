"""The services as deployment sees them: their settings classes, every environment variable those
read, and (for the FastStream ones) their broker, for the AsyncAPI documents."""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from shared.runtime import Service
from shared.settings import BaseServiceSettings

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "MTM_"
DELIMITER = "__"


def service_names() -> list[str]:
    """Every folder of services/ that holds a service (an app.py), sorted."""
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/app.py"))


def settings_class(service: str) -> type[BaseServiceSettings]:
    """The one BaseServiceSettings subclass a service's settings.py defines."""
    module = importlib.import_module(f"services.{service}.settings")
    found = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseServiceSettings) and cls.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise LookupError(f"services/{service}/settings.py defines {len(found)} settings classes")
    return found[0]


S = TypeVar("S", bound=BaseSettings)


def code_defaults(cls: type[S], **values: Any) -> S:
    """Settings as the code defines them (plus `values`): no environment, no .env file."""

    class Defaults(cls):  # type: ignore[valid-type,misc]
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            **_: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings,)

    return Defaults(**values)


# ---------------------------------------------------------------- environment variables


@dataclass(frozen=True)
class Variable:
    """One environment variable a settings class reads: MTM_<SECTION>__<FIELD>."""

    name: str
    path: tuple[str, ...]
    field: FieldInfo
    section: bool = False
    """A whole nested section, given as one JSON object (MTM_KAFKA='{...}')."""


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (also when optional), if it holds one."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, UnionType):
        models = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(models) == 1:
            return nested_model(models[0])
    return None


def variables(cls: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[Variable]:
    """Every variable of a settings class, depth first in declaration order."""
    for name, field in cls.model_fields.items():
        here = (*path, name)
        env = PREFIX + DELIMITER.join(p.upper() for p in here)
        model = nested_model(field.annotation)
        if model is None:
            yield Variable(env, here, field)
        else:
            yield Variable(env, here, field, section=True)
            yield from variables(model, here)


def variable_names(cls: type[BaseModel]) -> set[str]:
    """Every name a settings class reads (leaves and whole sections)."""
    return {v.name for v in variables(cls)}


def secret_variables(cls: type[BaseModel]) -> set[str]:
    """The variables holding a secret (SecretStr fields)."""
    return {
        v.name for v in variables(cls) if not v.section and "SecretStr" in repr(v.field.annotation)
    }


# ---------------------------------------------------------------- brokers (AsyncAPI)


def _broker(service: str) -> Callable[[Any], KafkaBroker]:
    def build(settings: Any) -> KafkaBroker:
        module = importlib.import_module(f"services.{service}.app")
        built: Service[Any] = module.build(settings)
        return built.runtime.broker

    return build


BROKERS: dict[str, Callable[[Any], KafkaBroker]] = {
    name: _broker(name)
    for name in ("dispatcher", "reminders", "adherence", "symptoms", "escalation")
}
"""How to build each FastStream service's broker, routers included, without starting anything.
The gateway is a Starlette app: it publishes but declares no subscriber, so it has no document."""
HTTP_SERVICES = frozenset({"gateway"})


def summary(service: str) -> str:
    """The one-line docstring of a service's package."""
    return (importlib.import_module(f"services.{service}").__doc__ or service).strip()
