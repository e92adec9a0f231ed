"""/api/v1/strategies: the payoff of any legs on the archived smile, templates, and your saved strategies (CRUD,
your own; staff see all) with their P&L through a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ErrorSerializer
from apps.core.errors import ApplicationError
from apps.strategies.presets import PRESETS
from apps.strategies.selectors import strategy_get, strategy_list, strategy_pnl
from apps.strategies.serializers import (
    PayoffInputSerializer,
    PayoffSerializer,
    PresetSerializer,
    StrategyInputSerializer,
    StrategyPnlSerializer,
    StrategySerializer,
    leg_dicts,
)
from apps.strategies.services.payoff import LegInput, StrategyInvalid, strategy_payoff
from apps.strategies.services.strategies import strategy_create, strategy_delete, strategy_update


def _object(data: Any, fields: list[str]) -> None:
    if not hasattr(data, "keys"):
        raise ApplicationError("The body must be a JSON object.")
    unknown = sorted(set(data.keys()) - set(fields))
    if unknown:
        raise StrategyInvalid(unknown[0], f"not a field here; the fields are {', '.join(fields)}.")


class PayoffApi(APIView):
    """P&L of legs at the first expiry and at dates before it, breakevens, max profit/loss, probability of
    profit, net premium and greeks, priced on the chain archived at `at` (docs/strategies.md)."""

    @extend_schema(request=PayoffInputSerializer, responses={200: PayoffSerializer, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        _object(request.data, list(PayoffInputSerializer().fields))
        serializer = PayoffInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payoff = strategy_payoff(
            symbol=data["symbol"],
            legs=[LegInput(**leg) for leg in data["legs"]],
            at=data.get("at"),
            spots=data.get("spots"),
            dates=data.get("dates"),
            iv_shift=data["iv_shift"] / 100.0,
        )
        return Response(PayoffSerializer(payoff).data)


class TemplateListApi(APIView):
    """Strategy templates with their legs relative to ATM (strike steps, near or next expiry)."""

    @extend_schema(responses={200: PresetSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(PresetSerializer([preset.as_dict() for preset in PRESETS], many=True).data)


class StrategyListApi(APIView):
    """Your saved strategies (staff: everyone's), and saving one."""

    @extend_schema(responses={200: StrategySerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(StrategySerializer(strategy_list(user=request.user), many=True).data)

    @extend_schema(request=StrategyInputSerializer, responses={201: StrategySerializer, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        _object(request.data, list(StrategyInputSerializer().fields))
        serializer = StrategyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        strategy = strategy_create(
            owner=request.user,  # type: ignore[arg-type]
            name=data["name"],
            symbol=data["symbol"],
            legs=leg_dicts(data["legs"]),
            notes=data["notes"],
        )
        return Response(StrategySerializer(strategy).data, status=201)


class StrategyDetailApi(APIView):
    @extend_schema(responses={200: StrategySerializer, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(StrategySerializer(strategy_get(user=request.user, pk=pk)).data)

    @extend_schema(
        request=StrategyInputSerializer(partial=True),
        responses={200: StrategySerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        strategy = strategy_get(user=request.user, pk=pk)
        _object(request.data, list(StrategyInputSerializer().fields))
        serializer = StrategyInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "legs" in changes:
            changes["legs"] = leg_dicts(changes["legs"])
        return Response(StrategySerializer(strategy_update(strategy=strategy, changes=changes)).data)

    @extend_schema(responses={204: None, 404: ErrorSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        strategy_delete(strategy=strategy_get(user=request.user, pk=pk))
        return Response(status=204)


class StrategyPnlApi(APIView):
    """The saved strategy's P&L at every archived minute of a day, each leg marked at its mid."""

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="IST day YYYY-MM-DD.")],
        responses={200: StrategyPnlSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        strategy = strategy_get(user=request.user, pk=pk)
        text = request.query_params.get("date", "")
        if not text:
            raise StrategyInvalid("date", "required, as YYYY-MM-DD.")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise StrategyInvalid("date", f"{text!r} is not a date; use YYYY-MM-DD.") from None
        return Response(StrategyPnlSerializer(strategy_pnl(strategy=strategy, day=day)).data)
