from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ErrorSerializer
from apps.core.errors import NotFoundError
from apps.quality.selectors import quality_report_dict, quality_report_get
from apps.quality.services.eod import day_parse


class QualityUnderlyingSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    score = serializers.FloatField()
    expected_minutes = serializers.IntegerField()
    collected_minutes = serializers.IntegerField()
    missing_minutes = serializers.IntegerField()
    gaps = serializers.ListField(child=serializers.CharField(), help_text="Missing minutes as IST ranges.")
    planned_contracts = serializers.IntegerField()
    missing_contracts = serializers.IntegerField()
    minutes_with_missing_strikes = serializers.IntegerField()
    worst_minutes = serializers.ListField(child=serializers.DictField())
    rows = serializers.IntegerField()
    stale_quotes = serializers.IntegerField()
    zero_quotes = serializers.IntegerField()
    bad_quotes = serializers.IntegerField()
    iv_failed = serializers.IntegerField()
    iv_failures = serializers.DictField(child=serializers.IntegerField(), help_text="Rows without an IV by reason.")
    repeated_minutes = serializers.IntegerField()
    factors = serializers.DictField(child=serializers.FloatField(), help_text="M, S, Q, V, D of the formula.")


class QualityReportSerializer(serializers.Serializer):
    date = serializers.DateField()
    score = serializers.FloatField()
    threshold = serializers.FloatField()
    below_threshold = serializers.BooleanField()
    expected_minutes = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    notes = serializers.ListField(child=serializers.CharField())
    underlyings = QualityUnderlyingSerializer(many=True)


class QualityApi(APIView):
    """The stored end-of-day data-quality report of a trading day (default: the latest), per underlying.

    Score = 40·M + 25·S + 15·Q + 10·V + 10·D per underlying (README: "Data quality"); the day is their mean."""

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="IST trading day, YYYY-MM-DD.")],
        responses={
            200: QualityReportSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        text = request.query_params.get("date")
        day = day_parse(text) if text is not None else None
        report = quality_report_get(day=day)
        if report is None:
            which = f"for {day.isoformat()}" if day else "yet"
            raise NotFoundError(
                f"No quality report {which}; reports are made after each session's close "
                "(or run `python manage.py eod_verify --date YYYY-MM-DD`)."
            )
        return Response(quality_report_dict(report))
