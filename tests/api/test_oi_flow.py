"""GET analytics/{symbol}/oi-flow and oi-cumulative on a small archived morning (09:15-09:24 IST)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from apps.market.calendar import session_open
from apps.marketdata.models import OptionQuote
from tests.factories.market import UnderlyingFactory, option_instruments
from tests.factories.marketdata import OptionQuoteFactory, UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 1, 19)
WEEKLY, NEXT = date(2026, 1, 20), date(2026, 1, 27)
FLOW = "/api/v1/analytics/NIFTY/oi-flow"
CUMULATIVE = "/api/v1/analytics/NIFTY/oi-cumulative"
BASE = {(22900.0, "CE"): 10_000, (22900.0, "PE"): 50_000, (23000.0, "CE"): 40_000, (23000.0, "PE"): 20_000}


def oi(strike: float, side: str, m: int) -> int:
    """OI at minute m after the open: it grows by 100 a minute (the put at 23000 by 5,000, overtaking)."""
    return BASE[(strike, side)] + (5_000 if (strike, side) == (23000.0, "PE") else 100) * m


@pytest.fixture
def morning(db) -> None:
    """Ten minutes from the open; the previous close's OI was 500 below the open's; volume 1,000 a minute."""
    nifty = UnderlyingFactory()
    strikes = sorted({strike for strike, _side in BASE})
    instruments = {expiry: option_instruments(nifty, expiry, strikes) for expiry in (WEEKLY, NEXT)}
    for m in range(10):
        minute = session_open(DAY) + timedelta(minutes=m)
        UnderlyingQuoteFactory(underlying=nifty, minute=minute, spot=23000.0 + m)
        for (strike, side), base in BASE.items():
            for expiry in (WEEKLY, NEXT) if m == 9 else (WEEKLY,):
                OptionQuoteFactory(
                    underlying=nifty,
                    instrument=instruments[expiry][(strike, side)],
                    minute=minute,
                    expiry=expiry,
                    strike=strike,
                    option_type=side,
                    oi=oi(strike, side, m) + (0 if expiry == WEEKLY else 1),
                    oi_change=oi(strike, side, m) - (base - 500),
                    volume=1_000 * (m + 1),
                )


def test_it_gives_the_oi_of_each_strike_at_each_intervals_last_minute(api, morning) -> None:
    response = api.get(FLOW, {"date": "2026-01-19", "expiry": "2026-01-20", "interval": "5"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["expiry"], body["date"], body["interval"], body["field"]) == ("2026-01-20", "2026-01-19", 5, "oi")
    assert body["strikes"] == [22900.0, 23000.0]
    assert body["minutes"] == ["2026-01-19T09:15:00+05:30", "2026-01-19T09:20:00+05:30"]
    assert body["spot"] == [23004.0, 23009.0]  # at 09:19 and 09:24
    assert body["values"]["CE"] == [[oi(22900, "CE", 4), oi(22900, "CE", 9)], [oi(23000, "CE", 4), oi(23000, "CE", 9)]]
    assert body["values"]["PE"][1] == [oi(23000, "PE", 4), oi(23000, "PE", 9)]
    # The put wall moves from 22900 (50,400) to 23000 (20,000 + 45,000) in the second interval.
    assert body["walls"] == {"call_wall": [23000.0, 23000.0], "put_wall": [22900.0, 23000.0]}


def test_it_gives_the_oi_change_since_the_previous_close_and_per_interval(api, morning) -> None:
    since_close = api.get(FLOW, {"date": "2026-01-19", "interval": "5", "field": "doi_open"}).json()
    per_interval = api.get(FLOW, {"date": "2026-01-19", "interval": "5", "field": "doi_interval"}).json()
    volume = api.get(FLOW, {"date": "2026-01-19", "interval": "5", "field": "volume"}).json()

    assert since_close["expiry"] == "2026-01-20"  # the nearest by default
    assert since_close["values"]["CE"][0] == [500 + 400, 500 + 900]
    # The first interval starts at the open: its change counts from the previous close.
    assert per_interval["values"]["CE"][0] == [900, 500]
    assert per_interval["values"]["PE"][1] == [500 + 20_000, 25_000]
    assert volume["values"]["CE"][0] == [5_000, 5_000]


def test_an_unknown_change_is_null_never_zero(api, morning) -> None:
    OptionQuote.objects.filter(strike=22900, option_type="CE").update(oi_change=None)
    OptionQuote.objects.filter(minute=session_open(DAY) + timedelta(minutes=4), strike=23000).delete()

    since_close = api.get(FLOW, {"date": "2026-01-19", "interval": "5", "field": "doi_open"}).json()
    per_minute = api.get(FLOW, {"date": "2026-01-19", "field": "doi_interval"}).json()

    assert since_close["values"]["CE"][0] == [None, None]
    assert per_minute["values"]["CE"][1][4] is None and per_minute["values"]["CE"][1][5] is None  # the gap
    assert per_minute["values"]["CE"][1][3] == 100


def test_an_archive_starting_after_the_open_has_no_first_interval_change(api, morning) -> None:
    OptionQuote.objects.filter(minute__lt=session_open(DAY) + timedelta(minutes=5)).delete()

    body = api.get(FLOW, {"date": "2026-01-19", "interval": "5", "field": "doi_interval"}).json()

    assert body["minutes"] == ["2026-01-19T09:20:00+05:30"]
    assert body["values"]["CE"] == [[None], [None]]


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        ({"interval": "2"}, 400, "interval"),
        ({"field": "price"}, 400, "field"),
        ({"date": "19-01-2026"}, 400, "date"),
        ({"expiry": "2026-01-20", "bucket": "this_week"}, 400, "either"),
        ({"date": "2026-01-16"}, 404, "2026-01"),
        ({"expiry": "2026-02-24", "date": "2026-01-19"}, 404, "2026-02-24"),
    ],
)
def test_bad_flow_input_is_refused(api, morning, query, status, needle) -> None:
    response = api.get(FLOW, query)

    assert response.status_code == status
    assert needle in response.json()["error"]


def test_it_sums_oi_over_the_chosen_expiries_by_strike(api, morning) -> None:
    response = api.get(CUMULATIVE, {"expiries": "2026-01-20,2026-01-27", "at": "2026-01-19T09:24"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["minute"] == "2026-01-19T09:24:00+05:30"
    assert body["strikes"] == [22900.0, 23000.0]
    assert body["CE"]["oi"] == [2 * oi(22900, "CE", 9) + 1, 2 * oi(23000, "CE", 9) + 1]
    assert body["PE"]["oi_change"] == [2 * (500 + 900), 2 * (500 + 45_000)]
    # An earlier minute: the next expiry is not yet archived that day.
    assert api.get(CUMULATIVE, {"expiries": "2026-01-27", "at": "2026-01-19T09:20"}).status_code == 404
    everything = api.get(CUMULATIVE, {"at": "2026-01-19T09:24"}).json()
    assert everything["expiries"] == ["2026-01-20", "2026-01-27"]
    OptionQuote.objects.filter(expiry=NEXT, strike=22900, option_type="PE").update(oi_change=None)
    unknown = api.get(CUMULATIVE, {"at": "2026-01-19T09:24"}).json()
    assert unknown["PE"]["oi_change"] == [None, 2 * (500 + 45_000)]


@pytest.mark.parametrize(("query", "status"), [({"expiries": "2026-01-20,soon"}, 400), ({"at": "2020-01-01"}, 404)])
def test_bad_cumulative_input_is_refused(api, morning, query, status) -> None:
    response = api.get(CUMULATIVE, query)

    assert response.status_code == status
    assert response.json()["error"]


def test_they_need_credentials(anon, morning) -> None:
    assert anon.get(FLOW).status_code == 401
    assert anon.get(CUMULATIVE).status_code == 401
