"""A plain JSON GET of the option chain, market status or health skips DRF (apps/core/fast_api.py): it must answer
exactly what DRF's path answers. ``?format=json`` sends the same request through DRF, for the comparison."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.core.throttling import RateThrottle

pytestmark = pytest.mark.django_db
CHAIN = "/api/v1/option-chain/NIFTY"
HEADERS = ("Content-Type", "Allow", "Vary", "X-Frame-Options", "Content-Security-Policy")


def _same(fast, drf) -> None:
    assert fast.status_code == drf.status_code
    for name in HEADERS:
        assert fast.get(name) == drf.get(name), name


def test_the_chain_answers_the_same_on_both_paths(api, archived_chain) -> None:
    for query in ({}, {"offsets": "-1..1", "price": "average"}, {"at": "2026-01-19T09:30:40", "greeks": "all"}):
        drf = api.get(CHAIN, {**query, "format": "json"})
        fast = api.get(CHAIN, query)
        _same(fast, drf)
        assert fast.status_code == 200
        assert fast.content == drf.content
        assert api.get(CHAIN, query).content == fast.content  # and again, from the cache


def test_health_and_market_status_answer_the_same_on_both_paths(anon: APIClient) -> None:
    health_fast, health_drf = anon.get("/api/v1/health"), anon.get("/api/v1/health", {"format": "json"})
    _same(health_fast, health_drf)
    assert health_fast.content == health_drf.content  # the same answer of the last two seconds
    ready = anon.get("/api/v1/health", {"components": "database,redis"})
    assert [c["name"] for c in ready.json()["components"]] == ["database", "redis"]

    status_fast, status_drf = anon.get("/api/v1/market-status"), anon.get("/api/v1/market-status", {"format": "json"})
    _same(status_fast, status_drf)
    fast, drf = status_fast.json(), status_drf.json()
    assert fast.keys() == drf.keys() and fast.pop("at") <= drf.pop("at")
    assert fast == drf or fast["state"] != drf["state"]  # unless the session opened or closed in between


def test_what_the_fast_path_cannot_tell_goes_through_drf(archived_chain, user) -> None:
    assert APIClient().get(CHAIN).json() == {"error": "Authentication credentials were not provided."}
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token opt_not-a-key")
    assert bad.get(CHAIN).status_code == 401 and bad.get(CHAIN).json() == {"error": "Invalid token."}
    session = Client()
    session.force_login(user)
    assert session.get(CHAIN).status_code == 200
    page = session.get(CHAIN, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")  # DRF's browsable page


def test_the_fast_path_throttles_as_drf_does(monkeypatch, api, archived_chain) -> None:
    monkeypatch.setattr(RateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    statuses = [api.get(CHAIN).status_code for _ in range(3)]
    refused = api.get(CHAIN)
    drf = api.get(CHAIN, {"format": "json"})

    assert statuses == [200, 200, 429]
    _same(refused, drf)
    assert refused.json() == drf.json() and "throttled" in refused.json()["error"]
    assert int(refused["Retry-After"]) > 0 and refused["Retry-After"] == drf["Retry-After"]


def test_a_short_lived_answer_is_computed_once_while_others_get_the_one_just_expired() -> None:
    from apps.core.fast_api import Memo

    seconds = [60.0]
    memo: Memo[str] = Memo(lambda: seconds[0])
    assert memo.get("k", lambda: "first") == "first"
    assert memo.get("k", lambda: "not computed: still fresh") == "first"
    seconds[0] = 0.0  # kept no longer: the next get computes
    memo.clear()
    assert memo.get("k", lambda: "second") == "second"
    seconds[0] = 0.001
    memo.get("k", lambda: "third")
    time.sleep(0.002)  # expired; while it is computed again, a request meanwhile gets the expired one
    seen = []
    assert memo.get("k", lambda: seen.append(memo.get("k", lambda: "computed twice")) or "fourth") == "fourth"
    assert seen == ["third"]
