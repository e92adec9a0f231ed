"""The per-quote analytics write-back: PostgreSQL's COPY-staged UPDATE (a minute given), its UPDATE ... FROM
unnest (none given) and the plain per-row UPDATE the
embedded SQLite mode runs (generic SQL, so it is checked here on the same rows) store exactly what they are given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.analytics.services.quote_writer import FIELD_NAMES, _quotes_update_by_row, quotes_update
from apps.archive.services.partitions import partitions_ahead
from apps.brokers.base import get_broker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.core import partitions
from apps.market.clock import to_ist
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


def test_the_write_back_of_a_minute_is_hot_on_its_day_partition() -> None:
    """The analytics UPDATE of each stored row leaves its new version in the same page without touching an index
    (HOT): the day partition keeps room for it (fillfactor 45) and no index names a column analytics writes
    (the partial index on ``analysed_at`` made none of them HOT; docs/benchmarks.md section 6)."""
    broker = get_broker("simulated")
    underlyings_load()
    instruments_sync(broker=broker)
    minute = broker.collection_minute(last_collected=None, now=timezone.now())
    partitions_ahead(today=to_ist(minute).date(), count=0)  # as beat makes each day's partitions ahead
    run = chain_collect(broker=broker, underlyings=["NIFTY"])
    assert run.status == CollectionStatus.SUCCESS and run.minute == minute, run.error
    ids = list(OptionQuote.objects.filter(minute=minute).order_by("id").values_list("id", flat=True))
    partition = partitions.partition_name(OptionQuote._meta.db_table, to_ist(minute).date())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'marketdata_optionquote%%' AND ("
            + " OR ".join("indexdef LIKE %s" for _ in FIELD_NAMES)
            + ")",
            [f"%{name}%" for name in FIELD_NAMES],
        )
        assert cursor.fetchone()[0] == 0  # no index names what analytics writes

        quotes_update(_rows(ids, seed=1), minute=minute)

        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [partition, partition],
        )
        updated, hot = cursor.fetchone()
    assert updated == len(ids) >= 20
    assert hot >= 0.9 * updated
