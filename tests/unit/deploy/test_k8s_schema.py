"""The manifests as a cluster would receive them, validated strictly and without a cluster.

Each kustomization (deploy/k8s itself, base/, topics/, users/ and overlays/example) is rendered by
kustomize (`kustomize build`, else `kubectl kustomize`, which embeds it; no network). Every object
is then validated:
- Kubernetes kinds against the OpenAPI schema of each of KUBERNETES_VERSIONS, as JSON Schema with
  unknown fields forbidden (kubernetes-validate's strict schemas, shipped in its wheel): what
  `kubectl apply --validate=strict` and the API server's strict field validation refuse.
- Strimzi's KafkaTopic and KafkaUser against the CRDs kept in deploy/k8s/schemas/ (Strimzi 1.2.0,
  API kafka.strimzi.io/v1; their README says where they come from), likewise with unknown fields
  forbidden and `metadata` held to Kubernetes' ObjectMeta. The CRDs' CEL rules
  (x-kubernetes-validations: only for `authentication.type: tls`) are not evaluated.
- Names and labels as the API server checks them besides the schema (RFC 1123 names, label syntax).
An object of an apiVersion/kind no schema covers (kafka.strimzi.io/v1beta2, say) is an error, never
a skip. The last tests prove the validator strict: an unknown field is refused."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from referencing import Registry, Resource

from tests.unit.deploy.support import K8S, documents

KUBERNETES_VERSIONS = ("1.35", "1.37")
"""The oldest and newest minor the Kubernetes project supported in December 2026
(kubernetes-validate 1.37.0 ships both). A field newer than the oldest one fails here."""
KUSTOMIZATIONS = ("", "base", "topics", "users", "overlays/example")
"""Folders of deploy/k8s with a kustomization ("" is deploy/k8s itself)."""
STRIMZI_SCHEMAS = K8S / "schemas" / "strimzi-1.2.0"
DEFINITIONS = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = f"{DEFINITIONS}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


# ---------------------------------------------------------------- rendering


def kustomize() -> list[str]:
    """The command that renders a kustomization: kustomize itself, else kubectl's."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    message = "neither kustomize nor kubectl is installed (every machine image here has kubectl)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@cache
def _render(folder: str) -> tuple[str, str]:
    result = subprocess.run(
        [*kustomize(), str(K8S / folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build deploy/k8s/{folder} failed:\n{result.stderr}"
    return result.stdout, result.stderr


def render(folder: str) -> list[dict[str, Any]]:
    """The objects `kustomize build deploy/k8s/<folder>` prints (fresh copies)."""
    return [d for d in yaml.safe_load_all(_render(folder)[0]) if d]


def ident(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    where = f"{meta.get('namespace', '')}/{meta.get('name')}"
    return f"{obj.get('apiVersion')} {obj.get('kind')} {where}"


# ---------------------------------------------------------------- validation


@cache
def _definitions(version: str) -> Any:
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    path = folder / f"v{version}.0-local-strict" / "_definitions.json"
    return yaml.safe_load(path.read_text())  # JSON is YAML


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A CRD's structural OpenAPI v3 schema as JSON Schema that refuses unknown fields."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-kubernetes-"):
            continue
        if key == "properties":
            out[key] = {name: strict(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = strict(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [strict(sub) for sub in value]
        else:
            out[key] = value
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable"):
        out.pop("nullable")
        out = {"anyOf": [out, {"type": "null"}]}
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if schema.get("type") == "object" and "additionalProperties" not in schema and not preserve:
        out["additionalProperties"] = False
    return out


@cache
def strimzi_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict JSON Schema, for every served version of the stored CRDs."""
    out = {}
    for path in sorted(STRIMZI_SCHEMAS.glob("*.yaml")):
        [crd] = documents(path)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version["served"]:
                continue
            schema = strict(version["schema"]["openAPIV3Schema"])
            schema["properties"]["metadata"] = {"$ref": OBJECT_META}
            schema["properties"]["apiVersion"]["enum"] = [f"{group}/{version['name']}"]
            schema["properties"]["kind"]["enum"] = [kind]
            schema["required"] = sorted({"apiVersion", "kind", "metadata", *schema["required"]})
            out[(f"{group}/{version['name']}", kind)] = schema
    return out


DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def api_server_checks(obj: dict[str, Any]) -> None:
    """Beyond the schema: names are RFC 1123 subdomains, label keys and values are well formed."""
    meta = obj["metadata"]
    name = meta["name"]
    assert len(name) <= 253 and DNS_SUBDOMAIN.match(name), f"{ident(obj)}: invalid name"
    if obj["kind"] in ("Service", "Namespace"):
        assert len(name) <= 63 and "." not in name, f"{ident(obj)}: not an RFC 1123 label"
    for key, value in (meta.get("labels") or {}).items():
        prefix, _, label = key.rpartition("/")
        assert not prefix or (len(prefix) <= 253 and DNS_SUBDOMAIN.match(prefix)), key
        assert len(label) <= 63 and LABEL_NAME.match(label), f"{ident(obj)}: label key {key}"
        value = str(value)
        assert value == "" or (len(value) <= 63 and LABEL_NAME.match(value)), f"{key}={value}"


def validate(obj: dict[str, Any], version: str) -> None:
    """Raise (jsonschema.ValidationError, AssertionError, LookupError) unless `obj` is valid."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    if api_version.split("/")[0].endswith("strimzi.io"):
        schema = strimzi_schemas().get((api_version, kind))
        if schema is None:
            raise LookupError(f"{ident(obj)}: no stored Strimzi schema for {api_version} {kind}")
        definitions = Resource.from_contents(_definitions(version))
        registry: Registry[Any] = definitions @ Registry()
        jsonschema.Draft202012Validator(schema, registry=registry).validate(obj)
    else:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError as exc:
            raise LookupError(exc.message) from exc
    api_server_checks(obj)


def check(obj: dict[str, Any], version: str) -> None:
    try:
        validate(obj, version)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        pytest.fail(f"{ident(obj)} (Kubernetes {version}): {where}: {exc.message}")
    except LookupError as exc:
        pytest.fail(str(exc))


# ---------------------------------------------------------------- the manifests


@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=lambda f: f"deploy/k8s/{f}".rstrip("/"))
def test_every_kustomization_builds_without_a_warning(folder: str) -> None:
    _, stderr = _render(folder)
    assert "warning" not in stderr.lower(), stderr
    assert render(folder), f"deploy/k8s/{folder} renders nothing"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=lambda f: f"deploy/k8s/{f}".rstrip("/"))
def test_every_rendered_object_is_valid(folder: str, version: str) -> None:
    for obj in render(folder):
        check(obj, version)


def test_deploy_k8s_is_base_topics_and_users_each_in_its_namespace() -> None:
    everything = render("")
    parts = [*render("base"), *render("topics"), *render("users")]
    assert sorted(map(ident, everything)) == sorted(map(ident, parts))
    for obj in everything:
        namespace = obj["metadata"].get("namespace")
        if obj["kind"] == "Namespace":
            assert namespace is None
        elif obj["apiVersion"].startswith("kafka.strimzi.io/"):
            assert namespace == "kafka", ident(obj)
        else:
            assert namespace == "mtm-notify", ident(obj)


def test_the_strimzi_resources_use_the_v1_api() -> None:
    kinds = {(o["apiVersion"], o["kind"]) for o in render("") if "strimzi" in o["apiVersion"]}
    assert kinds == {("kafka.strimzi.io/v1", "KafkaTopic"), ("kafka.strimzi.io/v1", "KafkaUser")}
    assert set(strimzi_schemas()) == kinds, "the stored CRDs serve exactly these"


def test_the_stored_crds_are_valid_crds() -> None:
    for path in sorted(STRIMZI_SCHEMAS.glob("*.yaml")):
        [crd] = documents(path)
        check(crd, KUBERNETES_VERSIONS[-1])
        assert crd["spec"]["group"] == "kafka.strimzi.io"


# ---------------------------------------------------------------- the example overlay


def _deployments(folder: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in render(folder) if o["kind"] == "Deployment"}


def _secret_names(deployment: dict[str, Any]) -> set[str]:
    pod = deployment["spec"]["template"]["spec"]
    names = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    for container in pod["containers"]:
        for item in container.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
    return names


def test_the_example_overlay_sets_namespace_image_replicas_and_secret_names() -> None:
    objects = render("overlays/example")
    names = {(o["kind"], o["metadata"]["name"]) for o in render("base")}
    renamed = (names - {("Namespace", "mtm-notify")}) | {("Namespace", "mtm-example")}
    assert {(o["kind"], o["metadata"]["name"]) for o in objects} == renamed
    assert all(
        o["metadata"].get("namespace") == "mtm-example" for o in objects if o["kind"] != "Namespace"
    )
    deployments = _deployments("overlays/example")
    for name, deployment in deployments.items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == "registry.example.org/mtm-notify:0.1.0"
        # Every Secret under the overlay's names; the Kafka password under the KafkaUser's.
        assert _secret_names(deployment) <= {
            "mtm-example-app",
            "mtm-example-twilio",
            "mtm-cluster-ca-cert",
            f"mtm-{name}",
        }, name
        assert f"mtm-{name}" in _secret_names(deployment)
    replicas = {n: d["spec"].get("replicas") for n, d in deployments.items()}
    assert replicas["gateway"] == replicas["escalation"] == 3
    assert replicas["dispatcher"] is None, "the autoscaler owns the dispatcher's count"
    [config] = [o for o in objects if o["kind"] == "ConfigMap"]
    assert config["data"]["MTM_KAFKA__BOOTSTRAP_SERVERS"] == "kafka.example.internal:9093"


# ---------------------------------------------------------------- the validator is strict


def _first(folder: str, kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in render(folder) if o["kind"] == kind))


def _refused(obj: dict[str, Any]) -> bool:
    try:
        validate(obj, KUBERNETES_VERSIONS[0])
    except (jsonschema.ValidationError, AssertionError, LookupError):
        return True
    return False


def test_an_unknown_field_is_refused() -> None:
    deployment = _first("base", "Deployment")
    assert not _refused(deployment)
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {}  # not "resources"
    assert _refused(deployment)
    pdb = _first("base", "PodDisruptionBudget")
    pdb["spec"]["minAvailble"] = 1
    assert _refused(pdb)
    topic = _first("topics", "KafkaTopic")
    assert not _refused(topic)
    topic["spec"]["replicationFactor"] = 3
    assert _refused(topic)
    topic = _first("topics", "KafkaTopic")
    topic["metadata"]["label"] = {}  # metadata is held to ObjectMeta
    assert _refused(topic)


def test_what_strimzi_v1_dropped_is_refused() -> None:
    user = _first("users", "KafkaUser")
    assert not _refused(user)
    acl = user["spec"]["authorization"]["acls"][0]
    acl["operation"] = acl["operations"][0]  # v1beta2's deprecated singular, gone in v1
    assert _refused(user)
    user = _first("users", "KafkaUser")
    del user["spec"]["authorization"]["acls"][0]["operations"]  # required in v1
    assert _refused(user)
    topic = _first("topics", "KafkaTopic")
    topic["apiVersion"] = "kafka.strimzi.io/v1beta2"  # removed in Strimzi 1.0
    assert _refused(topic)


def test_a_wrong_type_an_invalid_name_and_an_unknown_kind_are_refused() -> None:
    deployment = _first("base", "Deployment")
    deployment["spec"]["replicas"] = "two"
    assert _refused(deployment)
    deployment = _first("base", "Deployment")
    deployment["metadata"]["name"] = "Gateway_1"
    assert _refused(deployment)
    assert _refused({"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}})
