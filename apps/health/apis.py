from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.health.selectors import health_get


class HealthApi(APIView):
    """Database, broker and age of the last collection. 200 when healthy, 503 otherwise."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(choices=["ok", "degraded"]),
                    "healthy": serializers.BooleanField(),
                    "database": serializers.CharField(),
                    "broker": serializers.CharField(),
                    "broker_ready": serializers.BooleanField(),
                    "last_collection_at": serializers.DateTimeField(allow_null=True),
                    "last_collection_age_seconds": serializers.FloatField(allow_null=True),
                    "last_collection_status": serializers.CharField(allow_null=True),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        health = health_get()
        return Response(health.as_dict(), status=200 if health.healthy else 503)
