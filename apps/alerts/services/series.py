"""What a rule watches, point by point: the metric at each analysed minute after the rule's cursor.

Values are in the units users think in: IVs and the risk reversal in vol points (percent), IV rank 0-100,
strikes, rupees and ratios as stored. A bucket is resolved at each minute from that minute's analysed expiries,
as the analytics API resolves it, so a rule follows "this week" across expiries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pricing
from apps.alerts.choices import Metric
from apps.alerts.models import AlertRule
from apps.analytics.models import ChainSnapshot, VolatilitySnapshot
from apps.market.buckets import assign_buckets
from apps.market.calendar import session_close
from apps.market.clock import to_ist
from apps.participants.metrics import derived
from apps.participants.models import ParticipantKind, ParticipantPosition
from apps.participants.parser import FIELDS as PARTICIPANT_FIELDS

SNAPSHOT_FIELD = {
    Metric.SPOT: "spot",
    Metric.FORWARD: "forward",
    Metric.PCR_OI: "pcr_oi",
    Metric.PCR_VOLUME: "pcr_volume",
    Metric.PCR_DOI: "pcr_oi_change",
    Metric.MAX_PAIN: "max_pain",
    Metric.ATM_IV: "atm_iv",
    Metric.STRADDLE: "straddle",
    Metric.EXPECTED_MOVE: "expected_move",
    Metric.CALL_WALL: "call_oi_wall",
    Metric.PUT_WALL: "put_oi_wall",
    Metric.RR25: "rr25",
    Metric.NET_GEX: "net_gex",
    Metric.SENTIMENT: "sentiment",
}
PERCENT = frozenset({Metric.ATM_IV, Metric.RR25})
RANK_SESSIONS = 252
MAX_POINTS = 2000
"""Points per rule per evaluation; a longer backlog continues at the next evaluation."""


@dataclass(frozen=True)
class Point:
    minute: datetime
    value: float | None
    text: str = ""
    expiry: date | None = None


def _number(value: Any, metric: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return 100.0 * number if metric in PERCENT else number


def _chosen_expiry(rule: AlertRule, expiries: list[date], minute: datetime) -> date | None:
    if rule.expiry is not None:
        return rule.expiry if rule.expiry in expiries else None
    assert rule.underlying is not None
    buckets = assign_buckets(expiries, today=to_ist(minute).date(), has_weeklies=rule.underlying.has_weeklies)
    return buckets.get(rule.bucket or "this_week")


def _snapshot_points(rule: AlertRule, *, after: datetime | None, up_to: datetime) -> list[Point]:
    field = "cm30" if rule.metric == Metric.IV_RANK else SNAPSHOT_FIELD[Metric(rule.metric)]
    snapshots = ChainSnapshot.objects.filter(underlying=rule.underlying, minute__lte=up_to)
    if after is not None:
        snapshots = snapshots.filter(minute__gt=after)
    minutes = list(snapshots.order_by("minute").values_list("minute", flat=True).distinct()[:MAX_POINTS])
    if not minutes:
        return []
    rows = snapshots.filter(minute__lte=minutes[-1]).values_list(
        "minute", "expiry", *([] if field == "cm30" else [field])
    )
    by_minute: dict[datetime, dict[date, Any]] = defaultdict(dict)
    for row in rows:
        by_minute[row[0]][row[1]] = row[2] if len(row) > 2 else None
    if rule.metric == Metric.IV_RANK:
        return _iv_rank_points(rule, minutes)
    points = []
    for minute in minutes:
        expiries = sorted(by_minute[minute])
        expiry = _chosen_expiry(rule, expiries, minute)
        raw = by_minute[minute].get(expiry) if expiry else None
        if rule.metric == Metric.SENTIMENT:
            points.append(Point(minute, None, str(raw or ""), expiry) if raw else Point(minute, None, "", None))
        else:
            points.append(Point(minute, _number(raw, rule.metric), "", expiry))
    return points


def _iv_rank_points(rule: AlertRule, minutes: list[datetime]) -> list[Point]:
    """IV rank of the 30-day constant-maturity ATM IV: today's value against the last 252 sessions' closes
    (docs/conventions.md §3.4), as the iv-rank API computes it."""
    start = minutes[0] - timedelta(days=int(RANK_SESSIONS * 7 / 5) + 30)
    rows = VolatilitySnapshot.objects.filter(
        underlying=rule.underlying, minute__gte=start, minute__lte=minutes[-1], cm30_iv__isnull=False
    ).order_by("minute")
    closes: dict[date, float] = {}
    current: dict[datetime, float] = {}
    wanted = set(minutes)
    for minute, iv in rows.values_list("minute", "cm30_iv"):
        if iv is None:
            continue
        closes[to_ist(minute).date()] = iv
        if minute in wanted:
            current[minute] = iv
    days = sorted(closes)
    points = []
    for minute in minutes:
        if minute not in current:
            points.append(Point(minute, None))
            continue
        today = to_ist(minute).date()
        history = [closes[d] for d in days if d < today][-(RANK_SESSIONS - 1) :]
        rank = pricing.iv_rank([*history, current[minute]]) if history else math.nan
        points.append(Point(minute, rank if math.isfinite(rank) else None))
    return points


def _participant_points(rule: AlertRule, *, after: datetime | None) -> list[Point]:
    """One point per imported trading day (at that day's close): the category's net index futures."""
    rows = ParticipantPosition.objects.filter(kind=ParticipantKind.OI, category=rule.category).order_by("date")
    if after is not None:
        rows = rows.filter(date__gt=to_ist(after).date())
    points = []
    for row in rows[:MAX_POINTS]:
        values = {f: getattr(row, f) for f in PARTICIPANT_FIELDS}
        net = derived(values)["net_index_futures"]
        points.append(Point(session_close(row.date), float(net) if isinstance(net, int | float) else None))
    return points


def rule_points(rule: AlertRule, *, up_to: datetime) -> list[Point]:
    """The points after the rule's cursor, oldest first."""
    if rule.metric == Metric.PARTICIPANT_NET:
        return _participant_points(rule, after=rule.last_minute)
    return _snapshot_points(rule, after=rule.last_minute, up_to=up_to)


def latest_point(rule: AlertRule, *, now: datetime) -> tuple[datetime | None, Point | None]:
    """Where a new rule's cursor starts, and the value then (its baseline for moves_by and changes)."""
    if rule.metric == Metric.PARTICIPANT_NET:
        row = (
            ParticipantPosition.objects.filter(kind=ParticipantKind.OI, category=rule.category)
            .order_by("-date")
            .first()
        )
        if row is None:
            return None, None
        net = derived({f: getattr(row, f) for f in PARTICIPANT_FIELDS})["net_index_futures"]
        value = float(net) if isinstance(net, int | float) else None
        return session_close(row.date), Point(session_close(row.date), value)
    latest = (
        ChainSnapshot.objects.filter(underlying=rule.underlying, minute__lte=now)
        .order_by("-minute")
        .values_list("minute", flat=True)
        .first()
    )
    if latest is None:
        return None, None
    probe = AlertRule(
        underlying=rule.underlying,
        metric=rule.metric,
        bucket=rule.bucket,
        expiry=rule.expiry,
        last_minute=latest - timedelta(microseconds=1),
    )
    points = _snapshot_points(probe, after=probe.last_minute, up_to=latest)
    return latest, points[-1] if points else None
