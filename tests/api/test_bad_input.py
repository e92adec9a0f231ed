"""Every parameter of every endpoint is checked before any work: a bad value is a 400 JSON ``{"error": ...}``
naming the parameter, never a 500, never a reply in an odd offset.

The table below lists each endpoint's parameters by kind; each kind has its own bad values (out-of-range
years, far past, far future, malformed text, wrong types, huge numbers). A new parameter of a known kind is
one line here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from apps.api.params import MAX_OFFSET, parse_offsets
from apps.core.errors import ApplicationError
from tests.factories.market import UnderlyingFactory

pytestmark = pytest.mark.django_db

A = "/api/v1/analytics/NIFTY/"


@dataclass(frozen=True)
class Endpoint:
    path: str
    dates: tuple[str, ...] = ()
    """Date parameters (YYYY-MM-DD)."""
    times: tuple[str, ...] = ()
    """at= style ISO times."""
    bounds: tuple[str, ...] = ()
    """from/to that take a date or a time."""
    integers: tuple[str, ...] = ()
    base: dict[str, str] = field(default_factory=dict)
    """What the endpoint needs besides the parameter under test (a required field)."""


CHAIN = ("expiry",), ("at",)
ENDPOINTS = [
    Endpoint("/api/v1/market-status", times=("at",)),
    Endpoint("/api/v1/collection-runs", integers=("limit",)),
    Endpoint("/api/v1/errors", integers=("limit",)),
    Endpoint("/api/v1/option-chain/NIFTY", *CHAIN),
    *(Endpoint(A + name, *CHAIN) for name in ("summary", "greeks", "iv-smile", "iv-surface", "oi", "gex")),
    Endpoint(A + "price-toggle", *CHAIN, integers=("sessions",)),
    Endpoint(A + "overlay", *CHAIN, integers=("weekday", "sessions")),
    Endpoint(A + "history", dates=("expiry",), bounds=("from", "to"), base={"field": "pcr_oi"}),
    Endpoint(A + "iv-rank", times=("at",), integers=("sessions",)),
    Endpoint(A + "expiry-comparison", times=("at",), integers=("expiries",)),
    Endpoint(A + "vix-correlation", times=("at",), integers=("window", "sessions")),
    Endpoint(A + "volatility", bounds=("from", "to")),
    Endpoint("/api/v1/participants", dates=("date",)),
    Endpoint("/api/v1/participants/history", dates=("from", "to")),
    Endpoint("/api/v1/overview/indices", times=("at",)),
    Endpoint("/api/v1/overview/sectors", times=("at",)),
    Endpoint("/api/v1/overview/breadth", times=("at",)),
    Endpoint("/api/v1/exports/quotes.csv", dates=("date",)),
    Endpoint("/api/v1/exports/quotes.parquet", dates=("date",)),
    Endpoint("/api/v1/exports/chain.csv", dates=("date",), base={"symbol": "NIFTY"}),
    Endpoint("/api/v1/quality", dates=("date",)),
    Endpoint("/api/v1/alerts/events", integers=("limit", "rule")),
]

BAD_DATES = [
    "0001-01-01",  # year 1: a day's start in UTC would fall before the first representable moment
    "9999-12-31",  # a day's end in UTC would fall after the last one
    "1999-12-31",  # before the earliest accepted day
    "1900-01-01",  # the tz database answers this in local mean time, +05:53:28
    "2100-01-01",  # far future
    "2026-13-01",
    "2026-02-30",
    "19-01-2026",
    "today",
    "true",
    "2026-01-19\n",
    "2" * 5000,
]
BAD_TIMES = [
    "0001-01-01T00:00",
    "0001-01-01T00:00+05:30",
    "9999-12-31T23:59:59-05:00",
    "1900-01-01T10:00",
    "1999-12-31T23:59Z",
    "2100-01-01T09:15",
    "2026-01-19T25:00",
    "noon",
    "1768800000",
    "[2026]",
    "2026-01-19T10:15\x00",
    "2026-01-19T10:15" + "0" * 5000,
]
BAD_INTEGERS = ["1.5", "1e3", "ten", "-" * 3, "true", "9" * 5000, "99999999999999999999", "1\x00", "0x10"]


def _parameters() -> list[tuple[Endpoint, str, list[str]]]:
    """Each (endpoint, parameter) with the bad values of its kind."""
    cases = []
    for endpoint in ENDPOINTS:
        cases += [(endpoint, name, BAD_DATES) for name in endpoint.dates]
        cases += [(endpoint, name, BAD_TIMES) for name in endpoint.times]
        cases += [(endpoint, name, BAD_DATES + BAD_TIMES) for name in endpoint.bounds]
        cases += [(endpoint, name, BAD_INTEGERS) for name in endpoint.integers]
    return cases


@pytest.fixture
def staff_api(staff, client_for) -> APIClient:
    UnderlyingFactory()
    return client_for(staff)


@pytest.mark.parametrize(
    ("endpoint", "name", "values"), _parameters(), ids=[f"{e.path}:{n}" for e, n, _ in _parameters()]
)
def test_every_bad_value_of_a_parameter_is_a_400_naming_it(
    staff_api, endpoint: Endpoint, name: str, values: list[str]
) -> None:
    for value in values:
        response = staff_api.get(endpoint.path, {**endpoint.base, name: value})
        where = f"{endpoint.path}?{name}={value[:40]!r}"
        assert response.status_code == 400, f"{where}: {response.status_code} {response.content[:300]!r}"
        assert response["Content-Type"] == "application/json", where
        error = json.loads(response.content)["error"]
        assert name in error, f"{where}: the error does not name the parameter: {error}"
        assert len(error) < 400, f"{where}: the error echoes the whole value back"


def test_every_parameter_kind_is_exercised_on_every_endpoint_that_takes_one() -> None:
    """The table is not empty by accident: each kind has endpoints, and exports and analytics are in it."""
    kinds = {
        "dates": [e for e in ENDPOINTS if e.dates],
        "times": [e for e in ENDPOINTS if e.times],
        "bounds": [e for e in ENDPOINTS if e.bounds],
        "integers": [e for e in ENDPOINTS if e.integers],
    }
    assert {kind: len(found) for kind, found in kinds.items()} == {
        "dates": 16,
        "times": 16,
        "bounds": 2,
        "integers": 8,
    }


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/market-status", {"at": "2000-01-01T00:00"}),
        ("/api/v1/market-status", {"at": "2099-12-31T23:59"}),
        (A + "volatility", {"from": "2000-01-01", "to": "2099-12-31"}),
        ("/api/v1/participants/history", {"from": "2000-01-01", "to": "2099-12-31"}),
    ],
)
def test_the_edges_of_the_accepted_range_are_answered(staff_api, path: str, query: dict[str, str]) -> None:
    response = staff_api.get(path, query)

    assert response.status_code == 200, response.content[:300]
    assert b"+05:53" not in response.content


def test_market_status_at_the_earliest_day_is_answered_in_ist() -> None:
    response = APIClient().get("/api/v1/market-status", {"at": "2000-01-03T10:00"})

    assert response.status_code == 200
    assert response.json()["at"] == "2000-01-03T10:00:00+05:30"


@pytest.mark.parametrize(
    "value",
    ["-100000000..100000000", f"-{MAX_OFFSET + 1}..0", f"0..{MAX_OFFSET + 1}", "-999999999999999..0", "1,2,x"],
)
def test_offsets_are_bounded_before_a_range_is_built(staff_api, value: str) -> None:
    response = staff_api.get("/api/v1/option-chain/NIFTY", {"offsets": value})

    assert response.status_code == 400
    assert "offsets" in response.json()["error"]


def test_offsets_within_the_bounds_are_the_range_or_the_list() -> None:
    assert parse_offsets({"offsets": f"-{MAX_OFFSET}..{MAX_OFFSET}"}) == list(range(-MAX_OFFSET, MAX_OFFSET + 1))
    assert parse_offsets({"offsets": "2,-2,0,2"}) == [-2, 0, 2]
    with pytest.raises(ApplicationError, match="offsets"):
        parse_offsets({"offsets": ",".join(["1"] * 1000)})


def test_an_unknown_or_hostile_symbol_is_a_404_without_a_database_error(staff_api) -> None:
    for symbol in ("NIFTI", "NIF%00TY", "N" * 500, "%F0%9F%92%A5"):
        response = staff_api.get(f"/api/v1/option-chain/{symbol}")

        assert response.status_code == 404, (symbol, response.content[:200])
        assert "Unknown symbol" in response.json()["error"]
