"""Underlyings, collection runs and user-facing errors: the platform's own state."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api import params
from apps.api.serializers import (
    CollectionRunSerializer,
    ErrorEventSerializer,
    ErrorSerializer,
    MarketStatusSerializer,
    UnderlyingSerializer,
)
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.fast_api import FastGetMixin, Memo, json_body
from apps.market.calendar import market_status
from apps.market.models import Exchange
from apps.marketdata.models import CollectionStatus
from apps.marketdata.selectors import collection_run_list, underlying_list_with_spot
from apps.monitoring.models import ErrorEvent
from apps.monitoring.services import error_resolve

LIMIT_PARAMETER = OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many rows (1-500, default 50).")


MARKET_STATUS_SECONDS = 1.0
"""How long each web process reuses its answer for *now* (``market-status`` without ``at``)."""
_market_status_now: Memo[bytes] = Memo(lambda: MARKET_STATUS_SECONDS)


class MarketStatusApi(FastGetMixin, APIView):
    """Whether the exchange's normal market is open now (or at ``at``), today's session and the next open.

    Public, like health: status pages and monitors call it without a token. The answer for now is at most
    ``MARKET_STATUS_SECONDS`` old (its ``at`` says when it was worked out).
    """

    permission_classes = [AllowAny]

    def fast_get(self, request: HttpRequest) -> tuple[int, bytes] | None:
        try:
            at = params.parse_at(request.GET)
            exchange = params.parse_choice(request.GET, "exchange", [Exchange.NSE, Exchange.BSE], default="NSE")
        except ApplicationError:
            return None  # DRF's path gives the 400
        if at is not None:
            return None
        return 200, _market_status_now.get(exchange, lambda: json_body(_market_status(timezone.now(), exchange)))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "at", OpenApiTypes.DATETIME, description="ISO 8601 time (IST without an offset). Default: now."
            ),
            OpenApiParameter(
                "exchange", OpenApiTypes.STR, enum=[Exchange.NSE, Exchange.BSE], description="Default NSE."
            ),
        ],
        responses={200: MarketStatusSerializer, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        at = params.parse_at(request.query_params) or timezone.now()
        exchange = params.parse_choice(request.query_params, "exchange", [Exchange.NSE, Exchange.BSE], default="NSE")
        return Response(_market_status(at, exchange))


def _market_status(at: datetime, exchange: str) -> Any:
    return MarketStatusSerializer({"at": at, "exchange": exchange, **asdict(market_status(at, exchange))}).data


class UnderlyingListApi(APIView):
    """Active underlyings with their latest archived spot and the change from the previous close."""

    @extend_schema(responses={200: UnderlyingSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(UnderlyingSerializer(underlying_list_with_spot(), many=True).data)


class CollectionRunListApi(APIView):
    """The latest collection runs, newest first."""

    @extend_schema(
        parameters=[
            LIMIT_PARAMETER,
            OpenApiParameter("status", OpenApiTypes.STR, enum=CollectionStatus.values, description="Only this status."),
        ],
        responses={200: CollectionRunSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        limit = params.parse_int(request.query_params, "limit", default=50, minimum=1, maximum=500)
        status = params.parse_choice(request.query_params, "status", CollectionStatus.values, default="") or None
        return Response(CollectionRunSerializer(collection_run_list(limit=limit, status=status), many=True).data)


class ErrorListApi(APIView):
    """Recent errors, newest first, each with what the user can do about it."""

    @extend_schema(
        parameters=[
            LIMIT_PARAMETER,
            OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "resolved", "all"], description="Default: all."),
        ],
        responses={200: ErrorEventSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        limit = params.parse_int(request.query_params, "limit", default=50, minimum=1, maximum=500)
        state = params.parse_choice(request.query_params, "state", ["open", "resolved", "all"], default="all")
        events = ErrorEvent.objects.order_by("-last_seen")
        if state != "all":
            events = events.filter(resolved=state == "resolved")
        return Response(ErrorEventSerializer(events[:limit], many=True).data)


class ErrorResolveApi(APIView):
    """Mark an error resolved (staff only); the next occurrence opens a new one."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={200: ErrorEventSerializer, 404: ErrorSerializer})
    def post(self, request: Request, pk: int) -> Response:
        event = ErrorEvent.objects.filter(pk=pk).first()
        if event is None:
            raise NotFoundError(f"No error with id {pk}.")
        return Response(ErrorEventSerializer(error_resolve(event=event)).data)


@csrf_exempt  # nothing here changes state, and a POST to an unknown path must get this JSON, not the CSRF page
def not_found(request: HttpRequest) -> JsonResponse:
    """Any path under /api/v1/ that no route matches: a JSON 404 like every other API error."""
    return JsonResponse({"error": f"No API endpoint at {request.path[:200]!r}; see /api/v1/docs/."}, status=404)
