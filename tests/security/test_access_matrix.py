"""Access tests generated from the URL configuration: every HTTP route (walked from ``get_resolver()``) and every
websocket route (``apps.live.routing``) has an expected kind below, and anonymous and non-staff users get that
kind's refusal. A route missing from the expectations fails the suite, so a new endpoint cannot escape."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from apps.alerts.choices import Condition, Metric
from apps.alerts.models import AlertRule, WebhookEndpoint
from apps.brokers.models import AuthEvent
from apps.live.routing import websocket_urlpatterns
from apps.monitoring.models import ErrorEvent
from optrading.routing import websocket_application
from tests.factories.market import UnderlyingFactory
from tests.live.communicator import WebsocketCommunicator
from tests.security.routes import Route, http_routes

PUBLIC = "public: anyone (login and password pages, health, market status)"
API = "API: 401 JSON for anonymous callers"
API_STAFF = "API, staff only: 401 JSON for anonymous, 403 JSON for non-staff"
PAGE = "page: anonymous visitors are sent to the login page"
BROKER_STAFF = "broker login: anonymous and non-staff visitors are sent to the login page"
METRICS = "metrics: bearer token (production)"
ADMIN = "admin: anonymous and non-staff visitors are sent to the admin's login page"
API_NOT_FOUND = "unknown API path: a JSON 404 for anyone, saying nothing of what exists"

ANALYTICS = (
    "summary",
    "greeks",
    "iv-smile",
    "iv-surface",
    "oi",
    "gex",
    "price-toggle",
    "overlay",
    "history",
    "iv-rank",
    "expiry-comparison",
    "vix-correlation",
    "volatility",
    "oi-flow",
    "oi-cumulative",
    "term-structure",
    "surface",
    "skew-history",
    "exposures",
    "futures",
)
API_ROUTES = {
    "api/v1/quality",
    "api/v1/alerts/rules",
    "api/v1/alerts/rules/<int:pk>",
    "api/v1/alerts/events",
    "api/v1/alerts/webhooks",
    "api/v1/alerts/webhooks/<int:pk>/enable",
    "api/v1/alerts/profile",
    "api/v1/auth/status",
    "api/v1/schema/",
    "api/v1/underlyings",
    "api/v1/collection-runs",
    "api/v1/errors",
    "api/v1/option-chain/<str:symbol>",
    "api/v1/participants",
    "api/v1/participants/history",
    "api/v1/overview/indices",
    "api/v1/overview/sectors",
    "api/v1/overview/breadth",
    "api/v1/exports/quotes.csv",
    "api/v1/exports/quotes.parquet",
    "api/v1/exports/chain.csv",
    "api/v1/strategies",
    "api/v1/strategies/<int:pk>",
    "api/v1/strategies/<int:pk>/pnl",
    "api/v1/strategies/payoff",
    "api/v1/strategies/templates",
    *(f"api/v1/analytics/<str:symbol>/{name}" for name in ANALYTICS),
}
EXPECTED: dict[str, str] = {
    **dict.fromkeys(API_ROUTES, API),
    "api/v1/errors/<int:pk>/resolve": API_STAFF,
    "api/v1/auth/logout": API_STAFF,
    "api/v1/docs/": PAGE,
    **dict.fromkeys(["api/v1/health", "api/v1/market-status"], PUBLIC),
    **dict.fromkeys(
        [
            "accounts/login/",
            "accounts/logout/",
            "accounts/password_change/",
            "accounts/password_change/done/",
            "accounts/password_reset/",
            "accounts/password_reset/done/",
            "accounts/reset/<uidb64>/<token>/",
            "accounts/reset/done/",
        ],
        PUBLIC,
    ),
    **dict.fromkeys(
        [
            "",
            "charts/",
            "charts/data",
            "oi-flow/",
            "volatility/",
            "futures/",
            "strategy/",
            "participants/",
            "overview/",
            "system/",
            "alerts/",
            "alerts/webhooks/<int:pk>/enable",
            "broker/",
        ],
        PAGE,
    ),
    **dict.fromkeys(["broker/kite/login", "broker/kite/callback"], BROKER_STAFF),
    "metrics": METRICS,
    "api/v1/^.*$": API_NOT_FOUND,
}
ADMIN_PUBLIC = {"admin/login/", "admin/logout/"}
"""The admin's own login and logout; every other admin route is ADMIN (listed by prefix: the admin adds
routes per registered model, all behind ``admin_view``, and each is requested below)."""
WEBSOCKETS = {"ws/live-data/", "ws/analytics/", "ws/system-health/", "ws/alerts/"}
ROUTES = http_routes()


def _kind(route: Route) -> str | None:
    if route.pattern.startswith("admin/") or route.pattern.startswith("^admin/"):
        return PUBLIC if route.pattern in ADMIN_PUBLIC else ADMIN
    return EXPECTED.get(route.pattern)


def test_every_route_has_an_expectation_and_every_expectation_a_route() -> None:
    missing = [r.pattern for r in ROUTES if _kind(r) is None]
    assert not missing, f"routes without an access expectation (add them to EXPECTED): {missing}"
    stale = set(EXPECTED) - {r.pattern for r in ROUTES}
    assert not stale, f"expectations for routes that no longer exist: {sorted(stale)}"
    assert {str(p.pattern) for p in websocket_urlpatterns} == WEBSOCKETS
    assert sum(1 for r in ROUTES if _kind(r) == ADMIN) > 30  # the admin's routes were walked too


@pytest.fixture
def member() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("viewer", password="pw-not-used"))
    return client


def _is_login_redirect(response, login: str, path: str) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code != 302:
        return False
    location = urlsplit(response["Location"])
    return location.path == login and path.split("?")[0] in response["Location"].replace("%2F", "/")


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if _kind(r) in {API, API_STAFF}], ids=lambda r: r.pattern)
def test_the_api_refuses_anonymous_callers_with_401_json(route: Route) -> None:
    for method in ("get", "post", "delete"):
        response = getattr(Client(), method)(route.sample_path, HTTP_ACCEPT="application/json")
        assert response.status_code == 401, (method, route.pattern)
        assert set(json.loads(response.content)) == {"error"}


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if _kind(r) == API_STAFF], ids=lambda r: r.pattern)
def test_staff_only_api_actions_are_refused_to_others_with_403_json(route: Route, member: Client) -> None:
    ErrorEvent.objects.create(
        component="broker", code="x", message="m", first_seen="2026-01-20T04:00Z", last_seen="2026-01-20T04:00Z"
    )
    path = route.sample_path.replace("/errors/1/", f"/errors/{ErrorEvent.objects.get().pk}/")
    response = member.post(path)
    assert response.status_code == 403, route.pattern
    assert set(response.json()) == {"error"}
    assert not ErrorEvent.objects.get().resolved


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if _kind(r) in {PAGE, BROKER_STAFF}], ids=lambda r: r.pattern)
def test_pages_send_anonymous_visitors_to_the_login_page(route: Route) -> None:
    assert _is_login_redirect(Client().get(route.sample_path), "/accounts/login/", route.sample_path)
    posted = Client().post(route.sample_path)  # a page that takes no POST may say so (405), nothing more
    assert posted.status_code == 405 or _is_login_redirect(posted, "/accounts/login/", route.sample_path)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint", "/api/v1/alerts/rules/-1", "/api/v1/"])
def test_unknown_api_paths_are_a_json_404_for_anonymous_and_members_alike(path: str, member: Client) -> None:
    for client in (Client(), member):
        for method in ("get", "post", "delete"):
            response = getattr(client, method)(path, HTTP_ACCEPT="application/json")
            assert response.status_code == 404, (method, path)
            assert set(json.loads(response.content)) == {"error"}


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if _kind(r) == BROKER_STAFF], ids=lambda r: r.pattern)
def test_the_broker_login_is_refused_to_non_staff(route: Route, member: Client) -> None:
    response = member.get(route.sample_path + "?status=success&request_token=abcdef123&state=x")
    assert _is_login_redirect(response, "/accounts/login/", route.sample_path)
    assert not AuthEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if _kind(r) == ADMIN], ids=lambda r: r.pattern)
def test_admin_pages_send_anonymous_and_non_staff_visitors_to_the_admin_login(route: Route, member: Client) -> None:
    for client in (Client(), member):
        response = client.get(route.sample_path)
        assert _is_login_redirect(response, "/admin/login/", ""), route.pattern


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if _kind(r) == METRICS], ids=lambda r: r.pattern)
def test_metrics_with_a_token_refuse_anonymous_and_members(route: Route, member: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OPTRADING_METRICS_TOKEN = "t" * 40
    assert Client().get(route.sample_path).status_code == 401
    assert member.get(route.sample_path).status_code == 401


@pytest.mark.django_db
def test_a_user_cannot_read_edit_or_delete_another_users_alert_rule_or_webhook(member: Client) -> None:
    owner = User.objects.create_user("owner")
    rule = AlertRule.objects.create(
        owner=owner,
        underlying=UnderlyingFactory(),
        metric=Metric.PCR_OI,
        condition=Condition.ABOVE,
        value=1.2,
        bucket="",
        channels=[],
    )
    webhook = WebhookEndpoint.objects.create(owner=owner, url="https://hooks.example.com/x", disabled_at=timezone.now())
    path = f"/api/v1/alerts/rules/{rule.pk}"
    assert member.get(path).status_code == 404
    assert member.patch(path, {"value": 9.0}, content_type="application/json").status_code == 404
    assert member.delete(path).status_code == 404
    assert member.post(f"/api/v1/alerts/webhooks/{webhook.pk}/enable").status_code == 404
    assert member.post(f"/alerts/webhooks/{webhook.pk}/enable").status_code == 404
    rule.refresh_from_db()
    webhook.refresh_from_db()
    assert rule.value == 1.2 and rule.active and webhook.disabled_at is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("communicators_disconnected")
@pytest.mark.parametrize("path", sorted(WEBSOCKETS))
async def test_websockets_close_anonymous_connections_with_4401(path: str) -> None:
    communicator = WebsocketCommunicator(
        websocket_application, f"/{path}?symbol=NIFTY", headers=[(b"origin", b"http://testserver")]
    )
    connected, _ = await communicator.connect()
    assert connected  # accepted first, so that the browser sees the close code
    error = await communicator.receive_json_from()
    assert error["code"] == 4401
    assert (await communicator.receive_output())["code"] == 4401
