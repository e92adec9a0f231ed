"""Anomalies by robust z-score (``apps.quality.robust``): collection duration and rows per run after each run,
per-contract price and IV jumps after each analysed minute. Each kind is one warning event carrying the figure
that tripped it (repeats count on the open event)."""

from __future__ import annotations

import itertools
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from apps.market.clock import ist_label
from apps.market.models import Underlying
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote, UnderlyingQuote
from apps.monitoring.metrics import record_anomaly
from apps.monitoring.services import error_record
from apps.quality.robust import RobustScore, robust_z

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
    over the window of collected minutes."""
    minutes = list(
        UnderlyingQuote.objects.filter(underlying_id=underlying_id, minute__lte=minute)
        .order_by("-minute")
        .values_list("minute", flat=True)[: _window() + 2]
    )
    if len(minutes) < 3 or minutes[0] != minute:
        return []
    rows = OptionQuote.objects.filter(underlying_id=underlying_id, minute__in=minutes).values_list(
        "instrument_id", "minute", "last_price", "iv", "strike", "option_type", "expiry"
    )
    series: dict[int, list[tuple[datetime, float, float | None]]] = defaultdict(list)
    names: dict[int, str] = {}
    for instrument_id, at, price, iv, strike, option_type, expiry in rows:
        series[instrument_id].append((at, price, iv))
        names[instrument_id] = f"{strike:g} {option_type} {expiry:%d-%b}"
    symbol = Underlying.objects.values_list("symbol", flat=True).get(pk=underlying_id)
    threshold = _threshold()
    prices: list[Anomaly] = []
    ivs: list[Anomaly] = []
    for instrument_id, points in series.items():
        points.sort()
        if points[-1][0] != minute or points[-1][1] < MIN_PRICE:
            continue
        moves = [b[1] - a[1] for a, b in itertools.pairwise(points)]
        score = robust_z(moves[:-1], moves[-1]) if moves else None
        if score is not None and abs(score.z) >= threshold and score.mad > 0:
            prices.append(
                Anomaly(
                    "price_jump",
                    f"{symbol} {names[instrument_id]} at {ist_label(minute)}: last price moved {moves[-1]:+.2f} "
                    f"to {points[-1][1]:.2f}, {_z_text(score)} moves",
                    score,
                )
            )
        iv_points = [(a, b) for a, b in itertools.pairwise(points) if a[2] is not None and b[2] is not None]
        iv_moves = [100 * (b[2] - a[2]) for a, b in iv_points]  # type: ignore[operator]
        if iv_points and iv_points[-1][1][0] == minute:
            score = robust_z(iv_moves[:-1], iv_moves[-1])
            if score is not None and abs(score.z) >= threshold and score.mad > 0:
                ivs.append(
                    Anomaly(
                        "iv_jump",
                        f"{symbol} {names[instrument_id]} at {ist_label(minute)}: IV moved {iv_moves[-1]:+.2f} vol "
                        f"points to {100 * points[-1][2]:.2f} %, {_z_text(score, ' pts')} moves",  # type: ignore[operator]
                        score,
                    )
                )
    _record(prices, code="price_jump", label="price move", now=None)
    _record(ivs, code="iv_jump", label="IV move", now=None)
    return prices + ivs


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
