"""Every reply of the API matches its OpenAPI schema, so the documented shapes cannot drift from the real ones.

The schema is drf-spectacular's (what /api/v1/schema/ serves). Every operation in it is called on a realistic
market day (tests/api/conftest.py ``market_day``) for each status code it documents, and each reply is checked
by openapi-core against the documented response: status, content type and body. Objects are closed for the
check (an undocumented key fails) and every 4xx body is ``{"error": ...}``. A new endpoint, or a new documented
status, fails the coverage test until a case here exercises it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from rest_framework.test import APIClient

from apps.alerts.models import AlertEvent, AlertRule, WebhookEndpoint
from apps.archive.models import ArchivedDay
from apps.brokers.services import kite_session_create
from apps.core.queues import CeleryQueue
from apps.health.heartbeats import BEAT, WATCHDOG, heartbeat_write, worker_heartbeat_name
from apps.health.models import Heartbeat
from apps.market.expiries import weekly_expiries
from apps.market.models import Underlying
from apps.monitoring.services import error_record
from apps.quality.services.eod import eod_verify
from apps.strategies.models import Strategy
from tests.api.conftest import PAST_SESSIONS, TODAY
from tests.kite_double import KiteDouble

pytestmark = pytest.mark.django_db

ANALYTICS = "/api/v1/analytics/{symbol}/"
ARCHIVED_DAY = "2026-04-21"
"""A day before the market day's sessions whose partitions are archived (operations_data): the 410s."""


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    """The operation's path as the schema writes it, e.g. /api/v1/option-chain/{symbol}."""
    status: int
    query: dict[str, str] = field(default_factory=dict)
    symbol: str = "NIFTY"
    error_id: str = ""
    """The {id} of the path: by default the market day's open error, the trader's rule or webhook."""
    role: str = "user"
    """anon, user or staff."""
    body: dict[str, Any] | None = None
    """The JSON body of a POST or PATCH."""
    heartbeats: bool = True
    """Whether the worker, beat and watchdog heartbeats are fresh when the case runs (health's 200 vs 503)."""


def _analytics(name: str, ok: dict[str, str], bad: dict[str, str], missing: dict[str, str]) -> list[Case]:
    """A metric's 200 (with ``ok``), 400 (``bad``) and 404 (``missing``, or an unknown symbol when empty)."""
    path = ANALYTICS + name
    not_found = Case("GET", path, 404, missing) if missing else Case("GET", path, 404, symbol="NIFTI")
    return [Case("GET", path, 200, ok), Case("GET", path, 400, bad), not_found]


ANY_CHAIN = {"bucket": "this_week"}
AT_THE_CLOSE = {"expiry": "2026-03-30", "at": "2026-03-27T15:30"}  # NSE's bhavcopy: settlement rows, no quotes
BEFORE_ANY = {"at": "2020-01-02T10:00"}
BEFORE_DAY = {"date": "2020-01-02"}
DAY = TODAY.isoformat()

RULE = {"symbol": "NIFTY", "metric": "pcr_oi", "condition": "crosses_above", "value": 1.2, "channels": ["websocket"]}
RULES = "/api/v1/alerts/rules"
MISSING = "999999"
STRATEGIES = "/api/v1/strategies"
NEAR = weekly_expiries("NIFTY", TODAY, 1)[0].isoformat()
PAYOFF = {
    "symbol": "NIFTY",
    "legs": [{"expiry": NEAR, "strike": 24000, "option_type": "CE", "side": "buy", "lots": 1, "price": 100.0}],
}
SAVED = {"name": "Long call", **PAYOFF}

CASES: list[Case] = [
    Case("GET", "/api/v1/health", 200, role="anon"),
    Case("GET", "/api/v1/health", 503, role="anon", heartbeats=False),
    Case("GET", "/api/v1/health", 200, {"components": "database,redis"}, role="anon", heartbeats=False),
    Case("GET", "/api/v1/health", 400, {"components": "database,workers"}, role="anon"),
    Case("GET", "/api/v1/market-status", 200, {"at": f"{DAY}T10:00"}, role="anon"),
    Case("GET", "/api/v1/market-status", 400, {"at": "1900-01-01T10:00"}, role="anon"),  # before the accepted range
    Case("GET", "/api/v1/market-status", 400, {"exchange": "LSE"}, role="anon"),
    Case("GET", "/api/v1/underlyings", 200),
    Case("GET", "/api/v1/collection-runs", 200, {"limit": "5"}),
    Case("GET", "/api/v1/collection-runs", 400, {"limit": "0"}),
    Case("GET", "/api/v1/errors", 200, {"state": "open"}),
    Case("GET", "/api/v1/errors", 400, {"state": "closed"}),
    Case("POST", "/api/v1/errors/{id}/resolve", 200, role="staff"),
    Case("POST", "/api/v1/errors/{id}/resolve", 403),
    Case("POST", "/api/v1/errors/{id}/resolve", 404, error_id="999999", role="staff"),
    Case("GET", "/api/v1/option-chain/{symbol}", 200, ANY_CHAIN),
    Case("GET", "/api/v1/option-chain/{symbol}", 200, AT_THE_CLOSE),
    Case("GET", "/api/v1/option-chain/{symbol}", 200, {"bucket": "this_month", "price": "average"}, "BANKNIFTY"),
    Case("GET", "/api/v1/option-chain/{symbol}", 400, {"offsets": "2..-2"}),
    Case("GET", "/api/v1/option-chain/{symbol}", 404, symbol="NIFTI"),
    Case("GET", "/api/v1/option-chain/{symbol}", 410, {"at": f"{ARCHIVED_DAY}T12:00:00+05:30"}),
    *(
        case
        for name in ("summary", "greeks", "iv-smile", "iv-surface", "oi", "gex")
        for case in (
            *_analytics(name, ANY_CHAIN, {"bucket": "someday"}, BEFORE_ANY),
            Case("GET", ANALYTICS + name, 200, AT_THE_CLOSE),
        )
    ),
    *_analytics("price-toggle", {**ANY_CHAIN, "mode": "average", "sessions": "5"}, {"mode": "close"}, BEFORE_ANY),
    *_analytics("overlay", {"sessions": "3"}, {"weekday": "9"}, BEFORE_ANY),
    Case("GET", ANALYTICS + "overlay", 200, {"align": "dte", "bucket": "this_month"}, "BANKNIFTY"),
    *_analytics(
        "history",
        {"field": "max_pain", "from": "2026-03-27", "to": DAY},
        {"field": "vwap"},
        {"field": "pcr_oi", "from": "2020-01-01", "to": "2020-01-31"},
    ),
    Case(
        "GET",
        ANALYTICS + "history",
        200,
        {"field": "atm_iv", "bucket": "next_week", "from": "2026-04-01", "daily": "1"},
    ),
    *_analytics("iv-rank", {"sessions": "20"}, {"sessions": "1"}, {}),
    *_analytics("expiry-comparison", {"field": "max_pain", "expiries": "3"}, {"field": "gex"}, BEFORE_ANY),
    *_analytics("vix-correlation", {"window": "3"}, {"window": "2"}, BEFORE_ANY),
    *_analytics("volatility", {"from": PAST_SESSIONS[0].isoformat(), "to": DAY}, {"from": DAY, "to": "2026-01-01"}, {}),
    # The bhavcopy's close: our VIX is a number there (the simulated ATM +/- 2 minutes above carry a reason).
    Case("GET", ANALYTICS + "volatility", 200, {"from": "2026-03-27", "to": "2026-03-27T23:59"}),
    Case("GET", ANALYTICS + "history", 410, {"field": "pcr_oi", "from": ARCHIVED_DAY, "to": ARCHIVED_DAY}),
    Case("GET", "/api/v1/participants", 200),
    Case("GET", "/api/v1/participants", 200, {"date": "2026-07-28"}),
    Case("GET", "/api/v1/participants", 200, {"kind": "volume"}),
    Case("GET", "/api/v1/participants", 400, {"kind": "futures"}),
    Case("GET", "/api/v1/participants", 404, {"date": "2020-01-01"}),
    Case("GET", "/api/v1/participants/history", 200, {"from": "2015-01-01", "to": "2026-12-31"}),
    Case("GET", "/api/v1/participants/history", 400, {"from": "2026-12-31", "to": "2015-01-01"}),
    Case("GET", "/api/v1/overview/indices", 200),
    Case("GET", "/api/v1/overview/indices", 400, {"at": "noon"}),
    Case("GET", "/api/v1/overview/sectors", 200),
    Case("GET", "/api/v1/overview/sectors", 400, {"at": "noon"}),
    Case("GET", "/api/v1/overview/breadth", 200),
    Case("GET", "/api/v1/overview/breadth", 400, {"at": "noon"}),
    Case("GET", "/api/v1/overview/breadth", 404, BEFORE_ANY),
    Case("GET", "/api/v1/exports/quotes.csv", 200, {"date": DAY}),
    Case("GET", "/api/v1/exports/quotes.csv", 400),
    Case("GET", "/api/v1/exports/quotes.parquet", 200, {"date": DAY}),
    Case("GET", "/api/v1/exports/quotes.parquet", 400, {"date": "29-04-2026"}),
    Case("GET", "/api/v1/exports/chain.csv", 200, {"date": DAY, "symbol": "BANKNIFTY"}),
    Case("GET", "/api/v1/exports/chain.csv", 400, {"date": DAY}),
    Case("GET", "/api/v1/exports/chain.csv", 404, {"date": DAY, "symbol": "NIFTI"}),
    Case("GET", "/api/v1/exports/quotes.csv", 410, {"date": ARCHIVED_DAY}),
    Case("GET", "/api/v1/exports/quotes.parquet", 410, {"date": ARCHIVED_DAY}),
    Case("GET", "/api/v1/exports/chain.csv", 410, {"date": ARCHIVED_DAY, "symbol": "NIFTY"}),
    Case("GET", "/api/v1/auth/status", 200),
    Case("POST", "/api/v1/auth/logout", 200, role="staff"),
    Case("POST", "/api/v1/auth/logout", 403),
    Case("POST", "/api/v1/auth/logout", 409, role="staff"),  # the session is gone after the 200 above
    Case("GET", RULES, 200),
    Case("POST", RULES, 201, body=RULE),
    Case("POST", RULES, 400, body={**RULE, "metric": "vwap"}),
    Case("GET", RULES + "/{id}", 200),
    Case("GET", RULES + "/{id}", 404, error_id=MISSING),
    Case("PATCH", RULES + "/{id}", 200, body={"value": 1.3, "cooldown_minutes": 15}),
    Case("PATCH", RULES + "/{id}", 400, body={"condition": "sideways"}),
    Case("PATCH", RULES + "/{id}", 404, error_id=MISSING, body={"value": 1.3}),
    Case("GET", "/api/v1/alerts/events", 200),
    Case("GET", "/api/v1/alerts/events", 400, {"limit": "lots"}),
    Case("DELETE", RULES + "/{id}", 204),
    Case("DELETE", RULES + "/{id}", 404, error_id=MISSING),
    Case("GET", "/api/v1/alerts/webhooks", 200),
    Case("POST", "/api/v1/alerts/webhooks/{id}/enable", 200),
    Case("POST", "/api/v1/alerts/webhooks/{id}/enable", 404, error_id=MISSING),
    Case("GET", "/api/v1/alerts/profile", 200),
    Case("PATCH", "/api/v1/alerts/profile", 200, body={"telegram_chat_id": "-1001234567"}),
    Case("PATCH", "/api/v1/alerts/profile", 400, body={"telegram_chat_id": "not a chat"}),
    Case("GET", "/api/v1/quality", 200, {"date": DAY}),
    Case("GET", "/api/v1/quality", 400, {"date": "someday"}),
    Case("GET", "/api/v1/quality", 404, {"date": "2020-01-02"}),
    *_analytics("oi-flow", {"date": DAY, "interval": "5", "field": "doi_interval"}, {"interval": "7"}, BEFORE_DAY),
    *_analytics("oi-cumulative", {"at": f"{DAY}T15:00"}, {"expiries": "soon"}, BEFORE_ANY),
    *_analytics("term-structure", {}, {"at": "noon"}, BEFORE_ANY),
    *_analytics("surface", {"at": f"{DAY}T15:00"}, {"at": "noon"}, BEFORE_ANY),
    *_analytics("skew-history", {"date": DAY}, {"date": DAY, "from": DAY}, {}),
    Case("GET", ANALYTICS + "skew-history", 200, {"from": PAST_SESSIONS[0].isoformat(), "to": DAY}),
    *_analytics("exposures", ANY_CHAIN, {"bucket": "someday"}, BEFORE_ANY),
    *_analytics("futures", {"date": DAY}, {"date": "today"}, BEFORE_DAY),
    # Strategies (apps.strategies): the payoff on the market day's chain, templates, saved strategies.
    Case("GET", "/api/v1/option-chain/{symbol}", 200, {**ANY_CHAIN, "greeks": "all"}),
    Case("POST", "/api/v1/strategies/payoff", 200, body=PAYOFF),
    Case("POST", "/api/v1/strategies/payoff", 400, body={**PAYOFF, "legs": []}),
    Case("GET", "/api/v1/strategies/templates", 200),
    Case("GET", STRATEGIES, 200),
    Case("POST", STRATEGIES, 201, body=SAVED),
    Case("POST", STRATEGIES, 400, body={**SAVED, "symbol": "NIFTI"}),
    Case("GET", STRATEGIES + "/{id}", 200),
    Case("GET", STRATEGIES + "/{id}", 404, error_id=MISSING),
    Case("GET", STRATEGIES + "/{id}/pnl", 200, {"date": DAY}),
    Case("GET", STRATEGIES + "/{id}/pnl", 400, {"date": "today"}),
    Case("GET", STRATEGIES + "/{id}/pnl", 404, {"date": DAY}, error_id=MISSING),
    Case("PATCH", STRATEGIES + "/{id}", 200, body={"name": "Renamed"}),
    Case("PATCH", STRATEGIES + "/{id}", 400, body={"legs": []}),
    Case("PATCH", STRATEGIES + "/{id}", 404, body={"name": "Renamed"}, error_id=MISSING),
    Case("DELETE", STRATEGIES + "/{id}", 204),
    Case("DELETE", STRATEGIES + "/{id}", 404, error_id=MISSING),
]


def _document() -> dict[str, Any]:
    """The OpenAPI document as /api/v1/schema/ serves it, as plain JSON data."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def _closed(node: Any) -> Any:
    """The schema with every object that lists its properties closed to others, so an undocumented key fails."""
    if isinstance(node, dict):
        closed = {key: _closed(value) for key, value in node.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


def _documented(document: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {
        (method.upper(), path, int(status))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }


def _with_refusals(document: dict[str, Any]) -> list[Case]:
    """CASES plus, for every operation that documents one, a request without credentials (401)."""
    refused = [Case(method, path, 401, role="anon") for method, path, status in _documented(document) if status == 401]
    return [*CASES, *refused]


def test_it_exercises_every_documented_reply_of_every_operation() -> None:
    document = _document()
    exercised = {(case.method, case.path, case.status) for case in _with_refusals(document)}

    assert sorted(_documented(document) - exercised) == [], "documented but never exercised here"
    assert sorted(exercised - _documented(document)) == [], "exercised but not documented"


@pytest.fixture
def kite_session(settings) -> Any:
    """A logged-in Kite session against the loopback Kite double, for the logout."""
    double = KiteDouble().start()
    settings.KITE_API_KEY, settings.KITE_API_SECRET = double.api_key, double.api_secret
    settings.KITE_API_ROOT = double.root
    kite_session_create(request_token=double.issue_request_token(), request_id="conformance")
    yield double
    double.stop()


@pytest.fixture
def operations_data(market_day: dict, user: Any) -> dict[str, str]:
    """What the alerts, health and quality endpoints report on: the trader's rule (fired once), a webhook
    target of theirs (disabled after failures), and the stored quality report of the market day."""
    nifty = Underlying.objects.get(symbol="NIFTY")
    rule = AlertRule.objects.create(
        owner=user, underlying=nifty, metric="pcr_oi", condition="crosses_above", value=1.2, channels=["websocket"]
    )
    AlertEvent.objects.create(
        rule=rule,
        minute=market_day["minutes"][-1],
        value=1.25,
        previous_value=1.1,
        message="NIFTY PCR 1.25",
        fired_at=timezone.now(),
    )
    webhook = WebhookEndpoint.objects.create(
        owner=user, url="https://hooks.example.com/optrading", consecutive_failures=10, disabled_at=timezone.now()
    )
    eod_verify(day=TODAY, record=True)
    ArchivedDay.objects.create(day=date.fromisoformat(ARCHIVED_DAY), archived_at=timezone.now(), directory="var/x")
    strategy = Strategy.objects.create(owner=user, name="Saved", underlying=nifty, legs=PAYOFF["legs"])
    return {"rule": str(rule.pk), "webhook": str(webhook.pk), "strategy": str(strategy.pk)}


def _heartbeats(*, fresh: bool) -> None:
    """Every heartbeat health looks for, written now (fresh) or removed (the worker and beat never beat)."""
    if not fresh:
        Heartbeat.objects.all().delete()
        return
    now = timezone.now()
    for queue in CeleryQueue:
        heartbeat_write(name=worker_heartbeat_name(queue.value), now=now, interval_seconds=30)
    for name in (BEAT, WATCHDOG):
        heartbeat_write(name=name, now=now, interval_seconds=30)


def _text(body: bytes, **parameters: str) -> str:
    """CSV replies are text: check them as the strings the schema documents."""
    return body.decode(parameters.get("charset", "utf-8"))


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _validator(document: dict[str, Any]) -> OpenAPI:
    return OpenAPI.from_dict(_closed(document), config=Config(extra_media_type_deserializers={"text/csv": _text}))


def _check(openapi: OpenAPI, method: str, path: str, query: dict[str, str], response: Any, body: bytes) -> None:
    """Raises when the reply does not match the operation's documented response for its status."""
    openapi.validate_response(
        MockRequest("http://testserver", method, path, args=query),
        MockResponse(body, status_code=response.status_code, content_type=response["Content-Type"]),
    )


def _path_id(case: Case, *, error_id: str, data: dict[str, str]) -> str:
    if case.error_id:
        return case.error_id
    if case.path.startswith(RULES):
        return data["rule"]
    if case.path.startswith("/api/v1/alerts/webhooks"):
        return data["webhook"]
    if case.path.startswith(STRATEGIES):
        return data["strategy"]
    return error_id


def test_every_reply_matches_its_documented_response(
    market_day, operations_data, kite_session, user, staff, client_for, settings
) -> None:
    # The cases change the heartbeats from one to the next (health's 200 and 503): no answer of the case before.
    settings.OPTRADING_HEALTH_CACHE_SECONDS = 0
    document = _document()
    openapi = _validator(document)
    clients = {"anon": APIClient(), "user": client_for(user), "staff": client_for(staff)}
    error_id = str(market_day["error"].pk)
    failures = []
    for case in _with_refusals(document):
        _heartbeats(fresh=case.heartbeats)
        path_id = _path_id(case, error_id=error_id, data=operations_data)
        path = case.path.replace("{symbol}", case.symbol).replace("{id}", path_id)
        call = getattr(clients[case.role], case.method.lower())
        if case.method == "GET":
            response = call(path, case.query)
        elif case.body is not None:
            response = call(path, case.body, format="json")
        else:
            response = call(path)
        body = _body(response)
        where = f"{case.method} {path} {case.query} as {case.role}"
        if response.status_code != case.status:
            failures.append(f"{where}: {response.status_code}, expected {case.status}: {body[:300]!r}")
            continue
        if case.status == 204:
            assert body == b"", where
            continue
        content_type = response["Content-Type"]
        if 200 <= case.status < 300 and content_type == "application/json":
            assert json.loads(body), f"{where}: an empty reply proves nothing"
        if 400 <= case.status < 500:
            assert isinstance(json.loads(body).get("error"), str), where
        try:
            _check(openapi, case.method, path, case.query, response, body)
        except Exception as exc:  # the validator's errors carry the mismatch in their causes
            failures.append(f"{where}: {exc!r} {[repr(e) for e in getattr(exc.__cause__, 'schema_errors', [])][:5]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("drift", "change"),
    [
        ("a count sent as a float", lambda reply: reply.update(count=float(reply["count"]))),
        ("an undocumented key", lambda reply: reply.update(surprise=1)),
        ("a missing key", lambda reply: reply.pop("suggestion")),
        ("a local-mean-time offset", lambda reply: reply.update(first_seen="1900-01-01T10:00:00+05:53:28")),
    ],
)
def test_the_check_rejects_a_reply_that_drifted_from_its_schema(api, drift, change) -> None:
    error_record(component="collection", code="quote_failed", message="Kite answered 503.")
    openapi = _validator(_document())
    response = api.get("/api/v1/errors")
    _check(openapi, "GET", "/api/v1/errors", {}, response, response.content)  # as sent: it matches

    drifted = response.json()
    change(drifted[0])

    with pytest.raises(Exception, match="InvalidData"):
        _check(openapi, "GET", "/api/v1/errors", {}, response, json.dumps(drifted).encode())
