"""/analytics/{symbol}/term-structure, /surface, /skew-history and /exposures."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics.selectors import vol_views
from apps.analytics.selectors.futures import futures_day
from apps.api import params
from apps.api.analytics import AT_PARAMETER, ERRORS, EXPIRY_PARAMETERS, _expiry_args
from apps.api.chain import SYMBOL_PARAMETER
from apps.api.serializers import IstDateTimeField
from apps.core.errors import ApplicationError
from apps.market.clock import IST, to_ist


class TermPointSerializer(serializers.Serializer):
    expiry = serializers.DateField()
    bucket = serializers.CharField()
    days_to_expiry = serializers.FloatField()
    forward = serializers.FloatField()
    atm_iv = serializers.FloatField(allow_null=True, help_text="Decimal: 0.1812 = 18.12 %.")
    straddle = serializers.FloatField(allow_null=True)
    expected_move = serializers.FloatField(allow_null=True, help_text="1-sigma move F·sigma·√t.")


class TermStructureSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    minute = IstDateTimeField()
    expiries = TermPointSerializer(many=True)


class IvMatrixSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    minute = IstDateTimeField()
    expiries = serializers.ListField(child=serializers.DateField())
    days_to_expiry = serializers.ListField(child=serializers.FloatField())
    forwards = serializers.ListField(child=serializers.FloatField())
    strikes = serializers.ListField(child=serializers.FloatField())
    iv = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="One row per expiry, one column per strike: the OTM leg's IV (decimal); null where not listed.",
    )


class SkewPointSerializer(serializers.Serializer):
    minute = IstDateTimeField()
    expiry = serializers.DateField()
    rr25 = serializers.FloatField(allow_null=True)
    bf25 = serializers.FloatField(allow_null=True)
    atm_iv = serializers.FloatField(allow_null=True)
    straddle = serializers.FloatField(allow_null=True)


class SkewHistorySerializer(serializers.Serializer):
    symbol = serializers.CharField()
    daily = serializers.BooleanField(help_text="True: one point per day (its last analysed minute).")
    points = SkewPointSerializer(many=True)


class ExposureNetSerializer(serializers.Serializer):
    delta = serializers.FloatField()
    gamma = serializers.FloatField()
    vanna = serializers.FloatField()
    charm = serializers.FloatField()


class ExposureStrikeSerializer(ExposureNetSerializer):
    """One strike's exposures: the net's four, at that strike."""

    strike = serializers.FloatField()


class ExposureUnitsSerializer(serializers.Serializer):
    delta = serializers.CharField()
    gamma = serializers.CharField()
    vanna = serializers.CharField()
    charm = serializers.CharField()
    gamma_flip = serializers.CharField()


class ExposuresSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField()
    minute = IstDateTimeField()
    forward = serializers.FloatField()
    assumption = serializers.CharField(help_text="The dealer-positioning assumption behind the signs.")
    units = ExposureUnitsSerializer()
    strikes = ExposureStrikeSerializer(many=True)
    net = ExposureNetSerializer()
    gamma_flip = serializers.FloatField(allow_null=True)


class TermStructureApi(APIView):
    """ATM IV, straddle and expected move of every expiry analysed at the minute."""

    @extend_schema(parameters=[SYMBOL_PARAMETER, AT_PARAMETER], responses={200: TermStructureSerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        found = vol_views.term_structure(underlying=underlying, at=params.parse_at(request.query_params))
        return Response(TermStructureSerializer(found).data)


class SurfaceApi(APIView):
    """The IV surface at the minute as a matrix: expiries x strikes."""

    @extend_schema(parameters=[SYMBOL_PARAMETER, AT_PARAMETER], responses={200: IvMatrixSerializer, **ERRORS})
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        found = vol_views.iv_matrix(underlying=underlying, at=params.parse_at(request.query_params))
        return Response(IvMatrixSerializer(found).data)


class SkewHistoryApi(APIView):
    """RR25, BF25, ATM IV and straddle per minute of a day (date=) or per day over a range (from=&to=)."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            OpenApiParameter("date", OpenApiTypes.DATE, description="One IST day, per minute. Default: the latest."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="Per day from this IST day (with to)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Per day up to this IST day. Default: today."),
            OpenApiParameter(
                "bucket",
                OpenApiTypes.STR,
                enum=params.SELECTABLE_BUCKETS,
                description="The expiry filed in this bucket at each minute. Default: the nearest expiry.",
            ),
        ],
        responses={200: SkewHistorySerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = request.query_params
        underlying = params.underlying_get(symbol=symbol)
        bucket = params.parse_choice(query, "bucket", params.SELECTABLE_BUCKETS, default="") or None
        day = params.parse_date(query, "date")
        first, last = params.parse_date_range(query)
        if day is not None and (first or last):
            raise ApplicationError("Give either date (per minute) or from/to (per day), not both.")
        daily = bool(first or last)
        if daily:
            if first is None:
                raise ApplicationError("from is required with to, as a date YYYY-MM-DD.")
            start = datetime.combine(first, time.min, tzinfo=IST)
            end = datetime.combine(last, time.max, tzinfo=IST) if last else datetime.now(tz=IST)
        else:
            if day is None:
                day = to_ist(vol_views.latest_analysed(underlying=underlying)).date()
            start = datetime.combine(day, time.min, tzinfo=IST)
            end = start + timedelta(days=1) - timedelta(microseconds=1)
        found = vol_views.skew_history(underlying=underlying, start=start, end=end, daily=daily, bucket=bucket)
        return Response(SkewHistorySerializer(found).data)


class ExposuresApi(APIView):
    """Delta, gamma, vanna and charm exposure per strike and net, the gamma flip, and the dealer assumption."""

    @extend_schema(
        parameters=[SYMBOL_PARAMETER, *EXPIRY_PARAMETERS, AT_PARAMETER],
        responses={200: ExposuresSerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        found = vol_views.exposures(underlying=underlying, **_expiry_args(request.query_params))
        return Response(ExposuresSerializer(found).data)


class FutureSeriesSerializer(serializers.Serializer):
    expiry = serializers.DateField()
    price = serializers.ListField(child=serializers.FloatField(allow_null=True))
    oi = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), help_text="Open interest, units; null where not kept."
    )
    basis = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="F - S, index points.")
    carry = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="ln(F/S)/t annualised, decimal (0.065 = 6.5 %)."
    )


class CalendarSpreadSerializer(serializers.Serializer):
    near = serializers.DateField(allow_null=True)
    next = serializers.DateField(allow_null=True)
    values = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="next - near, points.")


class RolloverSerializer(serializers.Serializer):
    available = serializers.BooleanField()
    reason = serializers.CharField()
    expiry_week = serializers.BooleanField(help_text="Whether the near future expires this (Monday-Sunday) week.")
    near = serializers.DateField(allow_null=True, help_text="The near future's expiry.")
    values = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text="Per minute: percent of the futures' OI beyond the near expiry; null where OI was not kept.",
    )


class FuturesDaySerializer(serializers.Serializer):
    symbol = serializers.CharField()
    date = serializers.DateField()
    minutes = serializers.ListField(child=IstDateTimeField())
    spot = serializers.ListField(child=serializers.FloatField())
    futures = FutureSeriesSerializer(many=True)
    calendar_spread = CalendarSpreadSerializer()
    rollover = RolloverSerializer()


class FuturesApi(APIView):
    """Each listed future's price, OI, basis and annualised carry against spot per minute, the near-next spread
    and rollover %."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            OpenApiParameter("date", OpenApiTypes.DATE, description="IST day YYYY-MM-DD. Default: today."),
        ],
        responses={200: FuturesDaySerializer, **ERRORS},
    )
    def get(self, request: Request, symbol: str) -> Response:
        underlying = params.underlying_get(symbol=symbol)
        day = params.parse_date(request.query_params, "date") or datetime.now(tz=IST).date()
        return Response(FuturesDaySerializer(futures_day(underlying=underlying, day=day)).data)
