"""/metrics with a bearer token or an address allow-list (production requires one of them)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-" + "x" * 30


def test_with_a_token_only_the_bearer_reads_the_metrics(settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPTRADING_METRICS_TOKEN = TOKEN
    settings.OPTRADING_METRICS_ALLOW_IPS = []
    anonymous = Client().get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert anonymous.json() == {"error": "Send the metrics token as Authorization: Bearer <token>."}
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    served = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert served.status_code == 200
    assert b"optrading_collection_runs" in served.content


def test_with_an_allow_list_only_those_addresses_read_it(settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPTRADING_METRICS_TOKEN = ""
    settings.OPTRADING_METRICS_ALLOW_IPS = ["10.0.0.0/8", "192.168.1.7"]
    assert Client(REMOTE_ADDR="10.20.30.40").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.168.1.7").get("/metrics").status_code == 200
    refused = Client(REMOTE_ADDR="192.168.1.8").get("/metrics")
    assert refused.status_code == 403
    assert refused.json() == {"error": "This address may not read the metrics."}


def test_allow_list_and_token_together_accept_either(settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPTRADING_METRICS_TOKEN = TOKEN
    settings.OPTRADING_METRICS_ALLOW_IPS = ["127.0.0.1"]
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.1.1").get("/metrics").status_code == 401
    assert Client(REMOTE_ADDR="10.1.1.1").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
