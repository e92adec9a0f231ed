from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from apps.brokers.simulated import SimulatedBroker
from apps.overview.selectors import overview_breadth, overview_sectors
from apps.overview.services import overview_collect
from apps.participants.services import participants_import_file
from tests.factories.market import BankNiftyFactory, UnderlyingFactory
from tests.factories.marketdata import UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db

# NSE participant-wise OI files (origins: tests/fixtures/exchange/README.md).
PARTICIPANTS = Path(__file__).resolve().parents[1] / "fixtures" / "exchange" / "participants"


@pytest.fixture
def participants_oi() -> None:
    for name in ("fao_participant_oi_13072015.csv", "fao_participant_oi_28072026.csv"):
        assert participants_import_file(path=PARTICIPANTS / name).ok


def test_it_serves_the_latest_participant_session_by_default(api, participants_oi) -> None:
    response = api.get("/api/v1/participants")

    assert response.status_code == 200
    body = response.json()
    assert body["date"] == "2026-07-28"
    assert body["previous_date"] == "2015-07-13"
    # From the file: FII index futures 21862 long, 227463 short; Client 205837 long, 52584 short.
    assert body["categories"]["FII"]["net_index_futures"] == 21862 - 227463
    assert body["categories"]["Client"]["net_index_futures"] == 205837 - 52584
    assert body["categories"]["FII"]["raw"]["future_index_short"] == 227463
    assert body["total"]["future_index_long"] == 318092


def test_it_serves_a_participant_session_by_date(api, participants_oi) -> None:
    body = api.get("/api/v1/participants", {"date": "2015-07-13"}).json()

    assert body["date"] == "2015-07-13"
    assert body["previous_date"] is None


def test_it_serves_participant_history_oldest_first(api, participants_oi) -> None:
    body = api.get("/api/v1/participants/history", {"from": "2015-01-01", "to": "2026-12-31"}).json()

    assert [session["date"] for session in body] == ["2015-07-13", "2026-07-28"]
    assert api.get("/api/v1/participants/history", {"from": "2026-08-01", "to": "2026-08-31"}).json() == []


@pytest.mark.parametrize(
    ("path", "query", "status", "message"),
    [
        ("participants", {"date": "2026-07-27"}, 404, "No participant oi data is stored for 2026-07-27"),
        ("participants", {"date": "28/07/2026"}, 400, "date='28/07/2026' is not a date"),
        ("participants", {"kind": "fii"}, 400, "kind='fii' is not valid; choose one of oi, volume."),
        ("participants/history", {"from": "2026-08-01", "to": "2026-07-01"}, 400, "from=2026-08-01 is after to="),
        ("participants/history", {"to": "tomorrow"}, 400, "to='tomorrow' is not a date"),
    ],
)
def test_it_explains_bad_participant_requests(api, participants_oi, path, query, status, message) -> None:
    response = api.get(f"/api/v1/{path}", query)

    assert response.status_code == status
    assert message in response.json()["error"]


def test_it_says_when_no_participant_data_is_imported(api) -> None:
    response = api.get("/api/v1/participants", {"kind": "volume"})

    assert response.status_code == 404
    assert response.json()["error"] == "No participant volume data is imported yet; import the NSE files first."


def test_it_serves_the_index_overview_with_spot_changes(api) -> None:
    nifty, bank = UnderlyingFactory(), BankNiftyFactory()
    minute = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)
    UnderlyingQuoteFactory(underlying=nifty, minute=minute, spot=23124.5, spot_close=22900.0)
    UnderlyingQuoteFactory(underlying=bank, minute=minute, spot=48950.0, spot_close=49200.0)

    rows = api.get("/api/v1/overview/indices", {"at": "2026-01-19T09:45"}).json()

    assert [(row["symbol"], row["change"]) for row in rows] == [("NIFTY", 224.5), ("BANKNIFTY", -250.0)]
    assert api.get("/api/v1/overview/indices", {"at": "2026-01-19T09:00"}).json()[0]["spot"] is None


def test_it_serves_breadth_and_sectors_collected_from_the_simulated_market(api) -> None:
    minute = datetime(2026, 3, 27, 5, 0, tzinfo=UTC)  # 10:30 IST
    overview_collect(broker=SimulatedBroker(seed=42, as_of=date(2026, 3, 27)), minute=minute)

    breadth = api.get("/api/v1/overview/breadth", {"at": "2026-03-27T10:30"})
    sectors = api.get("/api/v1/overview/sectors", {"at": "2026-03-27T10:30"})

    assert breadth.status_code == 200
    assert breadth.json() == overview_breadth(minute)
    assert (
        breadth.json()["advances"]
        + breadth.json()["declines"]
        + breadth.json()["unchanged"]
        + len(breadth.json()["missing"])
        == 50
    )
    assert sectors.json() == overview_sectors(minute)
    assert len(sectors.json()) > 0


def test_it_answers_404_when_no_breadth_is_stored(api) -> None:
    response = api.get("/api/v1/overview/breadth", {"at": "2026-03-27T10:30"})

    assert response.status_code == 404
    assert response.json() == {"error": "No breadth is stored at or before that time."}


@pytest.mark.parametrize(
    "path",
    ["participants", "participants/history", "overview/indices", "overview/sectors", "overview/breadth"],
)
def test_it_refuses_anonymous_clients(anon, path) -> None:
    assert anon.get(f"/api/v1/{path}").status_code == 401


def test_it_explains_a_bad_overview_time(api) -> None:
    response = api.get("/api/v1/overview/sectors", {"at": "10:30 today"})

    assert response.status_code == 400
    assert "at='10:30 today' is not an ISO 8601 time" in response.json()["error"]
