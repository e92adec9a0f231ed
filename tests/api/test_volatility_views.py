"""term-structure, surface, skew-history and exposures on the realistic market day (tests/api/conftest.py)."""

from __future__ import annotations

import pytest

from apps.analytics.models import ChainSnapshot
from apps.market.clock import to_ist
from apps.marketdata.models import OptionQuote
from tests.api.conftest import PAST_SESSIONS, TODAY

pytestmark = pytest.mark.django_db
BASE = "/api/v1/analytics/NIFTY/"


def latest(market_day) -> list[ChainSnapshot]:
    minute = market_day["minutes"][-1]
    return list(ChainSnapshot.objects.filter(underlying__symbol="NIFTY", minute=minute).order_by("expiry"))


def test_the_term_structure_gives_each_expirys_atm_iv(api, market_day) -> None:
    snapshots = latest(market_day)

    body = api.get(BASE + "term-structure", {"at": f"{TODAY}T15:00"}).json()

    assert body["minute"] == to_ist(market_day["minutes"][-1]).isoformat()
    assert [p["expiry"] for p in body["expiries"]] == [s.expiry.isoformat() for s in snapshots]
    assert [p["atm_iv"] for p in body["expiries"]] == [s.atm_iv for s in snapshots]
    assert body["expiries"][0]["bucket"] == "this_week"
    assert len(snapshots) >= 2


def test_the_surface_is_a_matrix_of_each_strikes_otm_iv(api, market_day) -> None:
    snapshots = latest(market_day)

    body = api.get(BASE + "surface").json()

    assert len(body["iv"]) == len(snapshots) and all(len(row) == len(body["strikes"]) for row in body["iv"])
    near = snapshots[0]
    listed = [k for k, iv in zip(body["strikes"], body["iv"][0], strict=True) if iv is not None and k > near.forward]
    strike = listed[0]
    quote = OptionQuote.objects.get(
        underlying__symbol="NIFTY", minute=near.minute, expiry=near.expiry, strike=strike, option_type="CE"
    )
    assert body["iv"][0][body["strikes"].index(strike)] == quote.iv  # above the forward: the call's IV
    assert body["forwards"][0] == near.forward


def test_the_skew_history_is_per_minute_for_a_day_and_per_day_for_a_range(api, market_day) -> None:
    minutes = api.get(BASE + "skew-history", {"date": TODAY.isoformat()}).json()
    days = api.get(BASE + "skew-history", {"from": PAST_SESSIONS[0].isoformat(), "to": TODAY.isoformat()}).json()

    assert minutes["daily"] is False
    assert [p["minute"] for p in minutes["points"]] == [to_ist(m).isoformat() for m in market_day["minutes"][-3:]]
    last = ChainSnapshot.objects.get(
        underlying__symbol="NIFTY", minute=market_day["minutes"][-1], expiry=minutes["points"][-1]["expiry"]
    )
    assert (minutes["points"][-1]["rr25"], minutes["points"][-1]["atm_iv"]) == (last.rr25, last.atm_iv)
    assert days["daily"] is True
    assert [p["minute"][:10] for p in days["points"]] == [d.isoformat() for d in [*PAST_SESSIONS, TODAY]]
    assert days["points"][-1] == minutes["points"][-1]  # the day's last analysed minute


def test_the_exposures_net_gamma_is_the_summarys_net_gex(api, market_day) -> None:
    near = latest(market_day)[0]

    body = api.get(BASE + "exposures", {"expiry": near.expiry.isoformat()}).json()

    assert "long the calls and short the puts" in body["assumption"]
    assert body["net"]["gamma"] == pytest.approx(near.net_gex, rel=1e-6)
    strike = body["strikes"][len(body["strikes"]) // 2]
    legs = OptionQuote.objects.filter(
        underlying__symbol="NIFTY", minute=near.minute, expiry=near.expiry, strike=strike["strike"]
    )
    expected = sum((1 if q.option_type == "CE" else -1) * (q.delta or 0) * q.oi * near.forward for q in legs)
    assert strike["delta"] == pytest.approx(expected, abs=0.01)
    assert body["net"]["vanna"] == pytest.approx(sum(s["vanna"] for s in body["strikes"]), abs=1.0)
    flip = body["gamma_flip"]
    assert flip is None or 0.9 * near.forward <= flip <= 1.1 * near.forward


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("skew-history", {"date": TODAY.isoformat(), "from": "2026-04-01"}, 400),
        ("skew-history", {"from": "2026-04-29", "to": "2026-04-01"}, 400),
        ("skew-history", {"to": "2026-04-29"}, 400),
        ("skew-history", {"bucket": "someday"}, 400),
        ("exposures", {"bucket": "someday"}, 400),
        ("exposures", {"at": "2020-01-02T10:00"}, 404),
        ("term-structure", {"at": "noon"}, 400),
        ("term-structure", {"at": "2020-01-02T10:00"}, 404),
        ("surface", {"at": "2020-01-02T10:00"}, 404),
    ],
)
def test_bad_input_is_refused(api, market_day, path, query, status) -> None:
    response = api.get(BASE + path, query)

    assert response.status_code == status
    assert response.json()["error"]


def test_they_need_credentials(anon) -> None:
    for path in ("term-structure", "surface", "skew-history", "exposures"):
        assert anon.get(BASE + path).status_code == 401
