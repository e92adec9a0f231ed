"""/api/v1/alerts: your own rules only (staff see all), 400 naming the field, firings with their deliveries."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from apps.alerts.models import AlertRule
from apps.market.clock import to_ist
from apps.market.models import Underlying
from tests.alerts.conftest import minute, snapshots_write

pytestmark = pytest.mark.django_db

RULE = {"symbol": "NIFTY", "metric": "pcr_oi", "condition": "crosses_above", "value": 1.2, "channels": ["websocket"]}


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_user_creates_reads_updates_and_deletes_their_rule(nifty: Underlying, trader: User) -> None:
    client = _client(trader)
    created = client.post("/api/v1/alerts/rules", RULE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["symbol"], body["bucket"], body["metric"], body["owner"], body["active"]) == (
        "NIFTY",
        "this_week",
        "pcr_oi",
        "trader",
        True,
    )
    pk = body["id"]
    assert client.get(f"/api/v1/alerts/rules/{pk}").json()["value"] == 1.2
    patched = client.patch(f"/api/v1/alerts/rules/{pk}", {"value": 1.3, "cooldown_minutes": 15}, format="json")
    assert patched.status_code == 200 and patched.json()["value"] == 1.3 and patched.json()["cooldown_minutes"] == 15
    assert [r["id"] for r in client.get("/api/v1/alerts/rules").json()] == [pk]
    assert client.delete(f"/api/v1/alerts/rules/{pk}").status_code == 204
    assert not AlertRule.objects.exists()


def test_users_see_only_their_own_rules_and_staff_see_all(nifty: Underlying, trader: User) -> None:
    other = User.objects.create_user("other")
    staff = User.objects.create_user("boss", is_staff=True)
    pk = _client(trader).post("/api/v1/alerts/rules", RULE, format="json").json()["id"]
    assert _client(other).get("/api/v1/alerts/rules").json() == []
    for method in ("get", "patch", "delete"):
        response = getattr(_client(other), method)(f"/api/v1/alerts/rules/{pk}", {"value": 2}, format="json")
        assert response.status_code == 404 and response.json() == {"error": f"No alert rule with id {pk}."}
    assert [r["id"] for r in _client(staff).get("/api/v1/alerts/rules").json()] == [pk]
    assert APIClient().get("/api/v1/alerts/rules").status_code in (401, 403)


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        ({"metric": "pcr"}, "metric", '"pcr" is not a valid choice.'),
        ({"symbol": "NIFTYX"}, "symbol", "unknown symbol 'NIFTYX'; known: NIFTY."),
        ({"value": None}, "value", "required for crosses_above."),
        ({"condition": "changes"}, "condition", "'changes' applies to labels (sentiment) only."),
        ({"metric": "sentiment"}, "condition", "sentiment is a label: only 'changes' applies."),
        ({"channels": ["sms"]}, "channels", '"sms" is not a valid choice.'),
        ({"channels": ["webhook"]}, "webhook_url", "required with the webhook channel."),
        ({"metric": "participant_net"}, "category", "'' is not one of Client, DII, FII, Pro."),
        ({"bucket": "someday"}, "bucket", "'someday' is not one of this_week, next_week, this_month, next_month."),
        ({"cooldown_minutes": -1}, "cooldown_minutes", "Ensure this value is greater than or equal to 0."),
        ({"colour": "red"}, "colour", "not a field of a rule"),
    ],
)
def test_a_bad_rule_gets_a_400_naming_the_field(
    nifty: Underlying, trader: User, change: dict[str, Any], field: str, why: str
) -> None:
    response = _client(trader).post("/api/v1/alerts/rules", {**RULE, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body["fields"] and why in str(body["fields"][field])
    assert not AlertRule.objects.exists()


def test_a_private_webhook_target_is_refused_unless_allowed(nifty: Underlying, trader: User, settings: Any) -> None:
    settings.OPTRADING_WEBHOOK_SECRET = "s"
    rule = {**RULE, "channels": ["webhook"], "webhook_url": "http://127.0.0.1:9999/hook"}
    refused = _client(trader).post("/api/v1/alerts/rules", rule, format="json")
    assert refused.status_code == 400 and "loopback, private or reserved" in refused.json()["fields"]["webhook_url"][0]
    settings.OPTRADING_WEBHOOK_ALLOW_PRIVATE = True
    assert _client(trader).post("/api/v1/alerts/rules", rule, format="json").status_code == 201


def test_events_list_firings_with_their_deliveries(
    nifty: Underlying, trader: User, django_assert_max_num_queries: Any, evaluate: Any
) -> None:
    pk = _client(trader).post("/api/v1/alerts/rules", RULE, format="json").json()["id"]
    for at in snapshots_write(nifty, [{"pcr_oi": v} for v in [1.1, 1.3, 1.1, 1.3, 1.1, 1.3]]):
        evaluate(nifty, at)
    with django_assert_max_num_queries(6):  # not one query per firing
        events = _client(trader).get("/api/v1/alerts/events", {"rule": pk}).json()
    assert [e["minute"] for e in events] == [to_ist(minute(i)).isoformat() for i in (5, 3, 1)]
    assert [e["value"] for e in events] == [1.3, 1.3, 1.3] and events[0]["minute"] == "2026-01-19T09:35:00+05:30"
    assert events[0]["deliveries"][0]["channel"] == "websocket" and events[0]["deliveries"][0]["status"] == "sent"
    assert _client(User.objects.create_user("other")).get("/api/v1/alerts/events").json() == []
    assert _client(trader).get("/api/v1/alerts/events", {"limit": "lots"}).status_code == 400
