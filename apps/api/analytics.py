"""/analytics/{symbol}/...: the analytics selectors behind HTTP. Each view parses its parameters, calls one
selector and returns its dict; the selectors raise the 4xx errors about data that is not there."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics import selectors
from apps.api import analytics_schema as shapes
from apps.api import params
from apps.api.chain import SYMBOL_PARAMETER
from apps.api.serializers import ErrorSerializer
from apps.archive.selectors import ArchivedError, archived_days_between
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.clock import to_ist
from apps.market.models import Underlying

HISTORY_FIELDS = ["pcr_oi", "pcr_volume", "max_pain", "atm_iv", "straddle", "expected_move", "rr25", "bf25", "net_gex"]
COMPARISON_FIELDS = ["pcr_oi", "max_pain", "pcr_volume", "atm_iv", "straddle"]
DEFAULT_HISTORY_DAYS = 30

EXPIRY_PARAMETERS = [
    OpenApiParameter(
        "bucket",
        OpenApiTypes.STR,
        enum=params.SELECTABLE_BUCKETS,
        description="Expiry bucket at that minute (instead of expiry). Default: the nearest expiry.",
    ),
    OpenApiParameter("expiry", OpenApiTypes.DATE, description="Expiry date YYYY-MM-DD (instead of bucket)."),
]
AT_PARAMETER = OpenApiParameter(
    "at",
    OpenApiTypes.DATETIME,
    description="ISO 8601 time (IST without an offset); the latest analysed minute at or before it. Default: latest.",
)
RANGE_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.STR, description="Start: a date (IST day start) or ISO time. Default: to - 30 days."
    ),
    OpenApiParameter("to", OpenApiTypes.STR, description="End: a date (IST day end) or ISO time. Default: now."),
]
ERRORS: dict[int, Any] = {400: ErrorSerializer, 404: ErrorSerializer}


def _expiry_args(query: Mapping[str, str]) -> dict[str, Any]:
    bucket = params.parse_choice(query, "bucket", params.SELECTABLE_BUCKETS, default="") or None
    return {"expiry": params.parse_date(query, "expiry"), "bucket": bucket, "at": params.parse_at(query)}


CHAIN_ANALYTICS_PARAMETERS = [SYMBOL_PARAMETER, *EXPIRY_PARAMETERS, AT_PARAMETER]


class SummaryApi(APIView):
    """ATM IV, straddle, expected move, PCR (OI, volume, ΔOI), max pain, RR25/BF25, OI walls, net GEX,
    sentiment."""

    @extend_schema(parameters=CHAIN_ANALYTICS_PARAMETERS, responses={200: shapes.SummarySerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        return Response(selectors.chain_summary(underlying=underlying, **_expiry_args(request.query_params)))


class GreeksApi(APIView):
    """Every strike with both legs' premium, IV, greeks, OI, build-up and quality flags."""

    @extend_schema(parameters=CHAIN_ANALYTICS_PARAMETERS, responses={200: shapes.GreeksSerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        return Response(selectors.chain_greeks(underlying=underlying, **_expiry_args(request.query_params)))


class IvSmileApi(APIView):
    """IV by strike and log-moneyness (OTM side), with RR25 and BF25."""

    @extend_schema(parameters=CHAIN_ANALYTICS_PARAMETERS, responses={200: shapes.SmileSerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        return Response(selectors.iv_smile(underlying=underlying, **_expiry_args(request.query_params)))


class IvSurfaceApi(APIView):
    """The OTM smile of every expiry analysed at the minute."""

    @extend_schema(parameters=CHAIN_ANALYTICS_PARAMETERS, responses={200: shapes.SurfaceSerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        return Response(selectors.iv_surface(underlying=underlying, **_expiry_args(request.query_params)))


class OiApi(APIView):
    """OI, change in OI and volume by strike, with the OI walls, PCR and max pain."""

    @extend_schema(parameters=CHAIN_ANALYTICS_PARAMETERS, responses={200: shapes.OiSerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        return Response(selectors.oi_by_strike(underlying=underlying, **_expiry_args(request.query_params)))


class GexApi(APIView):
    """Dealer gamma exposure by strike and net, ₹ per 1 % move."""

    @extend_schema(parameters=CHAIN_ANALYTICS_PARAMETERS, responses={200: shapes.GexSerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        return Response(selectors.gex(underlying=underlying, **_expiry_args(request.query_params)))


class PriceToggleApi(APIView):
    """Premium series per strike offset as last price or the day's VWAP, with TWAP and percentiles."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            *EXPIRY_PARAMETERS,
            AT_PARAMETER,
            OpenApiParameter("mode", OpenApiTypes.STR, enum=["last", "average"], description="Default last."),
            OpenApiParameter(
                "sessions", OpenApiTypes.INT, description="Past sessions for percentiles (0-250, default 20)."
            ),
        ],
        responses={200: shapes.PriceToggleSerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        query = request.query_params
        mode = params.parse_choice(query, "mode", ["last", "average"], default="last")
        sessions = params.parse_int(query, "sessions", default=20, minimum=0, maximum=250)
        return Response(
            selectors.price_toggle(underlying=underlying, mode=mode, sessions=sessions, **_expiry_args(query))
        )


class OverlayApi(APIView):
    """Today's ATM straddle by minute against the mean, ±1 sigma and range of past sessions of the same bucket."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            *EXPIRY_PARAMETERS,
            AT_PARAMETER,
            OpenApiParameter("weekday", OpenApiTypes.INT, description="0 = Monday ... 6 = Sunday. Default: today's."),
            OpenApiParameter("sessions", OpenApiTypes.INT, description="Past sessions to compare (1-60, default 8)."),
            OpenApiParameter(
                "align", OpenApiTypes.STR, enum=["weekday", "dte"], description="Same weekday, or same days to expiry."
            ),
        ],
        responses={200: shapes.OverlaySerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        query = request.query_params
        weekday = params.parse_int(query, "weekday", default=-1, minimum=0, maximum=6) if query.get("weekday") else None
        return Response(
            selectors.overlay(
                underlying=underlying,
                weekday=weekday,
                sessions=params.parse_int(query, "sessions", default=8, minimum=1, maximum=60),
                align=params.parse_choice(query, "align", ["weekday", "dte"], default="weekday"),
                **_expiry_args(query),
            )
        )


def _range(query: Mapping[str, str]) -> tuple[Any, Any]:
    end = params.parse_bound(query, "to", end=True) or timezone.now()
    start = params.parse_bound(query, "from") or end - timedelta(days=DEFAULT_HISTORY_DAYS)
    if start > end:
        raise ApplicationError(f"from={query.get('from')!r} is after to={query.get('to')!r}.")
    return start, end


RANGE_ERRORS: dict[int, Any] = {**ERRORS, 410: ErrorSerializer}


def _with_archived_days(start: Any, end: Any, answer: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """The answer over [start, end] with ``archived_days``, the range's archived days; when the selector finds
    nothing (a 404) and the range holds archived days, a 410 that says so instead."""
    archived = archived_days_between(first=to_ist(start).date(), last=to_ist(end).date())
    try:
        result = answer()
    except NotFoundError as error:
        if not archived:
            raise
        days = ", ".join(day.isoformat() for day in archived)
        raise ArchivedError(
            f"{error} The range holds archived days ({days}): their minutes are in Parquet, not in the database; "
            f"restore with: python manage.py restore_partitions --date YYYY-MM-DD"
        ) from error
    return {**result, "archived_days": [day.isoformat() for day in archived]}


class HistoryApi(APIView):
    """A stored chain metric over time for one expiry, or a bucket resolved session by session."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            OpenApiParameter("field", OpenApiTypes.STR, enum=HISTORY_FIELDS, required=True),
            *RANGE_PARAMETERS,
            *EXPIRY_PARAMETERS,
            OpenApiParameter("daily", OpenApiTypes.BOOL, description="Only each session's last value."),
        ],
        responses={200: shapes.HistorySerializer, **RANGE_ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        query = request.query_params
        field = params.parse_choice(query, "field", HISTORY_FIELDS)
        start, end = _range(query)
        bucket = params.parse_choice(query, "bucket", params.SELECTABLE_BUCKETS, default="") or None
        expiry, daily = params.parse_date(query, "expiry"), params.parse_bool(query, "daily")
        return Response(
            _with_archived_days(
                start,
                end,
                lambda: selectors.history(
                    underlying=underlying, field=field, start=start, end=end, expiry=expiry, bucket=bucket, daily=daily
                ),
            )
        )


class IvRankApi(APIView):
    """IV rank and percentile of the 30-day ATM IV, India VIX and our VIX-style index over past sessions."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            AT_PARAMETER,
            OpenApiParameter("sessions", OpenApiTypes.INT, description="Daily closes to rank against (2-1000, 252)."),
        ],
        responses={200: shapes.IvRankSerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        query = request.query_params
        sessions = params.parse_int(query, "sessions", default=252, minimum=2, maximum=1000)
        return Response(selectors.iv_rank(underlying=underlying, at=params.parse_at(query), sessions=sessions))


class ExpiryComparisonApi(APIView):
    """The daily-close path of a metric by days to expiry, for the last few expiries."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            AT_PARAMETER,
            OpenApiParameter("field", OpenApiTypes.STR, enum=COMPARISON_FIELDS, description="Default pcr_oi."),
            OpenApiParameter("expiries", OpenApiTypes.INT, description="Past expiries (1-26, default 4)."),
        ],
        responses={200: shapes.ExpiryComparisonSerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        query = request.query_params
        return Response(
            selectors.expiry_comparison(
                underlying=underlying,
                field=params.parse_choice(query, "field", COMPARISON_FIELDS, default="pcr_oi"),
                expiries=params.parse_int(query, "expiries", default=4, minimum=1, maximum=26),
                at=params.parse_at(query),
            )
        )


class VixCorrelationApi(APIView):
    """Rolling correlation of daily index returns with daily India VIX changes."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            AT_PARAMETER,
            OpenApiParameter("window", OpenApiTypes.INT, description="Sessions per window (3-250, default 20)."),
            OpenApiParameter("sessions", OpenApiTypes.INT, description="Sessions shown (1-1000, default 252)."),
        ],
        responses={200: shapes.VixCorrelationSerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        query = request.query_params
        return Response(
            selectors.vix_correlation(
                underlying=underlying,
                window=params.parse_int(query, "window", default=20, minimum=3, maximum=250),
                sessions=params.parse_int(query, "sessions", default=252, minimum=1, maximum=1000),
                at=params.parse_at(query),
            )
        )


class VolatilityApi(APIView):
    """Per-minute 30-day ATM IV, our India-VIX-style index and the published India VIX."""

    @extend_schema(
        parameters=[SYMBOL_PARAMETER, *RANGE_PARAMETERS], responses={200: shapes.VolatilitySerializer, **ERRORS}
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying: Underlying = params.underlying_get(symbol=symbol)
        start, end = _range(request.query_params)
        return Response(
            _with_archived_days(
                start, end, lambda: selectors.volatility_series(underlying=underlying, start=start, end=end)
            )
        )
