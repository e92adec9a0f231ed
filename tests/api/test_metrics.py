from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from apps.monitoring import metrics
from tests.factories.marketdata import CollectionRunFactory

pytestmark = pytest.mark.django_db


def _scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = Client().get("/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_it_exposes_collected_quotes_runs_and_durations() -> None:
    before = _scrape()
    metrics.record_collection(CollectionRunFactory(quotes_stored=200, duration_ms=1500, status="success"))
    metrics.record_collection(CollectionRunFactory(quotes_stored=0, duration_ms=30_500, status="failed"))
    metrics.record_collection(CollectionRunFactory(quotes_stored=999, status="running"))  # not finished: ignored
    after = _scrape()

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("optrading_quotes_collected_total", broker="simulated") == 200
    assert delta("optrading_collection_runs_total", broker="simulated", status="success") == 1
    assert delta("optrading_collection_runs_total", broker="simulated", status="failed") == 1
    assert delta("optrading_collection_duration_seconds_count") == 2
    assert delta("optrading_collection_duration_seconds_sum") == pytest.approx(32.0)
    assert delta("optrading_collection_duration_seconds_bucket", le="2.0") == 1


def test_it_exposes_analytics_durations_and_broker_errors_by_code() -> None:
    before = _scrape()
    metrics.record_analytics(0.4)
    metrics.record_broker_error("session_required")
    metrics.record_broker_error("session_required")
    metrics.record_broker_error("network")
    after = _scrape()

    assert (
        _value(after, "optrading_analytics_duration_seconds_count")
        - _value(before, "optrading_analytics_duration_seconds_count")
        == 1
    )
    errors = "optrading_broker_errors_total"
    assert _value(after, errors, code="session_required") - _value(before, errors, code="session_required") == 2
    assert _value(after, errors, code="network") - _value(before, errors, code="network") == 1


def test_it_counts_connected_websocket_clients() -> None:
    start = _value(_scrape(), "optrading_websocket_clients")
    metrics.ws_client_connected()
    metrics.ws_client_connected()
    metrics.ws_client_disconnected()

    assert _value(_scrape(), "optrading_websocket_clients") == start + 1
    metrics.ws_client_disconnected()
    assert _value(_scrape(), "optrading_websocket_clients") == start
