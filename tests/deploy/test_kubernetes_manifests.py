"""The deploy manifests stay valid and say what the platform needs: every Kubernetes object validates against
the Kubernetes schemas (kubernetes-validate, strict), every Celery queue has its worker and its KEDA scaler,
beat and the watchdog are single replicas, probes ask the health endpoint for the process's own components,
and docker-compose runs one worker service per queue."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.urls import resolve

from apps.core.queues import CeleryQueue
from apps.health.checks import COMPONENTS

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33.0"
CUSTOM_KINDS = {"ScaledObject", "TriggerAuthentication"}
"""KEDA's kinds: not in the Kubernetes schemas; checked by the rules below instead."""


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _objects() -> list[dict[str, Any]]:
    files = sorted(K8S.glob("*.yaml"))
    return [doc for path in files if path.name != "kustomization.yaml" for doc in _documents(path)]


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _objects() if doc["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _queue_of(deployment: dict[str, Any]) -> str | None:
    command = _container(deployment)["command"]
    return command[command.index("-Q") + 1] if "-Q" in command else None


def test_every_kubernetes_object_validates_against_the_schemas() -> None:
    checked = 0
    for doc in _objects():
        if doc["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked >= 14


def test_the_validator_would_catch_a_broken_manifest() -> None:
    broken = copy.deepcopy(_by_kind("Deployment")["web"])
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    typo = copy.deepcopy(_by_kind("Deployment")["web"])
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSION, strict=True)


def test_kustomize_applies_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == files


def test_every_queue_has_one_worker_and_one_scaler_on_its_own_queue() -> None:
    workers = {name: d for name, d in _by_kind("Deployment").items() if name.startswith("worker-")}
    queues = sorted(_queue_of(d) or "" for d in workers.values())
    assert queues == sorted(q.value for q in CeleryQueue)
    scalers = _by_kind("ScaledObject")
    assert set(scalers) == set(workers)
    for name, scaler in scalers.items():
        assert scaler["spec"]["scaleTargetRef"]["name"] == name
        (trigger,) = scaler["spec"]["triggers"]
        assert trigger["type"] == "redis" and trigger["metadata"]["listName"] == _queue_of(workers[name])
        assert trigger["authenticationRef"]["name"] in _by_kind("TriggerAuthentication")
        assert 1 <= scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"]


def test_beat_and_the_watchdog_never_run_twice() -> None:
    deployments = _by_kind("Deployment")
    for name in ("beat", "watchdog"):
        assert deployments[name]["spec"]["replicas"] == 1
        assert deployments[name]["spec"]["strategy"] == {"type": "Recreate"}  # the old pod stops first
    assert "ScaledObject" not in {d["kind"] for d in _objects() if d["metadata"]["name"] in ("beat", "watchdog")}


def test_servers_are_ready_when_their_own_components_are_and_read_secrets_from_a_secret() -> None:
    deployments = _by_kind("Deployment")
    config = _by_kind("ConfigMap")["optrading-config"]["data"]
    assert config["DJANGO_ENV"] == "production"
    allowed_hosts = config["DJANGO_ALLOWED_HOSTS"].split(",")
    for name in ("web", "ws"):
        probe = _container(deployments[name])["readinessProbe"]["httpGet"]
        path, _, query = probe["path"].partition("?")
        assert resolve(path).url_name == "api-health"
        asked = dict(part.split("=") for part in query.split("&"))["components"].split(",")
        assert asked and set(asked) <= set(COMPONENTS) and "worker" not in asked
        # Production answers only named hosts: the probe names one the config allows (not the pod's IP).
        host = {h["name"]: h["value"] for h in probe.get("httpHeaders", [])}.get("Host")
        assert host in allowed_hosts, (name, host, allowed_hosts)
    secret_keys = set(yaml.safe_load((K8S / "secret.example.yaml").read_text())["stringData"])
    for doc in deployments.values():
        sources = _container(doc)["envFrom"]
        assert {"secretRef": {"name": "optrading-secrets"}} in sources
        assert not any("DJANGO_SECRET_KEY" in str(env) for env in _container(doc).get("env", []))
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "REDIS_ADDRESS"} <= secret_keys
    ingress = _by_kind("Ingress")["optrading"]["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["backend"]["service"]["name"]) for p in ingress] == [("/ws/", "ws"), ("/", "web")]


def test_compose_runs_one_scalable_worker_per_queue_and_one_beat() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {name: s for name, s in services.items() if name.startswith("worker-")}
    queues = sorted(
        re.search(r'"-Q", "([^"]+)"', str(s["command"]).replace("'", '"')).group(1) for s in workers.values()
    )  # type: ignore[union-attr]
    assert queues == sorted(q.value for q in CeleryQueue)
    for service in workers.values():
        assert "container_name" not in service and "ports" not in service  # what --scale needs
    assert "beat" in services and "deploy" not in services["beat"]
