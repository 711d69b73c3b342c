"""A partial override changes that field only: every other field keeps its real default.

Generated over every settings class (deploy.services walks each one's nested models, as the
README's configuration reference does): for each variable, one environment variable is set to a
different valid value, and the settings must differ from the defaults in exactly that field. The
trap this guards against: pydantic-settings builds a nested model from the fields the environment
gives alone, so a section whose default is a pre-built instance differing from its model's own
field defaults (the P1 ladder was `Ladder(delays=[0, 3600, 3600], ...)`) lost every other value
of that instance to the model's defaults (P1 paging every 15 minutes, P2's digest turned into
live paging). Plain environment, no .env file, no infrastructure."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import NoneType, UnionType
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from deploy.reference import NAMED
from deploy.services import Variable, nested_model, service_names, settings_class, variables
from services.escalation.settings import EscalationSettings
from shared.settings import BaseServiceSettings
from shared.sites import demo_sites
from tests.unit.deploy.support import settings_from

SERVICES = service_names()


def _demo_sites_with(site_id: str, **fields: str) -> str:
    sites = {k: s.model_dump(mode="json", exclude_defaults=True) for k, s in demo_sites().items()}
    sites[site_id].update(fields)
    return json.dumps(sites)


EXPLICIT: dict[str, str] = {
    # A value the generic rules below cannot make (a pattern, a reference to another setting, a
    # map). A new variable of such a kind fails the test until it has an entry here.
    "MTM_SITES": _demo_sites_with("austin", help_phone="512-555-0142"),
    "MTM_KAFKA__TOPIC_PREFIX": "run-7.",
    "MTM_REDIS__URL": "redis://10.0.0.6:6379/1",
    "MTM_REDIS__NAMESPACE": "mtm-other",
    "MTM_TWILIO__ACCOUNT_SID": "AC" + "2e" * 16,
    "MTM_GATEWAY__PUBLIC_BASE_URL": "https://sms.clinic.example",
    "MTM_GATEWAY__WEBHOOK_SHARED_KEYS": json.dumps({"webhooks_sharedkey_1": "s3cr3t-key"}),
    "MTM_DISPATCHER__DEFAULT_SITE": "houston",
    "MTM_DISPATCHER__ALLOWED_REGIONS": '["US", "CA"]',
    "MTM_ADHERENCE__THRESHOLDS__SSRI_DISC_HOURS": json.dumps(
        {"paroxetine": 36, "venlafaxine": 48, "sertraline": 72}
    ),
    "MTM_REMINDERS__SITE_CASCADES": json.dumps(
        {"el-paso": [{"name": "d2", "before": "P2D", "clock": "wall"}]}
    ),
    "MTM_SYMPTOMS__CHECKIN_SITE_DEFAULTS": json.dumps({"*": [{"kind": "PHQ-2"}]}),
}

COMPANIONS: dict[str, dict[str, str]] = {
    # Fields valid only together with another one: both change, nothing else.
    "MTM_KAFKA__SSL_CAFILE": {"MTM_KAFKA__SECURITY_PROTOCOL": "SSL"},
    "MTM_KAFKA__SSL_CERTFILE": {"MTM_KAFKA__SECURITY_PROTOCOL": "SSL"},
    "MTM_KAFKA__SSL_KEYFILE": {
        "MTM_KAFKA__SECURITY_PROTOCOL": "SSL",
        "MTM_KAFKA__SSL_CERTFILE": "/etc/mtm/client.pem",
    },
    "MTM_REDIS__SSL_CA_CERTS": {"MTM_REDIS__URL": "rediss://10.0.0.6:6380/0"},
    "MTM_REDIS__SSL_CERTFILE": {"MTM_REDIS__URL": "rediss://10.0.0.6:6380/0"},
    "MTM_REDIS__SSL_KEYFILE": {
        "MTM_REDIS__URL": "rediss://10.0.0.6:6380/0",
        "MTM_REDIS__SSL_CERTFILE": "/etc/mtm/client.pem",
    },
}

NAMED_VALUES = {
    "IANA zone": ["America/New_York"],
    "local time HH:MM": ["07:45", "07:50"],
    "phone (E.164)": ["+15125550142"],
}


def leaves(model: BaseModel, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every field of the settings by path, nested models walked into."""
    out: dict[tuple[str, ...], Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out |= leaves(value, (*path, name))
        else:
            out[(*path, name)] = value
    return out


def value_at(model: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        model = getattr(model, name)
    return model


def _plain(tp: Any) -> Any:
    """The type without None (an optional field's value type)."""
    if typing.get_origin(tp) in (typing.Union, UnionType):
        args = [a for a in typing.get_args(tp) if a is not NoneType]
        return args[0] if len(args) == 1 else typing.Union[tuple(args)]  # noqa: UP007
    return tp


def _candidates(field: FieldInfo, default: Any) -> Iterator[Any]:
    """Values of the field's type other than the default, most natural first."""
    for meta in field.metadata:
        for validator, name in NAMED:
            if meta == validator:
                yield from NAMED_VALUES[name]
                return
    tp = _plain(field.annotation)
    origin = typing.get_origin(tp)
    if origin is Literal:
        yield from typing.get_args(tp)
    elif tp is bool:
        yield not default
    elif tp is int:
        base = 0 if default is None else default
        yield from (base + 1, base - 1, 1)
    elif tp is float:
        base = 0.0 if default is None else float(default)
        yield from (base * 2 or 1.0, base / 2, base + 1, 1.0)
    elif tp is str:
        yield "alt-value" if default is None else f"{default}-alt"
    elif tp is SecretStr:
        yield SecretStr("an0ther-Secret-value")
    elif tp is timedelta:
        yield (default or timedelta(0)) + timedelta(hours=1)
    elif tp is datetime:
        yield datetime.fromisoformat("2026-03-10T12:00:00+00:00")
    elif origin is list and default:
        yield list(reversed(default))


def _env_text(value: Any, field: FieldInfo) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    assert field.annotation is not None
    plain = TypeAdapter(field.annotation).dump_python(value, mode="json")
    return plain if isinstance(plain, str) else json.dumps(plain)  # ISO 8601 times unquoted


def alternative(variable: Variable, default: Any) -> str:
    """The environment text of a valid value of the variable other than its default."""
    if variable.name in EXPLICIT:
        return EXPLICIT[variable.name]
    field = variable.field
    assert field.annotation is not None
    annotated: Any = (
        Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    )
    checker = TypeAdapter(annotated)
    for candidate in _candidates(field, default):
        if candidate == default:
            continue
        try:
            checker.validate_python(candidate)
        except ValidationError:
            continue
        return _env_text(candidate, field)
    pytest.fail(f"no alternative value for {variable.name}: add one to EXPLICIT")


def _cases() -> list[Any]:
    return [
        pytest.param(service, v, id=f"{service}:{v.name}")
        for service in SERVICES
        for v in variables(settings_class(service))
        if not v.section
    ]


@pytest.fixture(scope="module")
def defaults() -> dict[str, BaseServiceSettings]:
    mp = pytest.MonkeyPatch()
    try:
        return {s: settings_from(s, {}, mp) for s in SERVICES}
    finally:
        mp.undo()


@pytest.mark.parametrize(("service", "variable"), _cases())
def test_one_variable_changes_that_field_only(
    service: str,
    variable: Variable,
    defaults: dict[str, BaseServiceSettings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = defaults[service]
    paths = {v.name: v.path for v in variables(settings_class(service))}
    env = {variable.name: alternative(variable, value_at(default, variable.path))}
    env |= COMPANIONS.get(variable.name, {})
    changed = leaves(settings_from(service, env, monkeypatch))
    before = leaves(default)
    differ = {path for path in before if changed[path] != before[path]}
    assert differ == {paths[name] for name in env}, f"{env} changed {sorted(differ)}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_nested_default_is_its_models_own_default(service: str) -> None:
    """What makes a partial override safe: a nested section's default is exactly what its model
    builds from nothing, so building it from a few given fields keeps every other default."""

    def walk(model: BaseModel, path: str) -> Iterator[tuple[str, Any, Any]]:
        for name, field in type(model).model_fields.items():
            cls = nested_model(field.annotation)
            value = getattr(model, name)
            if cls is not None and value is not None:
                yield f"{path}.{name}", value, cls()
                yield from walk(value, f"{path}.{name}")

    mp = pytest.MonkeyPatch()
    try:
        settings = settings_from(service, {}, mp)
    finally:
        mp.undo()
    for where, value, built in walk(settings, service):
        assert value == built, f"{where}: the default differs from {type(built).__name__}()"


@pytest.mark.parametrize(
    ("variable", "value", "severity", "wanted"),
    [
        ("MAX_REMINDERS", "3", "P1", {"delays_seconds": [0.0, 3600.0, 3600.0], "max_repeats": 12}),
        ("MAX_REPEATS", "6", "P1", {"repeat_every_seconds": 1800.0, "max_reminders": 2}),
        ("MAX_REMINDERS", "2", "P2", {"mode": "digest", "resolve_within_seconds": None}),
        ("TARGETS", '["primary"]', "P3", {"mode": "digest"}),
    ],
)
def test_the_issue_examples_keep_their_severitys_defaults(
    variable: str,
    value: str,
    severity: str,
    wanted: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {f"MTM_ESCALATION__LADDERS__{severity}__{variable}": value}
    ladder = getattr(escalation_from(env, monkeypatch).escalation.ladders, severity)
    assert {k: getattr(ladder, k) for k in wanted} == wanted


def test_a_whole_section_as_json_is_laid_over_its_own_defaults_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"MTM_ESCALATION__LADDERS__P2": '{"max_reminders": 2}'}
    p2 = escalation_from(env, monkeypatch).escalation.ladders.P2
    assert (p2.mode, p2.max_reminders, p2.resolve_within_seconds) == ("digest", 2, None)


MAPS_GIVEN_WHOLE = {
    # A map setting whose given value replaces its default rather than being laid over it.
    "MTM_SITES": "a configured registry replaces the built-in demo sites",
}


def _map_cases() -> list[Any]:
    mp = pytest.MonkeyPatch()
    try:
        defaults = {s: settings_from(s, {}, mp) for s in SERVICES}
    finally:
        mp.undo()
    return [
        pytest.param(service, v, id=f"{service}:{v.name}")
        for service in SERVICES
        for v in variables(settings_class(service))
        if not v.section
        and isinstance(value_at(defaults[service], v.path), dict)
        and value_at(defaults[service], v.path)
        and v.name not in MAPS_GIVEN_WHOLE
    ]


@pytest.mark.parametrize(("service", "variable"), _map_cases())
def test_one_key_of_a_map_keeps_the_other_keys(
    service: str,
    variable: Variable,
    defaults: dict[str, BaseServiceSettings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A map with defaults (the SSRI discontinuation hours by drug): one key given, by its own
    variable or as JSON, changes that key only; the other keys keep their defaults."""
    default = value_at(defaults[service], variable.path)
    key, value = next(iter(default.items()))
    if not isinstance(value, int | float):
        pytest.fail(f"{variable.name}: a map of {type(value).__name__}, add a case")
    for env in (
        {f"{variable.name}__{key.upper()}": str(value * 2)},
        {variable.name: json.dumps({key: value * 2})},
    ):
        got = value_at(settings_from(service, env, monkeypatch), variable.path)
        assert got == {**default, key: value * 2}, env


def test_a_map_is_given_whole_and_a_partial_site_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MTM_SITES is one value: JSON replaces the demo sites. One field of one site alone is
    refused, naming what is missing, rather than silently dropping the other sites."""
    env = {"MTM_SITES__AUSTIN__HELP_PHONE": "512-555-0142"}
    with pytest.raises(ValidationError, match=r"sites\.austin\.display_name"):
        settings_from("dispatcher", env, monkeypatch)


def escalation_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> EscalationSettings:
    settings = settings_from("escalation", env, monkeypatch)
    assert isinstance(settings, EscalationSettings)
    return settings
