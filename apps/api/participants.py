"""NSE participant-wise OI and volume (FII, DII, Pro, Client) by session."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api import params
from apps.api.serializers import ErrorSerializer
from apps.core.errors import NotFoundError
from apps.participants.models import ParticipantKind
from apps.participants.selectors import participants_dates, participants_for_date, participants_history

HISTORY_DAYS_DEFAULT = 30
KIND_PARAMETER = OpenApiParameter(
    "kind", OpenApiTypes.STR, enum=ParticipantKind.values, description="oi (default) or volume."
)


class ParticipantCategorySerializer(serializers.Serializer):
    net_index_futures = serializers.IntegerField(help_text="Index futures long - short, contracts.")
    net_index_calls = serializers.IntegerField()
    net_index_puts = serializers.IntegerField()
    index_futures_long_ratio = serializers.FloatField(allow_null=True, help_text="long / (long + short).")
    label = serializers.CharField(help_text="Positioning label from the long ratio.")  # type: ignore[assignment]
    changes = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        allow_null=True,
        help_text="Change of each number from the previous stored session; null without one.",
    )
    raw = serializers.DictField(child=serializers.IntegerField(), help_text="The NSE file's row, in contracts.")


class InstitutionalVsRetailSerializer(serializers.Serializer):
    institutional_net_index_futures = serializers.IntegerField()
    retail_net_index_futures = serializers.IntegerField()
    institutional_long_ratio = serializers.FloatField(allow_null=True)
    retail_long_ratio = serializers.FloatField(allow_null=True)
    ratio = serializers.FloatField(allow_null=True)
    reading = serializers.CharField()


class ParticipantSessionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ParticipantKind.values)
    date = serializers.DateField()
    previous_date = serializers.DateField(allow_null=True)
    categories = serializers.DictField(child=ParticipantCategorySerializer(), help_text="Keyed FII, DII, Pro, Client.")
    total = serializers.DictField(child=serializers.IntegerField())
    institutional_vs_retail = InstitutionalVsRetailSerializer()


class ParticipantsApi(APIView):
    """One session's positions per participant category, with changes from the previous session."""

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="Session date. Default: the latest imported."),
            KIND_PARAMETER,
        ],
        responses={200: ParticipantSessionSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        kind = params.parse_choice(request.query_params, "kind", ParticipantKind.values, default=ParticipantKind.OI)
        day = params.parse_date(request.query_params, "date")
        if day is None:
            stored = participants_dates(kind=kind)
            if not stored:
                raise NotFoundError(f"No participant {kind} data is imported yet; import the NSE files first.")
            day = stored[0]
        return Response(participants_for_date(day, kind=kind))


class ParticipantsHistoryApi(APIView):
    """Every stored session in a date range, oldest first."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First date. Default: 30 days before to."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last date. Default: today (IST)."),
            KIND_PARAMETER,
        ],
        responses={200: ParticipantSessionSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        kind = params.parse_choice(query, "kind", ParticipantKind.values, default=ParticipantKind.OI)
        start, end = params.parse_date_range(query)
        end = end or timezone.now().astimezone(params.IST).date()
        start = start or end - timedelta(days=HISTORY_DAYS_DEFAULT)
        return Response(participants_history(start, end, kind=kind))
