"""Analytics on minutes collected from the simulated market (the default broker), end to end."""

from __future__ import annotations

import pytest

from apps.analytics import selectors
from apps.analytics.models import AnalyticsCursor, ChainSnapshot, VolatilitySnapshot
from apps.analytics.services import analytics_compute
from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.services import underlyings_load
from apps.marketdata.models import OptionQuote

pytestmark = pytest.mark.django_db


def test_it_analyses_collected_minutes_of_the_simulated_market() -> None:
    broker = get_broker("simulated")
    underlyings_load()
    instruments_sync(broker=broker)
    runs = [chain_collect(broker=broker, underlyings=["NIFTY", "BANKNIFTY"]) for _ in range(2)]
    assert analytics_compute() == 4  # 2 minutes x 2 underlyings

    quotes = OptionQuote.objects.filter(minute__in=[r.minute for r in runs])
    assert not quotes.filter(analysed_at__isnull=True).exists()
    solved = quotes.filter(iv__isnull=False)
    assert solved.count() >= 0.9 * quotes.count()
    assert set(solved.values_list("iv_source", flat=True)) <= {"mid", "last"}
    for snapshot in ChainSnapshot.objects.filter(minute=runs[-1].minute):
        assert 0.03 < snapshot.atm_iv < 1.0
        assert abs(snapshot.forward / snapshot.spot - 1) < 0.02
        assert snapshot.straddle > 0
    assert VolatilitySnapshot.objects.filter(minute=runs[-1].minute).count() == 2
    cursors = AnalyticsCursor.objects.filter(underlying__symbol__in=["NIFTY", "BANKNIFTY"])
    assert set(cursors.values_list("last_minute", flat=True)) == {runs[-1].minute}
    summary = selectors.chain_summary(underlying="BANKNIFTY", bucket="this_month")
    assert summary["bucket"] == "this_month"
