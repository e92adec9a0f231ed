from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
URL = "/api/v1/market-status"


def test_it_is_public_and_reports_an_open_market_with_its_session(anon) -> None:
    response = anon.get(URL, {"at": "2026-01-19T10:00"})

    assert response.status_code == 200
    assert response.json() == {
        "at": "2026-01-19T10:00:00+05:30",
        "exchange": "NSE",
        "state": "open",
        "is_open": True,
        "trading_day": True,
        "session_open": "2026-01-19T09:15:00+05:30",
        "session_close": "2026-01-19T15:30:00+05:30",
        "next_open": "2026-01-20T09:15:00+05:30",
        "reason": "normal market",
    }


def test_it_names_the_holiday_and_the_next_open(anon) -> None:
    body = anon.get(URL, {"at": "2026-01-26T11:00"}).json()

    assert body["state"] == "closed" and body["trading_day"] is False
    assert body["reason"] == "holiday: Republic Day"
    assert body["next_open"] == "2026-01-27T09:15:00+05:30"


def test_it_keeps_the_market_open_until_1540_from_3_august_2026(anon) -> None:
    body = anon.get(URL, {"at": "2026-08-03T15:35+05:30"}).json()

    assert body["is_open"] is True
    assert body["session_close"] == "2026-08-03T15:40:00+05:30"


def test_it_reports_the_pre_open_session(anon) -> None:
    assert anon.get(URL, {"at": "2026-01-19T09:05"}).json()["state"] == "pre_open"


def test_it_answers_now_without_at(anon) -> None:
    body = anon.get(URL).json()

    assert body["state"] in {"open", "pre_open", "closed"}
    assert body["at"].endswith("+05:30")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"at": "19/01/2026 10:00"}, "at='19/01/2026 10:00' is not an ISO 8601 time"),
        ({"exchange": "MCX"}, "exchange='MCX' is not valid; choose one of NSE, BSE."),
    ],
)
def test_it_explains_bad_input(anon, query, message) -> None:
    response = anon.get(URL, query)

    assert response.status_code == 400
    assert message in response.json()["error"]
