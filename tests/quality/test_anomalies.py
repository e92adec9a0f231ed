"""Anomalies by robust z-score raise warning events carrying the figure."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.analytics.models import ChainSnapshot
from apps.marketdata.models import OptionQuote
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


@pytest.mark.django_db
def test_each_contracts_last_move_is_scored_against_its_own_earlier_moves() -> None:
    """Several contracts in one window, each scored as ``robust_z`` scores its own series: a price jump, an IV
    jump, a jump across minutes the contract was not quoted, a cheap contract and one not quoted at the checked
    minute (neither checked), and IVs missing here and there."""
    nifty = UnderlyingFactory(symbol="NIFTY")
    rng = np.random.default_rng(7)
    steps = 45
    minutes = [START + timedelta(minutes=i) for i in range(steps)]
    for at in minutes:
        UnderlyingQuoteFactory(underlying=nifty, minute=at)
    series: dict[float, list[tuple[int, float, float | None]]] = {}

    def contract(
        strike: float,
        base: float,
        *,
        jump: float = 0.0,
        iv_jump: float = 0.0,
        skip: set[int] = frozenset(),
        no_iv: set[int] = frozenset(),
        noise: float = 0.6,
    ) -> None:
        price, iv, points = base, 0.15, []
        for i in range(steps):
            price += jump if i == steps - 1 else float(rng.normal(0, noise))
            iv += iv_jump if i == steps - 1 else float(rng.normal(0, 0.001))
            if i not in skip:
                points.append((i, price, None if i in no_iv else iv))
        series[strike] = points
        for i, p, v in points:
            OptionQuoteFactory(underlying=nifty, minute=minutes[i], strike=strike, last_price=p, iv=v)

    contract(22800.0, 200.0, jump=40.0)  # price jump
    contract(22900.0, 150.0, iv_jump=0.04)  # IV jump of 4 vol points
    contract(23000.0, 120.0, jump=-35.0, skip={5, 12, 30})  # a jump, moves taken across the missed minutes
    contract(23100.0, 3.0, jump=1.0, noise=0.01)  # a jump, but to under MIN_PRICE: not checked
    contract(23200.0, 90.0, jump=50.0, skip={steps - 1})  # not quoted at the checked minute
    contract(23300.0, 80.0, no_iv={3, 17, 18, 40})  # quiet, IV missing at times

    found = quote_anomalies_check(underlying_id=nifty.pk, minute=minutes[-1])

    expected: dict[tuple[str, float], float] = {}
    for strike, points in series.items():
        if points[-1][0] != steps - 1 or points[-1][1] < 5.0:
            continue
        moves = [b[1] - a[1] for a, b in itertools.pairwise(points)]
        iv_moves = [100 * (b[2] - a[2]) for a, b in itertools.pairwise(points) if None not in (a[2], b[2])]
        for kind, values, last_ok in (
            ("price_jump", moves, True),
            ("iv_jump", iv_moves, points[-1][2] is not None and points[-2][2] is not None),
        ):
            score = robust_z(values[:-1], values[-1]) if values and last_ok else None
            if score is not None and score.mad > 0 and abs(score.z) >= 6.0:
                expected[(kind, strike)] = score.z
    assert set(expected) == {("price_jump", 22800.0), ("iv_jump", 22900.0), ("price_jump", 23000.0)}
    cheap = [b[1] - a[1] for a, b in itertools.pairwise(series[23100.0])]
    cheap_score = robust_z(cheap[:-1], cheap[-1])
    assert series[23100.0][-1][1] < 5.0 and cheap_score is not None and cheap_score.z > 6.0  # a jump, but cheap
    got = {(a.kind, float(a.message.split()[1])): a.score.z for a in found}
    assert got.keys() == expected.keys()
    for key, z in expected.items():
        assert got[key] == pytest.approx(z, rel=1e-12)
    iv = next(a for a in found if a.kind == "iv_jump")
    assert iv.message.startswith("NIFTY 22900 CE 20-Jan at 2026-01-19 10:14 IST: IV moved +4.")
    assert iv.score.n == steps - 2
    gap = next(a for a in found if a.kind == "price_jump" and "23000" in a.message)
    assert gap.score.n == steps - 3 - 2  # three minutes missed: three moves fewer


@pytest.mark.django_db
def test_an_analysed_minute_is_read_once_and_again_only_after_it_is_analysed_again() -> None:
    """The window's analysed minutes come from the cache (keyed by when the minute was last analysed), so each
    minute's check reads one new minute; a minute analysed again (a recompute) is read again."""
    nifty = UnderlyingFactory(symbol="NIFTY")
    leg = OptionInstrumentFactory(underlying=nifty, expiry=date(2026, 1, 20), strike=23000.0, instrument_type="CE")
    minutes = [START + timedelta(minutes=i) for i in range(40)]
    price = 120.0
    for i, at in enumerate(minutes):
        price += 0.5 if i % 2 else -0.4
        UnderlyingQuoteFactory(underlying=nifty, minute=at)
        OptionQuoteFactory(underlying=nifty, instrument=leg, minute=at, expiry=leg.expiry, last_price=price, iv=0.15)
        ChainSnapshot.objects.create(
            underlying=nifty, minute=at, expiry=leg.expiry, t_years=0.01, spot=23000.0, forward=23001.0
        )
    last = minutes[-1]
    assert quote_anomalies_check(underlying_id=nifty.pk, minute=last) == []  # a quiet contract

    # The checked minute's row changes under the cache (nothing in the pipeline does this): the check still
    # answers from what it read, which shows it did not read the minute again.
    OptionQuote.objects.filter(minute=last).update(last_price=F("last_price") + 60.0)
    with CaptureQueriesContext(connection) as queries:
        assert quote_anomalies_check(underlying_id=nifty.pk, minute=last) == []
    assert not [q for q in queries.captured_queries if '"last_price"' in q["sql"]]

    # Analysed again (as a recompute rewrites the minute's snapshots), the minute is read again: the jump shows.
    ChainSnapshot.objects.filter(minute=last).update(computed_at=timezone.now())
    found = quote_anomalies_check(underlying_id=nifty.pk, minute=last)
    assert [a.kind for a in found] == ["price_jump"] and "last price moved +60." in found[0].message

    # A minute without a snapshot (not analysed) is never cached: always read.
    ChainSnapshot.objects.filter(minute=last).delete()
    OptionQuote.objects.filter(minute=last).update(last_price=F("last_price") - 60.0)
    assert quote_anomalies_check(underlying_id=nifty.pk, minute=last) == []
