"""The data path: is the archive growing when the calendar says it should, and is analytics keeping up?"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from apps.analytics.models import AnalyticsCursor
from apps.health.components import Component, Status
from apps.market.calendar import market_status
from apps.market.clock import ist_label, to_ist
from apps.market.models import Underlying
from apps.marketdata.models import CollectionRun, CollectionStatus, OptionQuote
from apps.monitoring.metrics import record_analytics_lag

COLLECTION = "collection"
ANALYTICS = "analytics"
LAG_DEGRADED_MINUTES = 2
"""More archived minutes than this waiting for analytics is degraded ..."""
LAG_DOWN_MINUTES = 10
"""... and more than this is down (analytics is not keeping up, or not running)."""
LAG_COUNT_CAP = 1000
"""Backlogs are counted up to here: "at least 1000" is answer enough, and cheap."""


def _iso(value: datetime | None) -> str | None:
    return to_ist(value).isoformat() if value else None


def collection_check(*, now: datetime) -> Component:
    """In session and nothing collected for ``OPTRADING_COLLECTION_STALL_MINUTES`` = down; outside = fine."""
    stall = timedelta(minutes=int(settings.OPTRADING_COLLECTION_STALL_MINUTES))
    market = market_status(now)
    finished = CollectionRun.objects.exclude(status=CollectionStatus.RUNNING).exclude(finished_at=None)
    last = finished.order_by("-finished_at").first()
    last_ok = (
        finished.filter(status__in=[CollectionStatus.SUCCESS, CollectionStatus.PARTIAL])
        .order_by("-finished_at")
        .first()
    )
    data = {
        "market": market.state,
        "last_run_at": _iso(last.finished_at if last else None),
        "last_run_status": last.status if last else None,
        "last_run_minute": _iso(last.minute if last else None),
        "last_success_at": _iso(last_ok.finished_at if last_ok else None),
        "age_seconds": round((now - last_ok.finished_at).total_seconds(), 1)
        if last_ok and last_ok.finished_at
        else None,
        "stall_after_seconds": stall.total_seconds(),
    }
    if not market.is_open:
        seen = f"last run {ist_label(last.finished_at)} ({last.status})" if last and last.finished_at else "no runs yet"
        return Component(COLLECTION, Status.OK, f"market {market.state} ({market.reason}); {seen}", data=data)
    assert market.session_open is not None
    since = max(last_ok.finished_at, market.session_open) if last_ok and last_ok.finished_at else market.session_open
    quiet = now - since
    if quiet > stall:
        what = f"no minute collected for {quiet.total_seconds() / 60:.0f} min in session"
        if last is not None and last.finished_at and last.finished_at > since:
            what += f"; the last run ({ist_label(last.finished_at)}) {last.status}: {last.error[:200] or 'no error'}"
            suggestion = "Read the last run's error on the system page; a session error needs a Kite login."
        else:
            what += "; no run has finished since"
            suggestion = "Check the worker and beat components: collection runs on the worker, scheduled by beat."
        return Component(COLLECTION, Status.DOWN, what, suggestion, data)
    if last is not None and last.status == CollectionStatus.PARTIAL:
        return Component(
            COLLECTION,
            Status.DEGRADED,
            f"the last run was partial: {last.error[:200]}",
            "One underlying failed; the others were stored. See the run's details on the system page.",
            data,
        )
    return Component(COLLECTION, Status.OK, f"collecting; last success {quiet.total_seconds():.0f} s ago", data=data)


def analytics_check(*, now: datetime) -> Component:
    """Minutes archived but not analysed yet (behind each underlying's cursor), the worst underlying first."""
    cursors = dict(AnalyticsCursor.objects.values_list("underlying_id", "last_minute"))
    lags: dict[str, int] = {}
    for underlying_id, symbol in Underlying.objects.filter(active=True).values_list("id", "symbol"):
        pending = OptionQuote.objects.filter(underlying_id=underlying_id)
        if cursors.get(underlying_id) is not None:
            pending = pending.filter(minute__gt=cursors[underlying_id])
        lags[symbol] = pending.order_by().values("minute").distinct()[:LAG_COUNT_CAP].count()
        record_analytics_lag(symbol, lags[symbol])
    worst = max(lags.values(), default=0)
    data = {"lag_minutes": lags, "max_lag_minutes": worst}
    shown = ", ".join(f"{s} {n}" for s, n in lags.items() if n) or "none"
    capped = "at least " if worst >= LAG_COUNT_CAP else ""
    if worst > LAG_DOWN_MINUTES:
        return Component(
            ANALYTICS,
            Status.DOWN,
            f"{capped}{worst} archived minutes not analysed (behind: {shown})",
            "Check the worker serves the analytics queue; a large backlog (a restart, a bhavcopy import) catches up "
            "in chunks by itself.",
            data,
        )
    if worst > LAG_DEGRADED_MINUTES:
        return Component(
            ANALYTICS,
            Status.DEGRADED,
            f"{worst} archived minutes not analysed yet (behind: {shown})",
            "Usually a short backlog that catches up; if it keeps growing, check the worker.",
            data,
        )
    return Component(ANALYTICS, Status.OK, f"up to date (minutes behind: {shown})", data=data)
