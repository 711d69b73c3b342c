"""One Kafka principal per service, with exactly the ACLs its code needs.

deploy/k8s/users/users.yaml (generated from deploy/topics.py) is checked against the code itself:
- what a service reads and its consumer groups: the subscribers of its broker (the AsyncAPI
  documents, hence the README's "consumes" column, agree);
- what it writes: every event class its package constructs, on that event's topic (`topic_for`;
  a NotificationRequested by its literal priority), less the few events it builds only to handle
  them itself (IN_PROCESS); plus mtm.alerts for a consumer of a safety lane (the broker's warning
  about a dead letter there) and the dead-letter topic of each topic it reads.
And each Deployment logs in as its own principal, with the password from that principal's Secret."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from deploy import topics as table
from deploy.asyncapi import OUT
from deploy.services import BROKERS, ROOT, code_defaults, service_names, settings_class
from shared import topics
from shared.broker import SAFETY_LANES
from shared.events import TOPIC_EVENTS, NotificationRequested
from tests.unit.deploy.support import K8S, documents

SERVICES = service_names()
USERS = K8S / "users"

IN_PROCESS: dict[tuple[str, str], str] = {
    ("services/dispatcher/status/reconcile.py", "SmsStatusReceived"): "a status fetched at Twilio",
    ("services/dispatcher/status/status.py", "SmsStatusReceived"): "a status re-checked on a timer",
    ("services/symptoms/salvage.py", "QuestionnaireCompleted"): "rescued from a dead letter",
    ("services/symptoms/salvage.py", "QuestionnaireItemAnswered"): "rescued from a dead letter",
    ("services/symptoms/salvage.py", "SideEffectReported"): "rescued from a dead letter",
    ("services/dispatcher/inbound/salvage.py", "InboundSmsReceived"): "rescued from a dead letter",
}
"""Events a service constructs and handles itself, never publishing them: (file, class) -> why."""


@cache
def users() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents(USERS / "users.yaml")}


def acls(service: str) -> set[tuple[str, str, frozenset[str]]]:
    """(resource type, name, operations) of a service's KafkaUser."""
    return {
        (
            rule["resource"]["type"],
            rule["resource"].get("name", "kafka-cluster"),
            frozenset(rule["operations"]),
        )
        for rule in users()[f"mtm-{service}"]["spec"]["authorization"]["acls"]
    }


# ---------------------------------------------------------------- what the code does


@cache
def subscriptions(service: str) -> frozenset[tuple[str, str]]:
    """(topic, group) of every subscriber of the service's broker (production: no prefix)."""
    if service not in BROKERS:
        return frozenset()
    settings = code_defaults(
        settings_class(service), kafka={"bootstrap_servers": "kafka:9092", "topic_prefix": ""}
    )
    broker = BROKERS[service](settings)
    subscribers: list[Any] = list(broker.subscribers)
    return frozenset(
        (topic.name, subscriber.group_id)
        for subscriber in subscribers
        for topic in subscriber.topics
    )


EVENT_TOPICS: dict[str, set[str]] = {}
for _topic, _classes in TOPIC_EVENTS.items():
    for _cls in _classes:
        EVENT_TOPICS.setdefault(_cls.__name__, set()).add(_topic)


CONSTRUCTORS = ("model_validate", "model_construct")


def constructed(service: str) -> Iterator[tuple[str, str, ast.Call]]:
    """(file, event class, call) of every event the service's package constructs."""
    for path in sorted((ROOT / "services" / service).rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in CONSTRUCTORS:
                func = func.value
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in EVENT_TOPICS:
                yield rel, name, node


def event_topics(name: str, call: ast.Call) -> set[str]:
    """The topics an event constructed by `call` is published on."""
    if name != NotificationRequested.__name__:
        return EVENT_TOPICS[name]
    given = {k.arg: k.value for k in call.keywords}.get("priority")
    priority = NotificationRequested.model_fields["priority"].default
    if given is not None:
        priority = given.value if isinstance(given, ast.Constant) else None
    if priority == "urgent":
        return {topics.NOTIFY_URGENT}
    if priority == "routine":
        return {topics.NOTIFY_ROUTINE}
    return {topics.NOTIFY_URGENT, topics.NOTIFY_ROUTINE}  # decided at run time: both


def published(service: str) -> set[str]:
    out: set[str] = set()
    for rel, name, call in constructed(service):
        if (rel, name) not in IN_PROCESS:
            out |= event_topics(name, call)
    if {topic for topic, _ in subscriptions(service)} & SAFETY_LANES:
        out.add(topics.ALERTS)
    return out


def expected_acls(service: str) -> set[tuple[str, str, frozenset[str]]]:
    ops: dict[tuple[str, str], set[str]] = {}
    for topic, group in subscriptions(service):
        ops.setdefault(("topic", topic), set()).update({"Read", "Describe"})
        ops.setdefault(("group", group), set()).update({"Read", "Describe"})
        ops.setdefault(("topic", topics.dlq(topic)), set()).update({"Write", "Describe"})
    for topic in published(service):
        ops.setdefault(("topic", topic), set()).update({"Write", "Describe"})
    ops[("cluster", "kafka-cluster")] = {"IdempotentWrite"}
    return {(kind, name, frozenset(o)) for (kind, name), o in ops.items()}


# ---------------------------------------------------------------- the tests


def test_one_kafka_user_per_service() -> None:
    assert sorted(users()) == [f"mtm-{s}" for s in SERVICES]
    for name, user in users().items():
        assert user["apiVersion"] == "kafka.strimzi.io/v1"
        assert user["kind"] == "KafkaUser"
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == table.STRIMZI_CLUSTER
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}, name
        assert user["spec"]["authorization"]["type"] == "simple", name
        for rule in user["spec"]["authorization"]["acls"]:
            assert rule.get("type", "allow") == "allow" and "host" not in rule
            assert rule["resource"]["type"] == "cluster" or (
                rule["resource"]["patternType"] == "literal"
            ), f"{name}: a prefix or wildcard ACL"
    assert documents(USERS / "kustomization.yaml")[0]["resources"] == ["users.yaml"]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_do_exactly_what_its_code_does(service: str) -> None:
    got, wanted = acls(service), expected_acls(service)

    def show(rules: set[tuple[str, str, frozenset[str]]]) -> list[str]:
        return sorted(f"{kind} {name}: {','.join(sorted(ops))}" for kind, name, ops in rules)

    assert got == wanted, f"missing {show(wanted - got)}; not needed {show(got - wanted)}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_produces_table_is_what_the_code_publishes(service: str) -> None:
    safety = {topics.ALERTS} if {t for t, _ in subscriptions(service)} & SAFETY_LANES else set()
    assert set(table.PRODUCES[service]) | safety == published(service)


def test_the_in_process_exceptions_still_apply() -> None:
    seen = {(rel, name) for s in SERVICES for rel, name, _ in constructed(s)}
    assert set(IN_PROCESS) <= seen, "an IN_PROCESS entry names a construction that is gone"


@pytest.mark.parametrize("service", sorted(BROKERS))
def test_what_it_reads_is_what_its_asyncapi_document_subscribes_to(service: str) -> None:
    """The same channels the README's "consumes" column is checked against."""
    document = json.loads((OUT / f"{service}.json").read_text())
    channels = {channel["address"] for channel in document["channels"].values()}
    reads = {name for kind, name, ops in acls(service) if kind == "topic" and "Read" in ops}
    assert reads == channels


def test_consumer_groups_are_the_services_own() -> None:
    groups = {s: {n for k, n, _ in acls(s) if k == "group"} for s in SERVICES}
    assert groups["gateway"] == set()
    assert groups["adherence"] == {
        f"{topics.Groups.ADHERENCE}-{t}" for t in (topics.MEDICATIONS, topics.PATIENTS)
    }
    assert {
        f"{topics.Groups.DISPATCHER_URGENT}-{topics.NOTIFY_URGENT}",
        f"{topics.Groups.DISPATCHER_ROUTINE}-{topics.NOTIFY_ROUTINE}",
        f"{topics.Groups.DISPATCHER}-{topics.SMS_INBOUND}",
    } <= groups["dispatcher"]
    for service, names in groups.items():
        assert all(n == f"mtm-{service}" or n.startswith(f"mtm-{service}-") for n in names)


def test_no_service_reads_a_dead_letter_topic() -> None:
    """Only operators read `*.dlq` (the original records, PHI included): docs/security.md."""
    for service in SERVICES:
        for kind, name, ops in acls(service):
            if kind == "topic" and name.endswith(topics.DLQ_SUFFIX):
                assert ops == {"Write", "Describe"}, f"{service} on {name}: {sorted(ops)}"


def _env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item for item in container["env"]}


@pytest.mark.parametrize("service", SERVICES)
def test_each_deployment_logs_in_as_its_own_principal(service: str) -> None:
    [deployment] = [
        d for d in documents(K8S / "base" / f"{service}.yaml") if d["kind"] == "Deployment"
    ]
    env = _env(deployment)
    assert env["MTM_KAFKA__SASL_USERNAME"]["value"] == f"mtm-{service}"
    assert env["MTM_KAFKA__SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": f"mtm-{service}",
        "key": "password",
    }
    assert f"mtm-{service}" in users()
    config = documents(K8S / "base" / "configmap.yaml")[0]["data"]
    assert "MTM_KAFKA__SASL_USERNAME" not in config, "a user shared by every service"


def test_the_secret_template_has_a_password_secret_per_principal() -> None:
    templates = {d["metadata"]["name"]: d for d in documents(K8S / "base" / "secret.template.yaml")}
    for name in users():
        assert templates[name]["stringData"] == {"password": ""}
