"""Anomalies by robust z-score (``apps.quality.robust``): collection duration and rows per run after each run,
per-contract price and IV jumps after each analysed minute. Each kind is one warning event carrying the figure
that tripped it (repeats count on the open event)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from numpy.typing import NDArray

from apps.analytics.models import ChainSnapshot
from apps.market.clock import ist_label
from apps.market.models import Underlying
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote, UnderlyingQuote
from apps.monitoring.metrics import record_anomaly
from apps.monitoring.services import error_record
from apps.quality.robust import CONSISTENCY, MIN_WINDOW, RobustScore, robust_z

logger = logging.getLogger(__name__)

COMPONENT = "anomaly"
MIN_PRICE = 5.0
"""Contracts below ₹5 move by whole ticks; their jumps say nothing."""


@dataclass(frozen=True)
class Anomaly:
    kind: str
    message: str
    score: RobustScore


def _threshold() -> float:
    return float(settings.OPTRADING_ANOMALY_Z)


def _window() -> int:
    return max(int(settings.OPTRADING_ANOMALY_WINDOW), 2)


def _z_text(score: RobustScore, unit: str = "") -> str:
    z = ("+∞" if score.z > 0 else "-∞") if math.isinf(score.z) else f"{score.z:+.1f}"
    return f"robust z {z} against the median {score.median:.4g}{unit} (MAD {score.mad:.4g}{unit}) of the last {score.n}"


def _record(anomalies: list[Anomaly], *, code: str, label: str, now: datetime | None = None) -> None:
    if not anomalies:
        return
    worst = max(anomalies, key=lambda a: abs(a.score.z))
    more = f"; {len(anomalies) - 1} more" if len(anomalies) > 1 else ""
    record_anomaly(code)
    error_record(
        component=COMPONENT,
        code=code,
        message=worst.message + more,
        suggestion=f"A {label} far outside its recent range: check the broker and the collection runs around then. "
        "Nothing was changed; the data is stored as received.",
        now=now,
    )


def run_anomalies_check(*, run_id: int) -> list[Anomaly]:
    """The run's duration and stored rows against the previous finished runs of the same broker."""
    run = CollectionRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in (CollectionStatus.SUCCESS, CollectionStatus.PARTIAL):
        return []
    previous = list(
        CollectionRun.objects.filter(
            broker=run.broker,
            status__in=[CollectionStatus.SUCCESS, CollectionStatus.PARTIAL],
            started_at__lt=run.started_at,
        )
        .order_by("-started_at")
        .values_list("duration_ms", "quotes_stored")[: _window()]
    )
    found: list[Anomaly] = []
    when = ist_label(run.minute) if run.minute else f"run {run.pk}"
    if run.duration_ms is not None:
        score = robust_z([d / 1000 for d, _ in previous if d is not None], run.duration_ms / 1000)
        if score is not None and score.z >= _threshold():  # only slow runs matter; a fast one is no fault
            found.append(
                Anomaly(
                    "collection_duration",
                    f"{when}: collection took {run.duration_ms / 1000:.2f} s, {_z_text(score, ' s')} runs",
                    score,
                )
            )
    score = robust_z([float(q) for _, q in previous], float(run.quotes_stored))
    if score is not None and abs(score.z) >= _threshold():
        found.append(
            Anomaly(
                "rows_per_run",
                f"{when}: the run stored {run.quotes_stored} rows, {_z_text(score, ' rows')} runs",
                score,
            )
        )
    _record([a for a in found if a.kind == "collection_duration"], code="collection_duration", label="collection time")
    _record([a for a in found if a.kind == "rows_per_run"], code="rows_per_run", label="row count")
    return found


def quote_anomalies_check(*, underlying_id: int, minute: datetime) -> list[Anomaly]:
    """Each contract's move into ``minute`` (last price, and IV in vol points) against its own previous moves
    over the window of collected minutes.

    A move is the change between two consecutive stored points of the contract (a minute it was not quoted is
    skipped, not a zero move); an IV move needs both points' IV. Only contracts quoted at ``minute`` at
    ``MIN_PRICE`` or more count, and only a window with a non-zero MAD (``robust_z``'s rules otherwise).
    Vectorised: the window's minutes (each read once from the database after it was analysed, then from the
    cache) as arrays by contract and minute, moves and robust scores as whole arrays."""
    minutes = list(
        UnderlyingQuote.objects.filter(underlying_id=underlying_id, minute__lte=minute)
        .order_by("-minute")
        .values_list("minute", flat=True)[: _window() + 2]
    )
    if len(minutes) < 3 or minutes[0] != minute:
        return []
    window = _window_read(underlying_id, minutes)
    if window is None:
        return []
    symbol = Underlying.objects.values_list("symbol", flat=True).get(pk=underlying_id)
    threshold = _threshold()
    price_hits = _jumps(window.prices, window, threshold)
    iv_hits = _jumps(100 * window.ivs, window, threshold)
    names = _contract_names(underlying_id, minute, {window.instrument_ids[i] for i, _ in price_hits + iv_hits})
    prices = [
        Anomaly(
            "price_jump",
            f"{symbol} {names[window.instrument_ids[i]]} at {ist_label(minute)}: last price moved "
            f"{window.last_move(window.prices, i):+.2f} to {window.last_value(window.prices, i):.2f}, "
            f"{_z_text(score)} moves",
            score,
        )
        for i, score in price_hits
    ]
    ivs = [
        Anomaly(
            "iv_jump",
            f"{symbol} {names[window.instrument_ids[i]]} at {ist_label(minute)}: IV moved "
            f"{window.last_move(100 * window.ivs, i):+.2f} vol points to "
            f"{100 * window.last_value(window.ivs, i):.2f} %, {_z_text(score, ' pts')} moves",
            score,
        )
        for i, score in iv_hits
    ]
    _record(prices, code="price_jump", label="price move", now=None)
    _record(ivs, code="iv_jump", label="IV move", now=None)
    return prices + ivs


@dataclass(frozen=True)
class _Window:
    """The stored points of the contracts quoted at the checked minute at ``MIN_PRICE`` or more, one row per
    contract, left-aligned in minute order and NaN-padded: ``prices``/``ivs`` (contracts by points), the number
    of points of each row in ``counts`` (its last point is the checked minute)."""

    instrument_ids: list[int]
    prices: NDArray[np.float64]
    ivs: NDArray[np.float64]
    counts: NDArray[np.int64]

    def last_value(self, values: NDArray[np.float64], row: int) -> float:
        return float(values[row, self.counts[row] - 1])

    def last_move(self, values: NDArray[np.float64], row: int) -> float:
        return float(values[row, self.counts[row] - 1] - values[row, self.counts[row] - 2])


_CACHE_PREFIX = "optrading:anomaly-minute"


def _minute_stamps(underlying_id: int, minutes: list[datetime]) -> dict[datetime, datetime]:
    """When each analysed minute of the window was last analysed (its chain snapshots' ``computed_at``): analytics
    rewrites them with every run of the minute, a recompute included, so a cached minute keyed by it is never
    stale. Minutes without a snapshot (not analysed) have none and are always read."""
    rows = (
        ChainSnapshot.objects.filter(
            underlying_id=underlying_id, minute__in=minutes, minute__gte=minutes[-1], minute__lte=minutes[0]
        )
        .values("minute")
        .annotate(stamp=Max("computed_at"))
        .values_list("minute", "stamp")
    )
    return dict(rows)


def _cache_key(underlying_id: int, minute: datetime, stamp: datetime) -> str:
    return f"{_CACHE_PREFIX}:{underlying_id}:{minute.timestamp():.0f}:{stamp.timestamp():.6f}"


_Minute = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]
"""One minute's contracts: instrument ids, last prices, IVs (NaN when none)."""


def _minutes_read(underlying_id: int, minutes: list[datetime]) -> dict[datetime, _Minute]:
    quotes = OptionQuote.objects.filter(
        underlying_id=underlying_id, minute__in=minutes, minute__gte=min(minutes), minute__lte=max(minutes)
    )
    grouped: dict[datetime, list[tuple[int, float, float | None]]] = {m: [] for m in minutes}
    if len(minutes) == 1:  # the usual read, the one new minute: no timestamp to load per row
        grouped[minutes[0]] = list(quotes.values_list("instrument_id", "last_price", "iv"))
    else:
        for at, instrument_id, price, iv in quotes.values_list("minute", "instrument_id", "last_price", "iv"):
            grouped[at].append((instrument_id, price, iv))
    return {
        at: (
            np.fromiter((r[0] for r in points), dtype=np.int64, count=len(points)),
            np.fromiter((r[1] for r in points), dtype=np.float64, count=len(points)),
            np.fromiter((math.nan if r[2] is None else r[2] for r in points), dtype=np.float64, count=len(points)),
        )
        for at, points in grouped.items()
    }


def _minutes_get(underlying_id: int, minutes: list[datetime]) -> dict[datetime, _Minute]:
    """Each minute's contracts, from the cache where the minute was read since it was last analysed, the rest
    from the database in one query (and cached): a minute's check reads one new minute, not the whole window.
    A cache that does not answer only means reading everything."""
    stamps = _minute_stamps(underlying_id, minutes)
    keys = {m: _cache_key(underlying_id, m, stamps[m]) for m in minutes if m in stamps}
    try:
        cached: dict[str, _Minute] = cache.get_many(list(keys.values())) if keys else {}
    except Exception:  # a cache outage costs speed, never the check
        logger.warning("anomaly window cache unavailable; reading the window from the database", exc_info=True)
        cached = {}
    found = {m: cached[keys[m]] for m in minutes if m in keys and keys[m] in cached}
    missing = [m for m in minutes if m not in found]
    if missing:
        read = _minutes_read(underlying_id, missing)
        found.update(read)
        fresh = {keys[m]: read[m] for m in missing if m in keys}
        if fresh:
            try:
                cache.set_many(fresh, timeout=_cache_seconds())
            except Exception:
                logger.warning("anomaly window cache unavailable; not caching", exc_info=True)
    return found


def _cache_seconds() -> int:
    """Long enough for a minute to stay in the window of the minutes after it (one collected minute a minute)."""
    return (_window() + 5) * 60


def _window_read(underlying_id: int, minutes: list[datetime]) -> _Window | None:
    by_minute = _minutes_get(underlying_id, minutes)
    ordered = sorted(minutes)  # oldest first; the checked minute is the last
    ids = np.concatenate([by_minute[m][0] for m in ordered])
    if not len(ids):
        return None
    position = np.concatenate([np.full(len(by_minute[m][0]), i) for i, m in enumerate(ordered)])
    order = np.lexsort((position, ids))  # by contract, then minute
    ids, position = ids[order], position[order]
    prices = np.concatenate([by_minute[m][1] for m in ordered])[order]
    ivs = np.concatenate([by_minute[m][2] for m in ordered])[order]
    checked = position == len(ordered) - 1
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    counts = np.diff(np.r_[starts, len(ids)])
    last = starts + counts - 1
    keep = checked[last] & (prices[last] >= MIN_PRICE)
    if not keep.any():
        return None
    starts, counts = starts[keep], counts[keep]
    column = np.arange(int(counts.max()))
    present = column[None, :] < counts[:, None]
    flat = np.where(present, starts[:, None] + column[None, :], 0)
    return _Window(
        instrument_ids=[int(i) for i in ids[starts]],
        prices=np.where(present, prices[flat], np.nan),
        ivs=np.where(present, ivs[flat], np.nan),
        counts=counts,
    )


def _jumps(values: NDArray[np.float64], window: _Window, threshold: float) -> list[tuple[int, RobustScore]]:
    """(row, score) of the contracts whose last move is ``threshold`` robust z or more from their earlier moves
    (``robust_z``'s median and MAD, over at least ``MIN_WINDOW`` finite moves, MAD > 0)."""
    rows = np.arange(len(window.counts))
    moves = np.diff(values, axis=1)  # NaN past each row's points and wherever a point has no value
    if not moves.shape[1]:
        return []
    last = np.where(window.counts >= 2, moves[rows, np.maximum(window.counts - 2, 0)], np.nan)
    earlier = np.where(np.arange(moves.shape[1])[None, :] < (window.counts - 2)[:, None], moves, np.nan)
    n = np.isfinite(earlier).sum(axis=1)
    usable = (n >= MIN_WINDOW) & np.isfinite(last)
    if not usable.any():
        return []
    earlier, last, n, rows = earlier[usable], last[usable], n[usable], rows[usable]
    median = np.nanmedian(earlier, axis=1)
    mad = np.nanmedian(np.abs(earlier - median[:, None]), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = CONSISTENCY * (last - median) / mad
    hit = (mad > 0) & (np.abs(z) >= threshold)
    return [
        (int(rows[k]), RobustScore(z=float(z[k]), median=float(median[k]), mad=float(mad[k]), n=int(n[k])))
        for k in np.flatnonzero(hit)
    ]


def _contract_names(underlying_id: int, minute: datetime, instrument_ids: set[int]) -> dict[int, str]:
    if not instrument_ids:
        return {}
    rows = OptionQuote.objects.filter(
        underlying_id=underlying_id, minute=minute, instrument_id__in=instrument_ids
    ).values_list("instrument_id", "strike", "option_type", "expiry")
    return {i: f"{strike:g} {option_type} {expiry:%d-%b}" for i, strike, option_type, expiry in rows}


def _on_collection_committed(sender: object, *, run_id: int, **kwargs: object) -> None:
    try:
        run_anomalies_check(run_id=run_id)
    except Exception:  # a receiver never breaks the run that committed
        logger.exception("anomaly check of run %s failed", run_id)


def _on_analytics_committed(sender: object, *, underlying_id: int, minute: datetime, **kwargs: object) -> None:
    try:
        quote_anomalies_check(underlying_id=underlying_id, minute=minute)
    except Exception:
        logger.exception("anomaly check of underlying %s at %s failed", underlying_id, minute)


def receivers_connect() -> None:
    from apps.analytics.signals import analytics_committed
    from apps.collection.signals import collection_committed

    collection_committed.connect(_on_collection_committed, dispatch_uid="quality.anomalies.collection")
    analytics_committed.connect(_on_analytics_committed, dispatch_uid="quality.anomalies.analytics")
