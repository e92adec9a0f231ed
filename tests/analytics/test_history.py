"""History analytics: IV rank on the real India VIX closes, overlays, our VIX and the 30-day IV, correlation."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from apps.analytics import selectors
from apps.analytics.models import ChainSnapshot, VolatilitySnapshot
from apps.analytics.services import analytics_compute
from apps.market.calendar import session_close
from apps.marketdata.models import UnderlyingQuote
from tests.analytics.conftest import build_chain
from tests.exchange_files import INDIA_VIX_DAILY

pytestmark = pytest.mark.django_db

VIX_FILE = INDIA_VIX_DAILY


def _vix_closes() -> list[tuple[date, float]]:
    with VIX_FILE.open() as handle:
        return [(date.fromisoformat(row["date"]), float(row["close"])) for row in csv.DictReader(handle)]


def test_it_ranks_the_published_india_vix_like_the_reference(nifty) -> None:
    """Reference (tests/fixtures/pricing/README.md): last 252 sessions to 2026-09-04 → IVR 8.16, IVP 16.33."""
    UnderlyingQuote.objects.bulk_create(
        UnderlyingQuote(underlying=nifty, minute=session_close(day), spot=24000.0, vix=close)
        for day, close in _vix_closes()
    )
    ranked = selectors.iv_rank(underlying="NIFTY")["india_vix"]
    assert ranked["sessions"] == 252
    assert ranked["value"] == 10.68
    assert (ranked["min"], ranked["max"]) == (9.15, 27.89)
    assert ranked["rank"] == pytest.approx(8.16, abs=5e-3)
    assert ranked["percentile"] == pytest.approx(16.33, abs=5e-3)


def test_it_correlates_index_returns_with_vix_changes(nifty) -> None:
    closes = _vix_closes()[:40]
    spot, rows = 24000.0, []
    for i, (day, vix) in enumerate(closes):
        if i:
            spot *= 1 - 0.002 * (vix - closes[i - 1][1])  # returns exactly opposite to VIX changes
        rows.append(UnderlyingQuote(underlying=nifty, minute=session_close(day), spot=spot, vix=vix))
    UnderlyingQuote.objects.bulk_create(rows)
    result = selectors.vix_correlation(underlying="NIFTY", window=10)
    values = [p["correlation"] for p in result["points"]]
    assert values[:9] == [None] * 9
    assert values[9:] == pytest.approx([-1.0] * (len(values) - 9), abs=1e-9)


def test_it_overlays_todays_straddle_on_past_sessions_of_the_same_weekday(nifty) -> None:
    mondays = [date(2025, 12, 29), date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    for day, sigma in zip(mondays, (0.10, 0.12, 0.14, 0.16), strict=True):
        for minute in (0, 1):
            at = datetime(day.year, day.month, day.day, 4, minute, tzinfo=UTC)  # 09:30/09:31 IST
            build_chain(nifty, minute=at, expiry=day + timedelta(days=8), sigma=sigma, strikes=[22900, 23000, 23100])
    analytics_compute()
    result = selectors.overlay(underlying="NIFTY", bucket="this_week", sessions=5)
    assert result["sessions_used"] == ["2025-12-29", "2026-01-05", "2026-01-12"]
    assert result["times"] == ["09:30", "09:31"]
    past = [
        ChainSnapshot.objects.get(minute=datetime(d.year, d.month, d.day, 4, 0, tzinfo=UTC)).straddle
        for d in mondays[:3]
    ]
    assert result["bands"]["mean"][0] == pytest.approx(np.mean(past))
    assert result["bands"]["upper"][0] == pytest.approx(np.mean(past) + np.std(past))
    assert result["bands"]["max"][0] == pytest.approx(max(past))
    assert result["today"][0] > result["bands"]["max"][0]  # today's vol (16 %) is above every past session
    by_dte = selectors.overlay(underlying="NIFTY", bucket="this_week", sessions=5, align="dte")
    assert by_dte["sessions_used"] == ["2025-12-29", "2026-01-05", "2026-01-12"]  # all 8 days to expiry
    paths = selectors.expiry_comparison(underlying="NIFTY", field="pcr_oi", expiries=4)
    assert [p["points"][0]["days_to_expiry"] for p in paths["expiries"]] == [8, 8, 8, 8]


def test_it_computes_our_vix_and_the_30_day_iv_from_two_monthly_chains(nifty) -> None:
    strikes = tuple(range(18000, 28100, 100))
    minute = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)
    build_chain(nifty, minute=minute, expiry=date(2026, 1, 27), sigma=0.18, strikes=strikes, spread=0.002)
    build_chain(
        nifty, minute=minute, expiry=date(2026, 2, 24), sigma=0.18, strikes=strikes, spread=0.002, bucket="next_month"
    )
    analytics_compute()
    snapshot = VolatilitySnapshot.objects.get(underlying=nifty, minute=minute)
    assert snapshot.cm30_iv == pytest.approx(0.18, abs=2e-3)
    assert snapshot.our_vix == pytest.approx(18.0, abs=0.5)  # model-free variance of a flat 18 % market
    series = selectors.volatility_series(underlying="NIFTY", start=minute, end=minute)
    assert series["points"][0]["our_vix"] == snapshot.our_vix
