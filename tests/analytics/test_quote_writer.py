"""The per-quote analytics write-back: PostgreSQL's COPY-staged UPDATE (a minute given), its UPDATE ... FROM
unnest (none given) and the plain per-row UPDATE the
embedded SQLite mode runs (generic SQL, so it is checked here on the same rows) store exactly what they are given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.analytics.services.quote_writer import FIELD_NAMES, _quotes_update_by_row, quotes_update
from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus, OptionQuote

pytestmark = pytest.mark.django_db


@pytest.fixture
def minute_ids() -> tuple[datetime, list[int]]:
    broker = get_broker("simulated")
    underlyings_load()
    instruments_sync(broker=broker)
    run = chain_collect(broker=broker, underlyings=["NIFTY"])
    assert run.status == CollectionStatus.SUCCESS, run.error
    ids = list(OptionQuote.objects.filter(minute=run.minute).order_by("id").values_list("id", flat=True))
    assert len(ids) >= 10
    return run.minute, ids


def _rows(ids: list[int], *, seed: int) -> list[dict[str, Any]]:
    at = datetime(2026, 3, 24, 4, 15, tzinfo=UTC) + timedelta(seconds=seed)
    rows = []
    for n, pk in enumerate(ids):
        unknown = n % 4 == 0  # some rows without an IV, as analytics leaves untraded legs
        rows.append(
            {
                "id": pk,
                "oi_change": None if unknown else (n - 5) * 650 + seed,
                "iv": None if unknown else 0.1 + n / 1000 + seed / 1e6,
                "iv_source": "" if unknown else "mid",
                "iv_error": "no_price" if unknown else "",
                "delta": None if unknown else 0.5 - n / 100,
                "gamma": None if unknown else 1e-4 * (n + 1),
                "theta": None if unknown else -3.25 * (n + 1),
                "vega": None if unknown else 11.5 + n,
                "rho": None if unknown else 0.75 * n,
                "buildup": "" if unknown else "long_buildup",
                "quality_flags": ["crossed"] if n % 3 == 0 else [],
                "analysed_at": at,
            }
        )
    return rows


def _stored(ids: list[int]) -> list[dict[str, Any]]:
    return list(OptionQuote.objects.filter(id__in=ids).order_by("id").values("id", *FIELD_NAMES))


@pytest.mark.parametrize("writer", ["staged", "unnest", "by_row"])
def test_it_stores_every_analytics_field_as_given(minute_ids: tuple[datetime, list[int]], writer: str) -> None:
    minute, ids = minute_ids
    for seed in (1, 2):  # a second write replaces the first, nulls included
        rows = _rows(ids, seed=seed)
        if writer == "staged":  # a minute given: binary COPY into a stage, one UPDATE from it
            quotes_update(rows, minute=minute)
        elif writer == "unnest":
            quotes_update(rows)
        else:
            _quotes_update_by_row(rows)
        assert _stored(ids) == rows


def test_the_staged_update_touches_only_the_minute_it_names(minute_ids: tuple[datetime, list[int]]) -> None:
    minute, ids = minute_ids
    before = _stored(ids)
    quotes_update(_rows(ids, seed=1), minute=minute + timedelta(minutes=1))  # ids of another minute
    assert _stored(ids) == before
    quotes_update(_rows(ids, seed=1), minute=minute)  # and the stage left nothing behind for the next call
    quotes_update(_rows(ids[:2], seed=2), minute=minute)
    assert _stored(ids) == _rows(ids[:2], seed=2) + _rows(ids, seed=1)[2:]
