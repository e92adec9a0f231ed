"""/api/v1/strategies: each user's own strategies (staff see all), and a strategy's P&L through a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from apps.marketdata.models import OptionQuote
from apps.strategies.models import Strategy
from tests.api.conftest import WEEKLY
from tests.factories.marketdata import MINUTE

pytestmark = pytest.mark.django_db
URL = "/api/v1/strategies"
LOT = 65
LEGS = [
    {"expiry": WEEKLY.isoformat(), "strike": 23000.0, "option_type": "CE", "side": "buy", "lots": 2, "price": 100.0},
    {"expiry": WEEKLY.isoformat(), "strike": 23000.0, "option_type": "PE", "side": "sell", "lots": 1},
]


@pytest.fixture
def other(db) -> User:
    return User.objects.create_user("someone-else", password="not-used-123")


def test_a_user_saves_reads_changes_and_deletes_their_own_strategy(api, archived_chain) -> None:
    created = api.post(URL, {"name": "Synthetic", "symbol": "nifty", "legs": LEGS}, format="json")

    assert created.status_code == 201, created.json()
    strategy = created.json()
    assert (strategy["name"], strategy["symbol"], strategy["owner"]) == ("Synthetic", "NIFTY", "trader")
    assert strategy["legs"][1] == {**LEGS[1], "price": None}
    path = f"{URL}/{strategy['id']}"
    assert api.get(path).json()["legs"] == strategy["legs"]
    changed = api.patch(path, {"name": "Synthetic long", "notes": "hedged"}, format="json").json()
    assert (changed["name"], changed["notes"], changed["legs"]) == ("Synthetic long", "hedged", strategy["legs"])
    assert [s["id"] for s in api.get(URL).json()] == [strategy["id"]]
    assert api.delete(path).status_code == 204
    assert not Strategy.objects.exists()


def test_each_user_sees_only_their_own_and_staff_see_all(api, staff, other, client_for, archived_chain) -> None:
    mine = api.post(URL, {"name": "Mine", "symbol": "NIFTY", "legs": LEGS}, format="json").json()
    theirs = client_for(other).post(URL, {"name": "Theirs", "symbol": "NIFTY", "legs": LEGS}, format="json").json()

    assert [s["name"] for s in api.get(URL).json()] == ["Mine"]
    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(f"{URL}/{theirs['id']}", *([{"name": "x"}] if method == "patch" else []))
        assert response.status_code == 404, method
    assert api.get(f"{URL}/{theirs['id']}/pnl", {"date": "2026-01-19"}).status_code == 404
    ops = client_for(staff)
    assert sorted(s["name"] for s in ops.get(URL).json()) == ["Mine", "Theirs"]
    assert ops.get(f"{URL}/{mine['id']}").status_code == 200
    assert Strategy.objects.get(pk=theirs["id"]).name == "Theirs"


def test_it_needs_credentials(anon) -> None:
    assert anon.get(URL).status_code == 401
    assert anon.post(URL, {"name": "x", "symbol": "NIFTY", "legs": LEGS}, format="json").status_code == 401
    assert anon.get(f"{URL}/1/pnl", {"date": "2026-01-19"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"symbol": "NIFTY", "legs": LEGS}, "name"),
        ({"name": "x", "symbol": "NIFTI", "legs": LEGS}, "symbol"),
        ({"name": "x", "symbol": "NIFTY", "legs": [{**LEGS[0], "side": "long"}]}, "legs"),
        ({"name": "x", "symbol": "NIFTY", "legs": [{**LEGS[0], "expiry": "20-01-2026"}]}, "legs"),
        ({"name": "x", "symbol": "NIFTY", "legs": LEGS, "owner": "admin"}, "owner"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, archived_chain, body, field) -> None:
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert not Strategy.objects.exists()


def test_its_pnl_through_the_day_is_marked_at_each_minutes_mid(api, archived_chain) -> None:
    # The fixture quotes every leg 120.45/120.60; at 09:31 the call is bid up to 130/131 and the put to 90/91.
    second = MINUTE + timedelta(minutes=1)
    OptionQuote.objects.filter(minute=second, strike=23000, option_type="CE").update(bid=130.0, ask=131.0)
    OptionQuote.objects.filter(minute=second, strike=23000, option_type="PE").update(bid=90.0, ask=91.0)
    strategy = api.post(URL, {"name": "S", "symbol": "NIFTY", "legs": LEGS}, format="json").json()

    response = api.get(f"{URL}/{strategy['id']}/pnl", {"date": "2026-01-19"})

    assert response.status_code == 200, response.json()
    reply = response.json()
    assert reply["minutes"] == ["2026-01-19T09:30:00+05:30", "2026-01-19T09:31:00+05:30"]
    assert reply["spot"] == [23010.0, 23011.0]
    # The put has no price: entered at its first mid of the day, 120.525.
    assert reply["legs"][1]["entry"] == 120.525 and reply["legs"][1]["entry_source"] == "first_mid"
    assert reply["legs"][0]["quantity"] == 2 * LOT
    call = 2 * LOT * (120.525 - 100.0)
    assert reply["pnl"] == [pytest.approx(call), pytest.approx(2 * LOT * (130.5 - 100.0) - LOT * (90.5 - 120.525))]


def test_a_minute_without_a_quote_of_a_leg_has_no_pnl(api, archived_chain) -> None:
    OptionQuote.objects.filter(minute=MINUTE, strike=23000, option_type="CE").delete()
    strategy = api.post(URL, {"name": "S", "symbol": "NIFTY", "legs": LEGS}, format="json").json()

    reply = api.get(f"{URL}/{strategy['id']}/pnl", {"date": "2026-01-19"}).json()

    assert reply["pnl"][0] is None and reply["pnl"][1] is not None


@pytest.mark.parametrize("query", [{}, {"date": "19-01-2026"}])
def test_the_pnl_needs_a_date(api, archived_chain, query) -> None:
    strategy = api.post(URL, {"name": "S", "symbol": "NIFTY", "legs": LEGS}, format="json").json()

    response = api.get(f"{URL}/{strategy['id']}/pnl", query)

    assert response.status_code == 400
    assert "date" in response.json()["fields"]
