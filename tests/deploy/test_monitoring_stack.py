"""The monitoring profile, checked by reading (Docker is not on the development machines): the compose file and
the Prometheus and Grafana files parse, point at each other, and the dashboard draws only metrics we export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"


def _yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def test_the_monitoring_profile_starts_prometheus_and_grafana_with_our_files() -> None:
    compose = _yaml(ROOT / "docker-compose.yml")
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), volume
    assert {"prometheus", "grafana", "pgdata"} <= set(compose["volumes"])
    assert "notifications" in " ".join(services["worker-notifications"]["command"])
    assert services["watchdog"]["command"] == ["python", "manage.py", "watchdog"]


def test_prometheus_scrapes_the_web_process_and_loads_its_rules() -> None:
    config = _yaml(MONITORING / "prometheus.yml")
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics" and job["static_configs"][0]["targets"] == ["web:8000"]
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    # Production's /metrics wants the bearer token: Prometheus sends it from the file its entrypoint writes.
    assert job["authorization"] == {"type": "Bearer", "credentials_file": "/tmp/optrading_metrics_token"}
    prometheus = _yaml(ROOT / "docker-compose.yml")["services"]["prometheus"]
    assert "> /tmp/optrading_metrics_token" in prometheus["command"][0]
    assert prometheus["environment"]["OPTRADING_METRICS_TOKEN"] == "${OPTRADING_METRICS_TOKEN:-}"
    rules = _yaml(MONITORING / "alerts.yml")["groups"][0]["rules"]
    assert {r["alert"] for r in rules} >= {"OptradingHeartbeatStale", "OptradingComponentDown"}


def test_grafana_is_provisioned_with_the_datasource_and_the_dashboard() -> None:
    (datasource,) = _yaml(MONITORING / "grafana/provisioning/datasources/prometheus.yml")["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    (provider,) = _yaml(MONITORING / "grafana/provisioning/dashboards/optrading.yml")["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboard = json.loads((MONITORING / "grafana/dashboards/optrading.json").read_text())
    assert dashboard["uid"] == "optrading-ops" and len(dashboard["panels"]) >= 8
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"]


@pytest.mark.django_db
def test_every_metric_the_dashboard_draws_is_exported() -> None:
    from apps.monitoring import metrics

    # Each labelled family appears once it has a sample.
    metrics.record_heartbeat_age("beat", 1.0)
    metrics.record_analytics_lag("NIFTY", 0)
    metrics.record_component_status("database", "ok")
    metrics.record_quality_score("all", 99.0)
    metrics.record_alert_fired("pcr_oi")
    metrics.record_delivery("webhook", "failed")
    metrics.record_fault_notice("problem")
    metrics.record_anomaly("price_jump")
    metrics.COLLECTION_RUNS.labels(broker="simulated", status="success").inc(0)
    families = {f.name for f in text_string_to_metric_families(Client().get("/metrics").content.decode())}
    samples = set()
    for family in text_string_to_metric_families(Client().get("/metrics").content.decode()):
        samples |= {s.name for s in family.samples}
    dashboard = json.loads((MONITORING / "grafana/dashboards/optrading.json").read_text())
    used = {
        name for p in dashboard["panels"] for t in p["targets"] for name in re.findall(r"optrading_[a-z_]+", t["expr"])
    }
    assert used and used <= samples | families, used - samples - families
