"""/analytics/{symbol}/oi-flow and /oi-cumulative: OI through the day by strike, and OI summed over expiries."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics.selectors.flow import FLOW_FIELDS, INTERVALS, oi_cumulative, oi_flow
from apps.api import params
from apps.api.chain import SYMBOL_PARAMETER
from apps.api.serializers import ErrorSerializer, IstDateTimeField
from apps.core.errors import ApplicationError, NotFoundError
from apps.market.clock import IST, to_ist
from apps.marketdata.models import OptionQuote
from apps.marketdata.selectors import chain_expiries_at, chain_minute_at

MAX_EXPIRIES = 12


def _nullable_floats(help_text: str = "") -> serializers.ListField:
    return serializers.ListField(child=serializers.FloatField(allow_null=True), help_text=help_text)


class FlowValuesSerializer(serializers.Serializer):
    CE = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="One row per strike (as `strikes`), one column per interval (as `minutes`); null = unknown.",
    )
    PE = serializers.ListField(child=serializers.ListField(child=serializers.FloatField(allow_null=True)))


class FlowWallsSerializer(serializers.Serializer):
    call_wall = _nullable_floats("Per interval: the strike with the largest call OI.")
    put_wall = _nullable_floats("Per interval: the strike with the largest put OI.")


class OiFlowSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField()
    date = serializers.DateField()
    interval = serializers.IntegerField(help_text="Minutes per column.")
    field = serializers.ChoiceField(choices=list(FLOW_FIELDS))
    strikes = serializers.ListField(child=serializers.FloatField())
    minutes = serializers.ListField(child=IstDateTimeField(), help_text="Each interval's first minute (IST).")
    spot = _nullable_floats("Spot at each interval's last archived minute.")
    values = FlowValuesSerializer()
    walls = FlowWallsSerializer()


class CumulativeSideSerializer(serializers.Serializer):
    oi = _nullable_floats("Units, per strike, summed over the expiries.")
    oi_change = _nullable_floats("ΔOI against the previous session's close, summed; null when any is unknown.")


class OiCumulativeSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    minute = IstDateTimeField()
    expiries = serializers.ListField(child=serializers.DateField())
    strikes = serializers.ListField(child=serializers.FloatField())
    CE = CumulativeSideSerializer()
    PE = CumulativeSideSerializer()


DATE_PARAMETER = OpenApiParameter(
    "date", OpenApiTypes.DATE, description="IST day YYYY-MM-DD. Default: the latest day archived."
)
BUCKET_PARAMETER = OpenApiParameter(
    "bucket",
    OpenApiTypes.STR,
    enum=params.SELECTABLE_BUCKETS,
    description="Expiry bucket as filed at the day's last archived minute (instead of expiry). Default: nearest.",
)
EXPIRY_PARAMETER = OpenApiParameter("expiry", OpenApiTypes.DATE, description="Expiry YYYY-MM-DD (instead of bucket).")


class OiFlowApi(APIView):
    """A strikes x minutes heatmap of one expiry through a day, CE and PE apart, with spot and the OI walls."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            DATE_PARAMETER,
            BUCKET_PARAMETER,
            EXPIRY_PARAMETER,
            OpenApiParameter("interval", OpenApiTypes.INT, enum=list(INTERVALS), description="Minutes (default 1)."),
            OpenApiParameter(
                "field",
                OpenApiTypes.STR,
                enum=list(FLOW_FIELDS),
                description="oi (default); doi_open: ΔOI against the previous session's close; doi_interval: OI "
                "change over each interval; volume: units traded in each interval.",
            ),
        ],
        responses={200: OiFlowSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = request.query_params
        underlying = params.underlying_get(symbol=symbol)
        interval = int(params.parse_choice(query, "interval", [str(i) for i in INTERVALS], default="1"))
        field = params.parse_choice(query, "field", FLOW_FIELDS, default="oi")
        day = params.parse_date(query, "date")
        if query.get("expiry") and query.get("bucket"):
            raise ApplicationError("Give either expiry or bucket, not both.")
        if day is None:
            latest = chain_minute_at(underlying=underlying, at=timezone.now())
            if latest is None:
                raise NotFoundError(f"No {underlying.symbol} quotes are archived yet.")
            day = to_ist(latest).date()
        day_end = datetime.combine(day, time.max, tzinfo=IST)
        point = params.resolve_chain_point(
            underlying=underlying,
            params={
                "at": day_end.isoformat(),
                **({"expiry": query["expiry"]} if query.get("expiry") else {}),
                **({"bucket": query["bucket"]} if query.get("bucket") else {}),
            },
        )
        if to_ist(point.minute).date() != day:
            raise NotFoundError(f"No {underlying.symbol} {point.expiry.isoformat()} quotes are archived on {day}.")
        flow = oi_flow(underlying=underlying, expiry=point.expiry, day=day, interval=interval, field=field)
        return Response(OiFlowSerializer(flow).data)


class OiCumulativeApi(APIView):
    """OI and ΔOI by strike summed over chosen expiries at one minute."""

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            OpenApiParameter(
                "expiries",
                OpenApiTypes.STR,
                description="Comma-separated expiries YYYY-MM-DD. Default: every expiry archived at that minute.",
            ),
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                description="ISO 8601 (IST without an offset); the latest archived minute at or before it. "
                "Default: now.",
            ),
        ],
        responses={200: OiCumulativeSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = request.query_params
        underlying = params.underlying_get(symbol=symbol)
        expiries = _expiries(query.get("expiries", ""))
        at = params.parse_at(query) or timezone.now()
        minute = chain_minute_at(underlying=underlying, at=at)
        if minute is None:
            raise NotFoundError(
                f"No {underlying.symbol} quotes are archived at or before {to_ist(at):%Y-%m-%d %H:%M} IST."
            )
        if not expiries:
            expiries = chain_expiries_at(underlying=underlying, minute=minute)
        else:
            day_start = datetime.combine(to_ist(minute).date(), time.min, tzinfo=IST)
            known = set(
                OptionQuote.objects.filter(
                    underlying=underlying, expiry__in=expiries, minute__gte=day_start, minute__lte=minute
                )
                .values_list("expiry", flat=True)
                .distinct()
            )
            missing = [e.isoformat() for e in expiries if e not in known]
            if missing:
                raise NotFoundError(
                    f"No {underlying.symbol} quotes of expiry {', '.join(missing)} are archived on "
                    f"{to_ist(minute).date()} up to {to_ist(minute):%H:%M} IST."
                )
        return Response(
            OiCumulativeSerializer(oi_cumulative(underlying=underlying, expiries=expiries, minute=minute)).data
        )


def _expiries(text: str) -> list[date]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > MAX_EXPIRIES:
        raise ApplicationError(f"expiries: at most {MAX_EXPIRIES}, got {len(parts)}.")
    out = []
    for part in parts:
        try:
            out.append(date.fromisoformat(part))
        except ValueError:
            raise ApplicationError(f"expiries={text!r}: {part!r} is not a date; use YYYY-MM-DD,YYYY-MM-DD.") from None
    return sorted(set(out))
