"""overview_collect against the simulated market, and the overview selectors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from apps.analytics.models import ChainSnapshot
from apps.brokers.simulated import SimulatedBroker
from apps.market.models import Underlying
from apps.marketdata.models import UnderlyingQuote
from apps.overview.models import BreadthSnapshot, SectorQuote
from apps.overview.selectors import overview_breadth, overview_indices, overview_sectors
from apps.overview.services import overview_collect
from apps.overview.universe import nifty50_symbols, sector_indices

pytestmark = pytest.mark.django_db

MINUTE = datetime(2026, 3, 27, 5, 0, tzinfo=UTC)  # 10:30 IST


class CountingBroker(SimulatedBroker):
    """The simulated market, counting quote calls (the service promises one per minute)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.calls: list[int] = []

    def _quote(self, keys: Sequence[str], *, minute: datetime) -> dict[str, Any]:
        self.calls.append(len(keys))
        return super()._quote(keys, minute=minute)


@pytest.fixture
def broker() -> CountingBroker:
    return CountingBroker(seed=42, as_of=date(2026, 3, 27))


def _expected_breadth(minute: datetime) -> tuple[int, int, int]:
    """Advances/declines/unchanged counted straight from a fresh broker's quotes (same seed, same minute)."""
    quotes = SimulatedBroker(seed=42, as_of=date(2026, 3, 27)).quote(
        [f"NSE:{s}" for s in nifty50_symbols()], minute=minute
    )
    changes = [q["last_price"] - q["ohlc"]["close"] for q in quotes.values()]
    assert len(changes) == 50
    return (
        sum(c >= 0.005 for c in changes),
        sum(c <= -0.005 for c in changes),
        sum(abs(c) < 0.005 for c in changes),
    )


def test_it_stores_breadth_and_sectors_from_one_quote_call(broker: CountingBroker) -> None:
    result = overview_collect(broker=broker, minute=MINUTE)

    assert broker.calls == [66]  # 16 sector indices + 50 constituents, one call
    assert result.created
    snap = BreadthSnapshot.objects.get()
    assert (snap.advances, snap.declines, snap.unchanged) == _expected_breadth(MINUTE)
    assert snap.advances + snap.declines + snap.unchanged == 50
    assert snap.missing == []
    assert snap.net_breadth == snap.advances - snap.declines
    assert snap.ad_ratio == (pytest.approx(snap.advances / snap.declines) if snap.declines else None)
    assert SectorQuote.objects.count() == len(sector_indices()) == 16
    it = SectorQuote.objects.get(symbol="NIFTY IT")
    quote = SimulatedBroker(seed=42, as_of=date(2026, 3, 27)).quote(["NSE:NIFTY IT"], minute=MINUTE)["NSE:NIFTY IT"]
    assert it.last_price == quote["last_price"]
    assert it.previous_close == quote["ohlc"]["close"]
    assert it.change_pct == pytest.approx((quote["last_price"] - quote["ohlc"]["close"]) / quote["ohlc"]["close"] * 100)


def test_collecting_a_minute_twice_changes_nothing(broker: CountingBroker) -> None:
    overview_collect(broker=broker, minute=MINUTE)
    first = BreadthSnapshot.objects.get()

    again = overview_collect(broker=broker, minute=MINUTE)

    assert not again.created
    assert broker.calls == [66]
    assert BreadthSnapshot.objects.get() == first
    assert SectorQuote.objects.count() == 16


def test_it_stores_one_snapshot_per_minute(broker: CountingBroker) -> None:
    later = MINUTE + timedelta(minutes=1)
    overview_collect(broker=broker, minute=MINUTE)
    overview_collect(broker=broker, minute=later)

    assert list(BreadthSnapshot.objects.values_list("minute", flat=True)) == [later, MINUTE]
    assert SectorQuote.objects.filter(minute=later).count() == 16
    assert overview_breadth(at=MINUTE + timedelta(seconds=30))["minute"] == "2026-03-27T10:30:00+05:30"
    latest = overview_breadth(at=later + timedelta(hours=1))
    assert latest["minute"] == "2026-03-27T10:31:00+05:30"
    assert latest["advances"] + latest["declines"] + latest["unchanged"] == 50


def test_it_refuses_a_naive_minute(broker: CountingBroker) -> None:
    from apps.core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="aware minute"):
        overview_collect(broker=broker, minute=datetime(2026, 3, 27, 10, 30))
    assert broker.calls == []


def test_sectors_come_best_first(broker: CountingBroker) -> None:
    overview_collect(broker=broker, minute=MINUTE)

    sectors = overview_sectors(at=MINUTE)

    changes = [s["change_pct"] for s in sectors]
    assert len(changes) == 16
    assert {s["minute"] for s in sectors} == {"2026-03-27T10:30:00+05:30"}
    assert changes == sorted(changes, reverse=True)
    assert overview_sectors(at=MINUTE - timedelta(minutes=1)) == []
    assert overview_breadth(at=MINUTE - timedelta(minutes=1)) is None


def test_indices_show_spot_change_and_the_nearest_chain_metrics() -> None:
    nifty = Underlying.objects.create(
        symbol="NIFTY",
        exchange="NSE",
        spot_tradingsymbol="NIFTY 50",
        spot_token=256265,
        options_exchange="NFO",
        options_segment="NFO-OPT",
        has_weeklies=True,
    )
    UnderlyingQuote.objects.create(underlying=nifty, minute=MINUTE, spot=22819.60, spot_close=23100.0)
    for expiry, iv in ((date(2026, 3, 30), 0.2588), (date(2026, 4, 7), 0.2997)):
        ChainSnapshot.objects.create(
            underlying=nifty,
            minute=MINUTE,
            expiry=expiry,
            t_years=0.01,
            spot=22819.60,
            forward=22821.08,
            forward_source="parity",
            atm_iv=iv,
            pcr_oi=0.8809 if iv < 0.28 else 0.9089,
        )

    (row,) = overview_indices(at=MINUTE + timedelta(minutes=5))

    assert row["symbol"] == "NIFTY"
    assert row["minute"] == "2026-03-27T10:30:00+05:30"
    assert row["spot"] == 22819.60
    assert row["change"] == pytest.approx(22819.60 - 23100.0)
    assert row["change_pct"] == pytest.approx((22819.60 - 23100.0) / 23100.0 * 100)
    assert (row["expiry"], row["atm_iv"], row["pcr_oi"]) == ("2026-03-30", 0.2588, 0.8809)
