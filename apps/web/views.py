"""Server-rendered pages. Each view parses its query, calls selectors, and renders; the live parts
(chain, health) then update over the websocket feeds, and the charts draw the selectors' data embedded
in the page as JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, TypedDict, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from apps.analytics import selectors as analytics
from apps.analytics.selectors import vol_views
from apps.analytics.selectors.chain import ChainSummary, GammaExposure, IvSmile, OiByStrike
from apps.analytics.selectors.history import History, Overlay, VolatilitySeries
from apps.analytics.selectors.vol_views import Exposures, SkewHistory, TermStructure
from apps.analytics.selectors.volatility import OurVixReading
from apps.api import params
from apps.brokers.base import BrokerError, get_broker
from apps.brokers.selectors import auth_status_get
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.calendar import is_trading_day
from apps.market.choices import ExpiryBucket
from apps.market.clock import IST, ist_day_bounds
from apps.market.models import Underlying
from apps.marketdata.selectors import SpotPoint, chain_minute_at, spot_path, underlying_list_with_spot
from apps.overview.selectors import overview_breadth, overview_indices, overview_sectors
from apps.participants.models import ParticipantKind
from apps.participants.selectors import participants_dates, participants_for_date, participants_history
from apps.web import ops_views
from apps.web.ops_views import system_context
from apps.web.selectors import chain_minutes_of_day, option_lot_sizes

View = Callable[..., HttpResponse]
T = TypeVar("T")
BUCKET_CHOICES = [(c.value, c.label) for c in ExpiryBucket if c != ExpiryBucket.OTHER]


def page(view: View) -> View:
    """Login required; an ApplicationError (bad query parameter) renders as a page that says what was wrong."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return render(request, "web/error.html", {"message": exc.message}, status=exc.status_code)

    return wrapper


def _chain_context(request: HttpRequest) -> dict[str, Any]:
    """The underlying tabs and the selected symbol and expiry bucket (default: the first underlying, this week)."""
    underlyings = underlying_list_with_spot()
    symbol = request.GET.get("symbol") or (underlyings[0].underlying.symbol if underlyings else "")
    selected = params.underlying_get(symbol=symbol) if symbol else None
    bucket = params.parse_choice(request.GET, "bucket", params.SELECTABLE_BUCKETS, default=ExpiryBucket.THIS_WEEK)
    return {
        "underlyings": underlyings,
        "selected": selected,
        "bucket": bucket,
        "buckets": BUCKET_CHOICES,
    }


def _or_none(selector: Callable[..., T], **kwargs: Any) -> T | None:
    """A selector's data, or None when analytics has nothing for it yet (the page says so instead of failing)."""
    try:
        return selector(**kwargs)
    except NotFoundError:
        return None


class TimeTravel(TypedDict):
    """The "as of" control of a page (embedded as JSON): the archived minutes of one IST day to step through,
    and the minute asked for by the URL (``at=``, IST without an offset) when the page opens in replay."""

    day: str | None
    """The IST day shown: ``date=``, the day of ``at=``, or the day of the latest archived minute."""
    minutes: list[str]
    at: str | None
    """ISO UTC of the requested moment; None means live."""


def _time_travel(request: HttpRequest, underlying: Underlying | None) -> TimeTravel:
    at = params.parse_at(request.GET)
    day = params.parse_date(request.GET, "date")
    if at is not None:
        day = at.astimezone(IST).date()
    if day is None and underlying is not None:
        latest = chain_minute_at(underlying=underlying, at=timezone.now())
        day = latest.astimezone(IST).date() if latest else None
    minutes = chain_minutes_of_day(underlying=underlying, day=day) if underlying and day else []
    if at is None and request.GET.get("date") and minutes:
        at = minutes[-1]  # a past day picked without a minute opens at that day's last minute
    return TimeTravel(
        day=day.isoformat() if day else None,
        minutes=[minute.isoformat() for minute in minutes],
        at=at.isoformat() if at else None,
    )


@page
def dashboard(request: HttpRequest) -> HttpResponse:
    """The chain page. Live, the chain arrives over the websocket and the stats start from the latest analytics;
    with ``at=`` (or a past ``date=``) the page replays the archive minute by minute through the API."""
    context = _chain_context(request)
    selected = context["selected"]
    travel = _time_travel(request, selected)
    at = datetime.fromisoformat(travel["at"]) if travel["at"] else None
    summary = (
        _or_none(analytics.chain_summary, underlying=selected, bucket=context["bucket"], at=at) if selected else None
    )
    lots = option_lot_sizes(underlying=selected) if selected else {}
    return render(request, "web/dashboard.html", {**context, "summary": summary, "travel": travel, "lots": lots})


class ChartsData(TypedDict):
    """What the charts page draws (embedded in the page as JSON); None where analytics has nothing yet."""

    summary: ChainSummary
    smile: IvSmile | None
    oi: OiByStrike | None
    gex: GammaExposure | None
    overlay: Overlay | None
    pcr_oi: History | None
    max_pain: History | None
    our_vix: OurVixReading | None
    """Our India-VIX-style index at the summary's minute, or the reason it is absent."""
    volatility: VolatilitySeries | None
    term: TermStructure | None
    """ATM IV, straddle and 1-sigma move of every expiry analysed at the minute."""
    exposures: Exposures | None
    """Gamma (and delta, vanna, charm) exposure by strike of the chosen expiry, with the gamma flip."""
    skew: SkewHistory | None
    """RR25, BF25, ATM IV and straddle of the chosen expiry at each analysed minute of the session so far."""
    spot: list[SpotPoint]
    """The spot at each archived minute of the session so far (the expected-move bands are drawn around it)."""


def _charts_data(*, underlying: Underlying, bucket: str, at: datetime | None = None) -> ChartsData | None:
    """Everything the charts page draws, for the latest analysed minute at or before ``at`` (default: the latest)
    and its IST session up to that minute."""
    summary = _or_none(analytics.chain_summary, underlying=underlying, bucket=bucket, at=at)
    if summary is None:
        return None
    minute = datetime.fromisoformat(summary["minute"])
    start, _ = ist_day_bounds(minute.astimezone(IST).date())
    point = {"underlying": underlying, "bucket": bucket, "at": minute}
    day = {"underlying": underlying, "bucket": bucket, "start": start, "end": minute}
    return ChartsData(
        summary=summary,
        smile=_or_none(analytics.iv_smile, **point),
        oi=_or_none(analytics.oi_by_strike, **point),
        gex=_or_none(analytics.gex, **point),
        overlay=_or_none(analytics.overlay, **point),
        pcr_oi=_or_none(analytics.history, field="pcr_oi", **day),
        max_pain=_or_none(analytics.history, field="max_pain", **day),
        our_vix=_or_none(analytics.our_vix_at, underlying=underlying, at=minute),
        volatility=_or_none(analytics.volatility_series, underlying=underlying, start=start, end=minute),
        term=_or_none(vol_views.term_structure, underlying=underlying, at=minute),
        exposures=_or_none(vol_views.exposures, **point),
        skew=_or_none(
            vol_views.skew_history, underlying=underlying, bucket=bucket, start=start, end=minute, daily=False
        ),
        spot=spot_path(underlying=underlying, start=start, end=minute),
    )


@page
def charts(request: HttpRequest) -> HttpResponse:
    """The charts of one minute: the latest analysed, or the one of ``at=`` (time travel, as on the chain page)."""
    context = _chain_context(request)
    selected = context["selected"]
    travel = _time_travel(request, selected)
    at = datetime.fromisoformat(travel["at"]) if travel["at"] else None
    data = _charts_data(underlying=selected, bucket=context["bucket"], at=at) if selected else None
    return render(request, "web/charts.html", {**context, "charts": data, "travel": travel})


@login_required
def charts_data(request: HttpRequest) -> HttpResponse:
    """The charts page's data as JSON for one minute (``symbol``, ``bucket``, ``at``), redrawn without a reload
    while the page replays; a bad parameter is a 4xx ``{"error": ...}``, a minute with no analytics 404."""
    try:
        context = _chain_context(request)
        selected = context["selected"]
        if selected is None:
            raise NotFoundError("No underlyings yet.")
        data = _charts_data(underlying=selected, bucket=context["bucket"], at=params.parse_at(request.GET))
    except ApplicationError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status_code)
    if data is None:
        return JsonResponse(
            {"error": f"No analytics for {selected.symbol} ({context['bucket']}) at that minute."}, status=404
        )
    return JsonResponse(data)


SKEW_DAYS = 30
"""The volatility page's default skew range: the 30 calendar days up to the day shown."""
SKEW_MAX_DAYS = 366


class VolatilityRange(TypedDict):
    """The volatility page's skew-across-days request (embedded as JSON): the API's from/to/bucket and the
    exchange's sessions in that range, the x axis on which a session without data is a gap."""

    symbol: str
    bucket: str
    start: str
    end: str
    sessions: list[str]


def _skew_range(request: HttpRequest, underlying: Underlying, bucket: str, day: str | None) -> VolatilityRange:
    first, last = params.parse_date_range(request.GET)
    if last is None:
        last = date.fromisoformat(day) if day else timezone.now().astimezone(IST).date()
    if first is None:
        first = last - timedelta(days=SKEW_DAYS)
    if first > last:
        raise ApplicationError(f"from={first.isoformat()} is after the day shown ({last.isoformat()}); give to= too.")
    if (last - first).days > SKEW_MAX_DAYS:
        raise ApplicationError(f"from={first.isoformat()} to to={last.isoformat()} is over {SKEW_MAX_DAYS} days.")
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return VolatilityRange(
        symbol=underlying.symbol,
        bucket=bucket,
        start=first.isoformat(),
        end=last.isoformat(),
        sessions=[d.isoformat() for d in days if is_trading_day(d, underlying.exchange)],
    )


@page
def volatility(request: HttpRequest) -> HttpResponse:
    """The IV surface (strikes x expiries), the smiles and the term structure as of a minute (``at=``, time travel
    as on the chain page), and the skew across days (``from=``/``to=``, default the 30 days up to the day shown)
    for the expiry bucket; the page reads the surface, term-structure and skew-history APIs itself."""
    context = _chain_context(request)
    selected = context["selected"]
    travel = _time_travel(request, selected)
    skew = _skew_range(request, selected, context["bucket"], travel["day"]) if selected else None
    return render(request, "web/volatility.html", {**context, "travel": travel, "skew": skew})


@page
def futures(request: HttpRequest) -> HttpResponse:
    """Each listed future through one IST day (``date=``, default the day of the latest archived spot): price,
    basis, annualised carry, the near-next calendar spread, open interest and rollover %; the page reads the
    futures API itself."""
    context = _chain_context(request)
    selected = context["selected"]
    day = params.parse_date(request.GET, "date")
    if day is None and selected is not None:
        latest = next((item.quote for item in context["underlyings"] if item.underlying.pk == selected.pk), None)
        day = latest.minute.astimezone(IST).date() if latest else None
    return render(request, "web/futures.html", {**context, "day": day.isoformat() if day else None})


FLOW_FIELDS = [
    ("oi", "OI"),
    ("doi_open", "ΔOI vs the previous close"),
    ("doi_interval", "ΔOI per interval"),
    ("volume", "Volume"),
]


FLOW_INTERVALS = ["1", "5", "15"]


@page
def oi_flow(request: HttpRequest) -> HttpResponse:
    """The OI-flow heatmap (strikes by minutes of one day and expiry); the page reads the oi-flow API itself."""
    context = _chain_context(request)
    travel = _time_travel(request, context["selected"])
    field = params.parse_choice(request.GET, "field", [name for name, _ in FLOW_FIELDS], default="oi")
    interval = params.parse_choice(request.GET, "interval", FLOW_INTERVALS, default="5")
    return render(
        request,
        "web/oi_flow.html",
        {
            **context,
            "day": travel["day"],
            "field": field,
            "interval": interval,
            "fields": FLOW_FIELDS,
            "intervals": FLOW_INTERVALS,
        },
    )


@page
def strategy(request: HttpRequest) -> HttpResponse:
    """The strategy builder: legs from the chain as of a minute (``at=``, default the latest) or from templates;
    the payoff comes from the strategies API (the page says so when the server does not have it)."""
    context = _chain_context(request)
    selected = context["selected"]
    travel = _time_travel(request, selected)
    lots = option_lot_sizes(underlying=selected) if selected else {}
    return render(request, "web/strategy.html", {**context, "travel": travel, "lots": lots})


@page
def participants(request: HttpRequest) -> HttpResponse:
    dates = participants_dates(kind=ParticipantKind.OI)
    day = params.parse_date(request.GET, "date") or (dates[0] if dates else None)
    session = participants_for_date(day, kind=ParticipantKind.OI) if day else None
    history = participants_history(day - timedelta(days=45), day, kind=ParticipantKind.OI) if day else []
    return render(
        request,
        "web/participants.html",
        {"dates": dates[:60], "day": day, "session": session, "history": history},
    )


@page
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/overview.html",
        {"indices": overview_indices(), "breadth": overview_breadth(), "sectors": overview_sectors()},
    )


@page
def system(request: HttpRequest) -> HttpResponse:
    return render(request, "web/system.html", system_context())


@page
def alerts(request: HttpRequest) -> HttpResponse:
    return ops_views.alerts(request)


@page
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    return ops_views.webhook_enable_view(request, pk)


@page
def broker(request: HttpRequest) -> HttpResponse:
    try:
        ready, detail = get_broker().ready()
    except BrokerError as exc:
        ready, detail = False, str(exc)
    return render(
        request,
        "web/broker.html",
        {
            "broker_name": settings.OPTRADING_BROKER,
            "ready": ready,
            "detail": detail,
            "kite": auth_status_get(provider="kite"),
            "kite_login_url": reverse("brokers:kite-login"),
            "kite_configured": bool(settings.KITE_API_KEY),
        },
    )
