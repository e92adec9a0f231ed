"""The daily-close rollups the history views read on PostgreSQL (migration 0007's triggers, docs/history.md).

Each test compares the rollups with what the minute tables themselves say, recomputed here in Python from every
row: after the reference archive is written and analysed, and again after updates and deletes of its rows. The
selectors' rollup reads are compared with their reads of the minute tables on the same windows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.analytics.models import (
    CLOSE_FIELDS,
    ChainDailyClose,
    ChainSnapshot,
    UnderlyingDailyClose,
    VolatilitySnapshot,
)
from apps.analytics.selectors.daily import _daily_last_live, daily_last, day_windows, expiries_by_day, latest_minute
from apps.analytics.services.daily_closes import daily_closes_forget
from apps.market.clock import ist_at, ist_day_bounds, to_ist
from apps.marketdata.models import UnderlyingQuote
from tests.analytics.history_reference import FIRST, LAST, reference_archive, sessions
from tests.factories.market import UnderlyingFactory

pytestmark = pytest.mark.django_db


def _chain_expected() -> dict[tuple[int, date, date], tuple[Any, ...]]:
    out: dict[tuple[int, date, date], tuple[Any, ...]] = {}
    fields = ("underlying_id", "expiry", "minute", *CLOSE_FIELDS)
    for row in ChainSnapshot.objects.order_by("minute").values_list(*fields):
        key = (row[0], to_ist(row[2]).date(), row[1])
        first = out[key][0] if key in out else row[2]
        out[key] = (first, row[2], *row[3:])
    return out


def _chain_rollup() -> dict[tuple[int, date, date], tuple[Any, ...]]:
    fields = ("underlying_id", "day", "expiry", "first_minute", "last_minute", *CLOSE_FIELDS)
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in ChainDailyClose.objects.values_list(*fields)}


def _last_non_null(model: Any, field: str, kept: tuple[str, ...]) -> dict[tuple[int, date], tuple[Any, ...]]:
    out = {}
    rows = model.objects.filter(**{f"{field}__isnull": False}).order_by("minute")
    for underlying_id, minute, *values in rows.values_list("underlying_id", "minute", *kept):
        out[(underlying_id, to_ist(minute).date())] = (minute, *values)
    return out


def _expiries_by_day_from_rows(underlying_id: int, lo: Any, hi: Any) -> dict[date, set[date]]:
    out: dict[date, set[date]] = {}
    rows = ChainSnapshot.objects.filter(underlying_id=underlying_id, minute__gte=lo, minute__lt=hi)
    for minute, expiry in rows.values_list("minute", "expiry"):
        out.setdefault(to_ist(minute).date(), set()).add(expiry)
    return out


def _underlying_rollup(minute: str, kept: tuple[str, ...]) -> dict[tuple[int, date], tuple[Any, ...]]:
    rows = UnderlyingDailyClose.objects.filter(**{f"{minute}__isnull": False})
    return {(r[0], r[1]): tuple(r[2:]) for r in rows.values_list("underlying_id", "day", minute, *kept)}


def _assert_rollups_match_the_minute_tables() -> None:
    assert _chain_rollup() == _chain_expected()
    assert _underlying_rollup("vix_minute", ("spot", "vix")) == _last_non_null(UnderlyingQuote, "vix", ("spot", "vix"))
    assert _underlying_rollup("cm30_minute", ("cm30_iv",)) == _last_non_null(
        VolatilitySnapshot, "cm30_iv", ("cm30_iv",)
    )
    assert _underlying_rollup("our_vix_minute", ("our_vix",)) == _last_non_null(
        VolatilitySnapshot, "our_vix", ("our_vix",)
    )


@pytest.fixture(scope="module")
def _archive_of_the_module(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """The reference archive, built once per module inside a transaction rolled back after its last test (as
    ``tests/api/conftest.py``'s market day): each test runs in a savepoint of it, so one test's updates and
    deletes are undone before the next, without 4-5 s per test to build the archive again."""
    with django_db_blocker.unblock(), transaction.atomic():
        underlying = UnderlyingFactory()
        reference_archive(underlying)
        yield underlying
        transaction.set_rollback(True)


@pytest.fixture
def archive(_archive_of_the_module: Any, db: None) -> Any:
    return _archive_of_the_module


def test_the_rollups_follow_every_insert_update_and_delete_of_the_minute_tables(archive) -> None:
    _assert_rollups_match_the_minute_tables()
    chains = len(_chain_expected())
    assert chains == 19 * 3  # every session's three expiries (a missing close leaves its day's row)

    day = sessions()[3]
    lo, hi = ist_day_bounds(day)
    snapshots = ChainSnapshot.objects.filter(underlying=archive, minute__gte=lo, minute__lt=hi)
    expiry = snapshots.order_by("expiry").values_list("expiry", flat=True).first()
    last = snapshots.filter(expiry=expiry).order_by("-minute").first()
    first = snapshots.filter(expiry=expiry).order_by("minute").first()
    assert last is not None and first is not None
    # The close changes with its row, and not with an earlier one.
    ChainSnapshot.objects.filter(pk=last.pk).update(pcr_oi=9.25, max_pain=None)
    ChainSnapshot.objects.filter(pk=first.pk).update(pcr_oi=0.125)
    _assert_rollups_match_the_minute_tables()
    assert ChainDailyClose.objects.get(underlying=archive, day=day, expiry=expiry).pcr_oi == 9.25
    # Deleting the close falls back to the minute before it; deleting a whole day of an expiry drops its row.
    ChainSnapshot.objects.filter(pk=last.pk).delete()
    _assert_rollups_match_the_minute_tables()
    other_day = sessions()[5]
    lo5, hi5 = ist_day_bounds(other_day)
    ChainSnapshot.objects.filter(underlying=archive, expiry=expiry, minute__gte=lo5, minute__lt=hi5).delete()
    _assert_rollups_match_the_minute_tables()
    assert len(_chain_expected()) == chains - 1

    # India VIX: the last non-null value of a day, even when the last one is set to NULL, or deleted.
    quotes = UnderlyingQuote.objects.filter(underlying=archive, minute__gte=lo, minute__lt=hi).order_by("-minute")
    closing = quotes.filter(vix__isnull=False).first()
    assert closing is not None
    UnderlyingQuote.objects.filter(pk=closing.pk).update(vix=None)
    _assert_rollups_match_the_minute_tables()
    UnderlyingQuote.objects.filter(underlying=archive, minute__gte=lo, minute__lt=hi, vix__isnull=False).update(
        vix=14.5
    )
    _assert_rollups_match_the_minute_tables()
    UnderlyingQuote.objects.filter(underlying=archive, minute__gte=lo5, minute__lt=hi5).delete()
    _assert_rollups_match_the_minute_tables()
    assert not UnderlyingDailyClose.objects.filter(day=other_day, vix_minute__isnull=False).exists()

    # The volatility snapshots' closes, each of its own field.
    vol = VolatilitySnapshot.objects.filter(underlying=archive, minute__gte=lo, minute__lt=hi).order_by("-minute")
    VolatilitySnapshot.objects.filter(pk=vol.first().pk).update(cm30_iv=None)  # type: ignore[union-attr]
    _assert_rollups_match_the_minute_tables()
    vol.last().delete()  # type: ignore[union-attr]
    _assert_rollups_match_the_minute_tables()


def test_the_rollup_reads_answer_what_the_minute_tables_answer(archive) -> None:
    start, end = ist_day_bounds(FIRST)[0], ist_day_bounds(LAST)[1] - timedelta(microseconds=1)
    windows = day_windows(start, end)
    by_day = {w.day: w for w in windows}
    for day, expiries in ChainDailyClose.objects.values_list("day", "expiry").order_by("day", "expiry"):
        by_day[day] = replace(by_day[day], expiry=expiries)
    chain_windows = [w for w in by_day.values() if w.expiry is not None]
    assert all(w.whole for w in chain_windows)  # every day whole: the rollup answers them all
    cases: list[tuple[Any, tuple[str, ...], str | None, bool, list[Any]]] = [
        (ChainSnapshot, ("expiry", *CLOSE_FIELDS), None, True, chain_windows),
        (UnderlyingQuote, ("spot", "vix"), "vix", False, windows),
        (UnderlyingQuote, ("vix",), "vix", False, windows),
        (VolatilitySnapshot, ("cm30_iv",), "cm30_iv", False, windows),
        (VolatilitySnapshot, ("our_vix",), "our_vix", False, windows),
    ]
    for model, fields, not_null, by_expiry, chosen in cases:
        read = daily_last(
            model=model, underlying_id=archive.id, windows=chosen, fields=fields, not_null=not_null, by_expiry=by_expiry
        )
        live = _daily_last_live(model, archive.id, chosen, fields, not_null, by_expiry)
        if fields != ("our_vix",):  # our VIX is absent on most of the reference's days (ATM scope)
            assert len(read) == 19
        assert read == [(row[0], row[1], tuple(row[2:])) for row in sorted(live, key=lambda r: r[0])]

    # Windows the range cuts (inside a day's minutes, before or after them): the rollup where it can tell, the
    # minute table where it cannot, the same answers.
    for lo_clock, hi_clock in ((time(9, 31), time(9, 30, 30)), (time(9, 30, 30), time(15, 0)), (time(16), time(9))):
        cut = day_windows(ist_at(sessions()[2], lo_clock), ist_at(sessions()[6], hi_clock))
        assert not cut[0].whole and not cut[-1].whole
        for model, fields, not_null, by_expiry, _ in cases:
            chosen = [replace(w, expiry=by_day[w.day].expiry) for w in cut] if by_expiry else cut
            chosen = [w for w in chosen if not by_expiry or w.expiry is not None]
            read = daily_last(
                model=model, underlying_id=archive.id, windows=chosen, fields=fields, not_null=not_null,
                by_expiry=by_expiry,
            )  # fmt: skip
            live = _daily_last_live(model, archive.id, chosen, fields, not_null, by_expiry)
            assert read == [(row[0], row[1], tuple(row[2:])) for row in sorted(live, key=lambda r: r[0])]
        assert expiries_by_day(
            underlying_id=archive.id, start=cut[0].lo, end=cut[-1].hi - timedelta(microseconds=1)
        ) == {
            day: sorted(expiries)
            for day, expiries in _expiries_by_day_from_rows(archive.id, cut[0].lo, cut[-1].hi).items()
        }

    # The latest minute at or before any time, a day's middle included, as the minute tables say.
    day = sessions()[4]
    moments = [None, ist_at(day, time(9, 30, 30)), ist_at(day, time(12)), ist_at(FIRST, time(0))]
    for at in moments:
        for model, not_null in ((ChainSnapshot, None), (UnderlyingQuote, "vix")):
            rows = model.objects.filter(underlying=archive)
            if not_null:
                rows = rows.filter(**{f"{not_null}__isnull": False})
            if at is not None:
                rows = rows.filter(minute__lte=at)
            expected = rows.order_by("-minute").values_list("minute", flat=True).first()
            assert latest_minute(model=model, underlying_id=archive.id, at=at, not_null=not_null) == expected


def test_forgetting_an_archived_day_drops_its_chain_closes_and_its_vix_but_keeps_its_volatility(archive) -> None:
    day = sessions()[2]
    assert daily_closes_forget(day=day) == 3 + 1
    assert not ChainDailyClose.objects.filter(day=day).exists()
    kept = UnderlyingDailyClose.objects.get(day=day)
    assert (kept.vix_minute, kept.spot, kept.vix) == (None, None, None)
    assert kept.cm30_iv is not None and kept.cm30_minute is not None


def test_analytics_compute_recompute_repairs_the_chain_and_volatility_closes(archive) -> None:
    ChainDailyClose.objects.update(pcr_oi=-1.0, max_pain=None)
    UnderlyingDailyClose.objects.update(cm30_iv=-1.0)
    call_command("analytics_compute", "--recompute", stdout=io.StringIO())
    assert _chain_rollup() == _chain_expected()
    assert _underlying_rollup("cm30_minute", ("cm30_iv",)) == _last_non_null(
        VolatilitySnapshot, "cm30_iv", ("cm30_iv",)
    )
