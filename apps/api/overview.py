"""The market overview: index moves with ATM IV and PCR, sector moves, NIFTY 50 breadth."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api import params
from apps.api.serializers import ErrorSerializer
from apps.core.errors import NotFoundError
from apps.overview.selectors import overview_breadth, overview_indices, overview_sectors

AT_PARAMETER = OpenApiParameter(
    "at", OpenApiTypes.DATETIME, description="ISO 8601 time (IST without an offset); latest stored at or before it."
)


class OverviewIndicesApi(APIView):
    """Each active underlying's latest spot, change from the previous close, nearest expiry's ATM IV and PCR."""

    @extend_schema(
        parameters=[AT_PARAMETER],
        responses={
            200: inline_serializer(
                "OverviewIndex",
                {
                    "symbol": serializers.CharField(),
                    "minute": serializers.DateTimeField(allow_null=True),
                    "spot": serializers.FloatField(allow_null=True),
                    "spot_close": serializers.FloatField(allow_null=True),
                    "change": serializers.FloatField(allow_null=True),
                    "change_pct": serializers.FloatField(allow_null=True),
                    "expiry": serializers.DateField(allow_null=True),
                    "atm_iv": serializers.FloatField(allow_null=True),
                    "pcr_oi": serializers.FloatField(allow_null=True),
                    "pcr_volume": serializers.FloatField(allow_null=True),
                },
                many=True,
            ),
            400: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        return Response(overview_indices(params.parse_at(request.query_params)))


class OverviewSectorsApi(APIView):
    """Sector indices at the latest stored minute, best performer first."""

    @extend_schema(
        parameters=[AT_PARAMETER],
        responses={
            200: inline_serializer(
                "OverviewSector",
                {
                    "minute": serializers.DateTimeField(),
                    "symbol": serializers.CharField(),
                    "label": serializers.CharField(),
                    "last_price": serializers.FloatField(allow_null=True),
                    "previous_close": serializers.FloatField(allow_null=True),
                    "change_pct": serializers.FloatField(allow_null=True),
                },
                many=True,
            ),
            400: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        return Response(overview_sectors(params.parse_at(request.query_params)))


class OverviewBreadthApi(APIView):
    """Advances, declines and unchanged among the NIFTY 50 constituents."""

    @extend_schema(
        parameters=[AT_PARAMETER],
        responses={
            200: inline_serializer(
                "OverviewBreadth",
                {
                    "minute": serializers.DateTimeField(),
                    "universe": serializers.CharField(),
                    "advances": serializers.IntegerField(),
                    "declines": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "ad_ratio": serializers.FloatField(allow_null=True),
                    "net_breadth": serializers.IntegerField(help_text="Advances - declines."),
                    "missing": serializers.ListField(
                        child=serializers.CharField(), help_text="Constituents without a usable quote."
                    ),
                },
            ),
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        at = params.parse_at(request.query_params)
        breadth = overview_breadth(at)
        if breadth is None:
            raise NotFoundError("No breadth is stored" + (" at or before that time." if at else " yet."))
        return Response(breadth)
