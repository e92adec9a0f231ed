from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from apps.core.throttling import RateThrottle

pytestmark = pytest.mark.django_db


def test_it_configures_per_user_and_anonymous_throttling() -> None:
    rest = django_settings.REST_FRAMEWORK
    assert rest["DEFAULT_THROTTLE_CLASSES"] == ["apps.core.throttling.RateThrottle"]
    assert set(rest["DEFAULT_THROTTLE_RATES"]) == {"user", "anon"}


def test_it_throttles_each_user_separately_with_a_json_reply(user, staff, client_for, monkeypatch) -> None:
    # Rates are read when DRF loads; set a small one for this test. Counters live in the real Redis cache.
    monkeypatch.setattr(RateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    trader, ops = client_for(user), client_for(staff)

    statuses = [trader.get("/api/v1/collection-runs").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    response = trader.get("/api/v1/collection-runs")
    assert "throttled" in response.json()["error"]
    assert int(response["Retry-After"]) > 0
    assert ops.get("/api/v1/collection-runs").status_code == 200


def test_it_throttles_anonymous_clients_on_public_endpoints(monkeypatch) -> None:
    monkeypatch.setattr(RateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    client = APIClient()

    statuses = [client.get("/api/v1/market-status").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_it_accepts_a_browser_session(user) -> None:
    client = APIClient()
    client.force_login(user)

    assert client.get("/api/v1/underlyings").status_code == 200


def test_it_rejects_an_unknown_token() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = client.get("/api/v1/underlyings")

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid token."}


def test_it_allows_cross_origin_calls_only_from_configured_origins(api, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://dash.example.com"]

    allowed = api.get("/api/v1/underlyings", HTTP_ORIGIN="https://dash.example.com")
    other = api.get("/api/v1/underlyings", HTTP_ORIGIN="https://evil.example.net")

    assert allowed["Access-Control-Allow-Origin"] == "https://dash.example.com"
    assert "Access-Control-Allow-Origin" not in other
