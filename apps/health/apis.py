from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ErrorSerializer
from apps.core.errors import ApplicationError
from apps.core.fast_api import FastGetMixin, Memo, json_body
from apps.health.components import Status
from apps.health.selectors import COMPONENTS, health_get

STATUSES = [s.value for s in Status]


class HealthComponentSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    detail = serializers.CharField()
    suggestion = serializers.CharField(help_text="What to do about it (empty when nothing is needed).")
    data = serializers.DictField(help_text="The figures behind the status (ages, paths, expiry, lags).")  # type: ignore[assignment]


class HealthHeartbeatSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="worker:<queue>, beat or watchdog.")
    at = serializers.DateTimeField(allow_null=True, help_text="IST.")
    age_seconds = serializers.FloatField(allow_null=True)
    interval_seconds = serializers.IntegerField()
    stale = serializers.BooleanField(help_text="Older than two intervals, or never written.")
    holder = serializers.CharField()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[Status.OK.value, Status.DEGRADED.value, Status.DOWN.value])
    checked_at = serializers.DateTimeField()
    components = HealthComponentSerializer(many=True)
    heartbeats = HealthHeartbeatSerializer(many=True)


def _cache_seconds() -> float:
    """``OPTRADING_HEALTH_CACHE_SECONDS``: how long each web process reuses a health answer."""
    return float(settings.OPTRADING_HEALTH_CACHE_SECONDS)


@dataclass(frozen=True)
class _Answer:
    status: int
    data: dict[str, Any]
    body: bytes


_answers: Memo[_Answer] = Memo(_cache_seconds)


def _answer(only: list[str] | None) -> _Answer:
    """The health answer for these components, worked out at most ``OPTRADING_HEALTH_CACHE_SECONDS`` ago in this
    process (its ``checked_at`` says when): monitors polling many times a second cost one check per interval."""
    key = None if only is None else tuple(sorted(set(only)))

    def compute() -> _Answer:
        report = health_get(only=only)
        data = report.as_dict()
        return _Answer(status=report.http_status, data=data, body=json_body(data))

    return _answers.get(key, compute)


class HealthApi(FastGetMixin, APIView):
    """Health of every component, each with its status, detail and what to do.

    200 when nothing is down (``ok`` or ``degraded``), 503 when any component is down. A component whose check
    cannot run is ``unknown``. Public, without authentication, so monitors can call it; it needs no database
    to answer. The answer is at most ``OPTRADING_HEALTH_CACHE_SECONDS`` (2) seconds old: ``checked_at`` says when
    it was worked out."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def fast_get(self, request: HttpRequest) -> tuple[int, bytes] | None:
        try:
            only = _components(request.GET.get("components"))
        except ApplicationError:
            return None  # DRF's path gives the 400
        answer = _answer(only)
        return answer.status, answer.body

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "components",
                OpenApiTypes.STR,
                description="Only these components, comma separated (e.g. database,redis for a readiness probe): "
                + ", ".join(COMPONENTS)
                + ".",
            )
        ],
        responses={200: HealthSerializer, 400: ErrorSerializer, 503: HealthSerializer},
    )
    def get(self, request: Request) -> Response:
        answer = _answer(_components(request.query_params.get("components")))
        return Response(answer.data, status=answer.status)


def _components(text: str | None) -> list[str] | None:
    """The components asked for, or None for all; an unknown name is a 400 naming the known ones."""
    if text is None or not text.strip():
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in COMPONENTS]
    if unknown:
        raise ApplicationError(f"components: unknown {', '.join(unknown)}; choose from {', '.join(COMPONENTS)}.")
    return names
