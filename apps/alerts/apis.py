"""/api/v1/alerts: rules (CRUD, your own; staff see all), their firings, webhooks and your delivery profile."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.alerts.models import AlertProfile
from apps.alerts.selectors import event_list, rule_get, rule_list, webhook_get, webhook_list
from apps.alerts.serializers import (
    EventSerializer,
    ProfileSerializer,
    RuleInputSerializer,
    RuleSerializer,
    WebhookEndpointSerializer,
)
from apps.alerts.services.deliveries import webhook_enable
from apps.alerts.services.rules import (
    FIELDS,
    RuleInput,
    RuleInvalid,
    profile_update,
    rule_create,
    rule_delete,
    rule_update,
)
from apps.core.api import ErrorSerializer
from apps.core.errors import ApplicationError


def _known_fields(data: Any) -> None:
    if not hasattr(data, "keys"):
        raise ApplicationError("The body must be a JSON object.")
    unknown = sorted(set(data.keys()) - set(FIELDS))
    if unknown:
        raise RuleInvalid(unknown[0], f"not a field of a rule; the fields are {', '.join(FIELDS)}.")


def _int_param(request: Request, name: str, *, default: int | None, low: int, high: int) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise ApplicationError(f"'{name}' must be a whole number, got {text[:32]!r}.") from exc
    if not low <= value <= high:
        raise ApplicationError(f"'{name}' must be between {low} and {high}, got {value}.")
    return value


class RuleListApi(APIView):
    """Your alert rules (staff: everyone's), and creating one."""

    @extend_schema(responses={200: RuleSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(RuleSerializer(rule_list(user=request.user), many=True).data)

    @extend_schema(request=RuleInputSerializer, responses={201: RuleSerializer, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        _known_fields(request.data)
        serializer = RuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = rule_create(owner=request.user, data=RuleInput(**serializer.validated_data))  # type: ignore[arg-type]
        return Response(RuleSerializer(rule).data, status=201)


class RuleDetailApi(APIView):
    @extend_schema(responses={200: RuleSerializer, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(RuleSerializer(rule_get(user=request.user, pk=pk)).data)

    @extend_schema(
        request=RuleInputSerializer(partial=True),
        responses={200: RuleSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        rule = rule_get(user=request.user, pk=pk)
        _known_fields(request.data)
        serializer = RuleInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(RuleSerializer(rule_update(rule=rule, changes=dict(serializer.validated_data))).data)

    @extend_schema(responses={204: None, 404: ErrorSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        rule_delete(rule=rule_get(user=request.user, pk=pk))
        return Response(status=204)


class EventListApi(APIView):
    """Firings, newest first, each with its deliveries and their status."""

    @extend_schema(
        parameters=[
            OpenApiParameter("rule", OpenApiTypes.INT, description="Only this rule's firings."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many (1-500, default 50)."),
        ],
        responses={200: EventSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        rule_id = _int_param(request, "rule", default=None, low=1, high=2**62)
        limit = _int_param(request, "limit", default=50, low=1, high=500)
        assert limit is not None
        events = event_list(user=request.user, rule_id=rule_id, limit=limit)
        return Response(EventSerializer(events, many=True).data)


class WebhookListApi(APIView):
    """Your webhook targets and whether they were disabled after consecutive failures."""

    @extend_schema(responses={200: WebhookEndpointSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(WebhookEndpointSerializer(webhook_list(user=request.user), many=True).data)


class WebhookEnableApi(APIView):
    """Re-enable a disabled webhook (its failure count starts again)."""

    @extend_schema(request=None, responses={200: WebhookEndpointSerializer, 404: ErrorSerializer})
    def post(self, request: Request, pk: int) -> Response:
        endpoint = webhook_enable(endpoint=webhook_get(user=request.user, pk=pk))
        return Response(WebhookEndpointSerializer(endpoint).data)


class ProfileApi(APIView):
    """Where your alerts go: your email (from your user) and your Telegram chat id."""

    @extend_schema(responses={200: ProfileSerializer})
    def get(self, request: Request) -> Response:
        profile, _ = AlertProfile.objects.get_or_create(user=request.user)  # type: ignore[misc]
        return Response(ProfileSerializer(profile).data)

    @extend_schema(request=ProfileSerializer, responses={200: ProfileSerializer, 400: ErrorSerializer})
    def patch(self, request: Request) -> Response:
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        chat = str(serializer.validated_data.get("telegram_chat_id", ""))
        profile = profile_update(user=request.user, telegram_chat_id=chat)  # type: ignore[arg-type]
        return Response(ProfileSerializer(profile).data)
