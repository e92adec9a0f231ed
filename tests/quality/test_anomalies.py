"""Anomalies by robust z-score raise warning events carrying the figure."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from apps.monitoring.models import ErrorEvent
from apps.quality.robust import robust_z
from apps.quality.services.anomalies import quote_anomalies_check, run_anomalies_check
from tests.factories.market import OptionInstrumentFactory, UnderlyingFactory
from tests.factories.marketdata import CollectionRunFactory, OptionQuoteFactory, UnderlyingQuoteFactory

START = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)


def test_the_robust_z_uses_median_and_mad_so_one_outlier_cannot_hide_the_next() -> None:
    window = [1.0, 1.1, 0.9, 1.0, 1.2, 0.8] * 4 + [50.0]  # one earlier outlier
    score = robust_z(window, 10.0)
    assert score is not None and score.median == 1.0 and score.mad == pytest.approx(0.1)
    assert score.z == pytest.approx(0.6745 * 9.0 / 0.1)
    assert robust_z(window[:10], 10.0) is None  # too short to say what is normal
    flat = robust_z([40.0] * 30, 20.0)
    assert flat is not None and math.isinf(flat.z) and flat.z < 0


@pytest.mark.django_db
def test_a_slow_run_and_a_short_run_are_warnings_with_their_figures() -> None:
    for i in range(30):
        CollectionRunFactory(started_at=START + timedelta(minutes=i), duration_ms=800 + (i % 5) * 50, quotes_stored=40)
    slow = CollectionRunFactory(started_at=START + timedelta(minutes=30), duration_ms=9_000, quotes_stored=20)
    kinds = {a.kind for a in run_anomalies_check(run_id=slow.pk)}
    assert kinds == {"collection_duration", "rows_per_run"}
    duration = ErrorEvent.objects.get(component="anomaly", code="collection_duration")
    assert duration.severity == "warning"
    assert "collection took 9.00 s, robust z +" in duration.message and "median 0.9 s" in duration.message
    rows = ErrorEvent.objects.get(component="anomaly", code="rows_per_run")
    assert "the run stored 20 rows, robust z -∞ against the median 40 rows" in rows.message
    normal = CollectionRunFactory(started_at=START + timedelta(minutes=31), duration_ms=900, quotes_stored=40)
    assert run_anomalies_check(run_id=normal.pk) == []


@pytest.mark.django_db
def test_a_contract_price_jump_is_found_against_its_own_moves() -> None:
    nifty = UnderlyingFactory()
    leg = OptionInstrumentFactory(underlying=nifty, expiry=date(2026, 1, 20), strike=23000.0, instrument_type="CE")
    price = 120.0
    for i in range(40):
        at = START + timedelta(minutes=i)
        price += 60.0 if i == 39 else (0.5 if i % 2 else -0.4)
        UnderlyingQuoteFactory(underlying=nifty, minute=at)
        OptionQuoteFactory(
            underlying=nifty, instrument=leg, minute=at, expiry=leg.expiry, last_price=price, iv=0.15 + (i % 3) * 0.001
        )
    found = quote_anomalies_check(underlying_id=nifty.pk, minute=START + timedelta(minutes=39))
    assert [a.kind for a in found] == ["price_jump"]
    event = ErrorEvent.objects.get(code="price_jump")
    assert event.message.startswith("NIFTY 23000 CE 20-Jan at 2026-01-19 10:09 IST: last price moved +60.00 to")
