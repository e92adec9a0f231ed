"""Packing the daily-close rollups (``daily_closes_compact``, run by the nightly compaction): every write updates
its day's rollup row, so the tables fill with dead versions and their few live rows spread one a page; the
rewrite packs them and keeps every close."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F

from apps.analytics.models import ChainDailyClose, ChainSnapshot, UnderlyingDailyClose
from apps.analytics.services.daily_closes import daily_closes_compact
from apps.archive.tasks import partitions_compact_task
from tests.analytics.history_reference import reference_archive
from tests.factories.market import UnderlyingFactory

TABLES = [ChainDailyClose._meta.db_table, UnderlyingDailyClose._meta.db_table]


def _files() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relfilenode FROM pg_class WHERE relname = ANY(%s) ORDER BY relname", [TABLES])
        return [row[0] for row in cursor.fetchall()]


def _rows() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    chain = sorted(ChainDailyClose.objects.values_list("underlying_id", "day", "expiry", "first_minute",
                                                       "last_minute", "pcr_oi", "max_pain"))  # fmt: skip
    underlying = sorted(UnderlyingDailyClose.objects.values_list("underlying_id", "day", "vix_minute", "vix",
                                                                 "cm30_minute", "cm30_iv", "our_vix"))  # fmt: skip
    return chain, underlying


@pytest.mark.django_db(transaction=True)
def test_compacting_packs_the_rollups_and_keeps_every_close() -> None:
    reference_archive(UnderlyingFactory())
    # Rewrite every snapshot a few times, as a session's minutes do: each rewrite updates its day's rollup row.
    for _ in range(20):
        ChainSnapshot.objects.update(pcr_oi=F("pcr_oi"))
    rows = _rows()
    assert len(rows[0]) == 19 * 3 and len(rows[1]) == 19
    before = _files()

    assert daily_closes_compact() == TABLES

    # VACUUM FULL rewrote both heaps (new files) with the live rows only. (Not "so many pages": a version some
    # other session's snapshot may still see survives the rewrite, as in tests/archive/test_partitions.py; the
    # pages measured on a year's archive are in docs/history.md.)
    after = _files()
    assert len(after) == 2 and all(a != b for a, b in zip(after, before, strict=True))
    assert _rows() == rows
    # The nightly task packs them after the option-quote partitions.
    assert partitions_compact_task.apply().get()[-2:] == TABLES
    assert all(a != b for a, b in zip(_files(), after, strict=True))
    assert _rows() == rows
