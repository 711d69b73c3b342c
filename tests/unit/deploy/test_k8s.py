"""deploy/k8s, checked without a cluster: every manifest parses; one Deployment per service with
probes, requests and limits, and a non-root, read-only, capability-free security context; the
variables are settings the service reads and the secrets come from the Secrets; disruption budgets
on the sending and paging paths; the topics match shared.topics with their dead-letter topics,
replication 3 and min.insync.replicas 2. The rendered manifests are validated against the
Kubernetes and Strimzi schemas in test_k8s_schema.py, the principals in test_kafka_users.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from deploy import topics as table
from deploy.services import (
    HTTP_SERVICES,
    secret_variables,
    service_names,
    settings_class,
    variable_names,
)
from shared import topics
from shared.settings import TwilioServiceSettings
from tests.unit.deploy.support import K8S, documents, settings_from

BASE = K8S / "base"
SERVICES = service_names()
WORKERS = [s for s in SERVICES if s not in HTTP_SERVICES]


def manifests() -> list[Path]:
    folders = ("base", "topics", "users", "overlays/example")
    return [K8S / "kustomization.yaml"] + [
        path for folder in folders for path in sorted((K8S / folder).glob("*.yaml"))
    ]


@cache
def resources() -> list[dict[str, Any]]:
    kustomization = documents(BASE / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in documents(BASE / name)]


@cache
def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in resources() if d["kind"] == kind}


def container(service: str) -> dict[str, Any]:
    [c] = of_kind("Deployment")[service]["spec"]["template"]["spec"]["containers"]
    return dict(c)


def pod(service: str) -> dict[str, Any]:
    return dict(of_kind("Deployment")[service]["spec"]["template"]["spec"])


def quantity(text: str | int) -> float:
    """A Kubernetes quantity as a number (cpu in cores, memory in bytes)."""
    match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi)?", str(text))
    assert match, f"not a quantity: {text}"
    factor = {None: 1, "m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[match.group(2)]
    return float(match.group(1)) * factor


def configmap() -> dict[str, str]:
    return dict(of_kind("ConfigMap")["mtm-config"]["data"])


def secret_template() -> dict[str, dict[str, str]]:
    return {
        d["metadata"]["name"]: d["stringData"] for d in documents(BASE / "secret.template.yaml")
    }


def env_of(service: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in container(service).get("env", []):
        yield item["name"], item


@pytest.mark.parametrize("path", manifests(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_manifest_parses(path: Path) -> None:
    docs = documents(path)
    assert docs, f"{path} is empty"
    for doc in docs:
        assert {"apiVersion", "kind"} <= set(doc), f"{path}: a document without apiVersion/kind"


def test_the_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    listed = set(documents(BASE / "kustomization.yaml")[0]["resources"])
    present = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present - {"secret.template.yaml"}


def test_deploy_k8s_itself_is_a_kustomization_of_base_topics_and_users() -> None:
    """`kubectl apply -k deploy/k8s` (the schemas/ and overlays/ folders are not resources)."""
    assert documents(K8S / "kustomization.yaml")[0]["resources"] == ["base", "topics", "users"]


def test_one_deployment_per_service_in_a_file_of_its_own() -> None:
    assert sorted(of_kind("Deployment")) == SERVICES
    for service in SERVICES:
        kinds = [d["kind"] for d in documents(BASE / f"{service}.yaml")]
        assert kinds.count("Deployment") == 1
        assert container(service)["image"] == "mtm-notify"
        assert container(service)["command"] == ["python", "-m", f"services.{service}"]


@pytest.mark.parametrize("service", SERVICES)
def test_probes_requests_and_limits(service: str) -> None:
    c = container(service)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c.get(probe), f"{service}: no {probe}"
    for kind in ("cpu", "memory"):
        request = quantity(c["resources"]["requests"][kind])
        limit = quantity(c["resources"]["limits"][kind])
        assert 0 < request <= limit, f"{service}: {kind} request {request} > limit {limit}"
    if service in WORKERS:
        assert c["livenessProbe"]["exec"]["command"] == ["python", "-m", "shared.health"]
        assert c["readinessProbe"]["exec"]["command"][-1] == "--ready"
        assert dict(env_of(service))["MTM_HEALTH__FILE"]["value"].startswith("/tmp/")
    else:
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"


@pytest.mark.parametrize("service", SERVICES)
def test_non_root_read_only_and_without_capabilities(service: str) -> None:
    p, c = pod(service), container(service)
    assert p["securityContext"]["runAsNonRoot"] is True
    assert p["securityContext"]["runAsUser"] != 0
    assert p["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert p["automountServiceAccountToken"] is False
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    tmp = {m["name"] for m in c["volumeMounts"] if m["mountPath"] == "/tmp"}
    assert tmp and all("emptyDir" in v for v in p["volumes"] if v["name"] in tmp)


def test_the_namespace_enforces_the_restricted_pod_security_standard() -> None:
    labels = of_kind("Namespace")["mtm-notify"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("service", SERVICES)
def test_variables_are_settings_and_secrets_come_from_the_secret(service: str) -> None:
    cls = settings_class(service)
    names = set(configmap()) | {n for n, _ in env_of(service)}
    unknown = sorted(n for n in names if n not in variable_names(cls))
    assert unknown == [], f"{service} does not read {unknown}"
    secrets = secret_template()
    for name, item in env_of(service):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if name in secret_variables(cls):
            assert ref, f"{name} must come from a Secret, not a literal value"
        if ref:
            assert ref["key"] in secrets[ref["name"]], f"{name}: no {ref} in the secret template"
    assert not secret_variables(cls) & set(configmap()), "a secret in the ConfigMap"
    needed = {"MTM_REDIS__URL", "MTM_KAFKA__SASL_PASSWORD"}
    if issubclass(cls, TwilioServiceSettings):
        needed |= {"MTM_TWILIO__AUTH_TOKEN", "MTM_TWILIO__ACCOUNT_SID"}
    assert needed <= {n for n, _ in env_of(service)}


def test_the_secret_template_holds_no_value() -> None:
    assert all(v == "" for data in secret_template().values() for v in data.values())


@pytest.mark.parametrize("service", SERVICES)
def test_the_manifest_environment_is_accepted_in_production(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ConfigMap + env, with real-looking secrets, validates in production mode."""
    fake_secrets = {
        "redis-url": "rediss://:a1b2c3d4@redis.example.internal:6380/0",
        "password": "d41d8cd98f00b204e9800998ecf8427e",  # the service's KafkaUser Secret
        "twilio-account-sid": "AC" + "2e" * 16,
        "twilio-auth-token": "0123456789abcdef0123456789abcdef",
    }
    env = dict(configmap())
    for name, item in env_of(service):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        env[name] = fake_secrets[ref["key"]] if ref else str(item["value"])
    settings = settings_from(service, env, monkeypatch)
    assert settings.env == "production"
    assert settings.kafka.security_protocol == "SASL_SSL"


def test_the_gateway_is_reachable_and_callbacks_point_at_it() -> None:
    service = of_kind("Service")["gateway"]
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "gateway"}
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    public = dict(env_of("gateway"))["MTM_GATEWAY__PUBLIC_BASE_URL"]["value"]
    callback = dict(env_of("dispatcher"))["MTM_DISPATCHER__STATUS_CALLBACK_URL"]["value"]
    assert public.startswith("https://")
    assert callback == public + "/twilio/status"


@pytest.mark.parametrize("service", ["gateway", "dispatcher", "escalation"])
def test_the_http_sending_and_paging_paths_have_a_disruption_budget(service: str) -> None:
    """A node drain never takes every gateway (webhooks), dispatcher (every SMS) or escalation
    pod (the paging ladder) at once."""
    pdb = of_kind("PodDisruptionBudget")[service]
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": service}},
    }
    kinds = [d["kind"] for d in documents(BASE / f"{service}.yaml")]
    assert "PodDisruptionBudget" in kinds, f"{service}: its PDB belongs in {service}.yaml"
    replicas = of_kind("Deployment")[service]["spec"].get("replicas")
    if replicas is not None:
        assert replicas > 1, f"{service}: minAvailable 1 with one replica blocks every drain"


def test_the_dispatcher_has_a_disruption_budget_and_an_autoscaler() -> None:
    pdb = of_kind("PodDisruptionBudget")["dispatcher"]
    assert pdb["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "dispatcher"}
    hpa = of_kind("HorizontalPodAutoscaler")["dispatcher"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "dispatcher"
    routine = next(s for s in table.TOPICS if s.name == topics.NOTIFY_ROUTINE)
    assert 1 < hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= routine.partitions
    # The autoscaler owns the count; a replicas field would be reset by every apply.
    assert "replicas" not in of_kind("Deployment")["dispatcher"]["spec"]


def test_the_topic_table_covers_every_topic() -> None:
    assert [s.name for s in table.TOPICS] == list(topics.ALL_TOPICS)
    assert all(s.partitions >= 3 and s.retention_days >= 1 for s in table.TOPICS)


def test_kafka_topics_are_every_topic_and_its_dead_letter_topic() -> None:
    docs = documents(K8S / "topics" / "topics.yaml")
    assert all(d["kind"] == "KafkaTopic" for d in docs)
    assert all(d["apiVersion"] == "kafka.strimzi.io/v1" for d in docs), "v1beta2 is gone"
    by_name = {d["spec"]["topicName"]: d for d in docs}
    wanted = [*topics.ALL_TOPICS, *(topics.dlq(t) for t in topics.ALL_TOPICS)]
    assert sorted(by_name) == sorted(wanted)
    partitions = {s.name: s.partitions for s in table.all_topics()}
    for name, doc in by_name.items():
        spec = doc["spec"]
        assert spec["partitions"] == partitions[name]
        assert spec["replicas"] == 3
        assert spec["config"]["min.insync.replicas"] == 2
        assert doc["metadata"]["labels"]["strimzi.io/cluster"]
    kustomization = documents(K8S / "topics" / "kustomization.yaml")[0]
    assert kustomization["resources"] == ["topics.yaml"]
