"""The option chain as it was at any archived minute."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.analytics.selectors.chain import forward_analysed
from apps.analytics.selectors.greeks import second_order_greeks
from apps.api import chain_cache, params
from apps.api.serializers import ErrorSerializer, OptionChainSerializer
from apps.core.fast_api import JSON, FastGetMixin
from apps.marketdata.models import OptionQuote
from apps.marketdata.selectors import chain_quotes

SYMBOL_PARAMETER = OpenApiParameter(
    "symbol", OpenApiTypes.STR, OpenApiParameter.PATH, description="Underlying, e.g. NIFTY, BANKNIFTY, SENSEX."
)
CHAIN_PARAMETERS = [
    OpenApiParameter(
        "bucket",
        OpenApiTypes.STR,
        enum=params.SELECTABLE_BUCKETS,
        description="Expiry bucket as filed at that minute. Default (without expiry): the nearest expiry.",
    ),
    OpenApiParameter("expiry", OpenApiTypes.DATE, description="Expiry date YYYY-MM-DD (instead of bucket)."),
    OpenApiParameter(
        "at",
        OpenApiTypes.DATETIME,
        description="ISO 8601 time; without an offset it is IST. The latest archived minute at or before it is "
        "used. Default: now.",
    ),
]


class OptionChainApi(FastGetMixin, APIView):
    """Both legs of each archived strike: prices, bid/ask, volume, OI, change in OI, IV, greeks, build-up."""

    def fast_get(self, request: HttpRequest, symbol: str) -> tuple[int, bytes] | None:
        """A token's plain JSON GET of a cached chain skips DRF (apps/core/fast_api.py); the rest is ``get``."""
        entry = chain_cache.chain_key(symbol=symbol, query=request.GET, media_type=JSON)
        if entry is None:
            return None
        lookup = chain_cache.chain_lookup(entry)
        return None if lookup.body is None else (200, lookup.body)

    @extend_schema(
        parameters=[
            SYMBOL_PARAMETER,
            *CHAIN_PARAMETERS,
            OpenApiParameter(
                "offsets", OpenApiTypes.STR, description="Strike offsets from ATM: a range -2..2 or a list -2,0,2."
            ),
            OpenApiParameter(
                "price", OpenApiTypes.STR, enum=["last", "average"], description="Which price fills `price`."
            ),
            OpenApiParameter(
                "greeks",
                OpenApiTypes.STR,
                enum=["first", "all"],
                description="`all` adds the second-order greeks to each leg: vanna, charm, vomma, speed, zomma, "
                "color (Black-76 on the forward, units in docs/pricing.md). Default `first`.",
            ),
        ],
        responses={200: OptionChainSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 410: ErrorSerializer},
    )
    def get(self, request: Request, symbol: str) -> HttpResponse:
        # The same minute's chain is the same reply for everyone: served from the cache while no commit has changed
        # it (apps/api/chain_cache.py); anything else (errors, a browser's HTML page) is computed each time.
        entry = None
        if request.accepted_renderer.format == "json":
            entry = chain_cache.chain_key(
                symbol=symbol, query=request.query_params, media_type=request.accepted_media_type
            )
        lookup = chain_cache.chain_lookup(entry) if entry is not None else None
        if lookup is not None and lookup.body is not None:
            return HttpResponse(lookup.body, content_type=_content_type(request))
        data = self._chain(request, symbol)
        if entry is None or lookup is None:
            return Response(data)
        rendered = request.accepted_renderer.render(data, request.accepted_media_type, self.get_renderer_context())
        body = rendered.encode() if isinstance(rendered, str) else rendered
        chain_cache.chain_store(entry, lookup, body)
        return HttpResponse(body, content_type=_content_type(request))

    def _chain(self, request: Request, symbol: str) -> Any:
        underlying = params.underlying_get(symbol=symbol)
        offsets = params.parse_offsets(request.query_params)
        price = params.parse_choice(request.query_params, "price", ["last", "average"], default="last")
        greeks = params.parse_choice(request.query_params, "greeks", ["first", "all"], default="first")
        point = params.resolve_chain_point(underlying=underlying, params=request.query_params)
        quotes = chain_quotes(underlying=underlying, expiry=point.expiry, minute=point.minute, offsets=offsets)
        first = quotes[0] if quotes else None
        analysed = forward_analysed(underlying=underlying, expiry=point.expiry, minute=point.minute)
        if greeks == "all":
            _add_second_order(quotes, point, analysed["forward"] if analysed else (first.forward if first else None))
        chain = {
            "symbol": underlying.symbol,
            "expiry": point.expiry,
            "bucket": first.expiry_bucket if first else (point.bucket or ""),
            "minute": point.minute,
            "spot": first.spot if first else None,
            "forward": analysed["forward"] if analysed else (first.forward if first else None),
            "forward_source": analysed["forward_source"] if analysed else None,
            "price": price,
            "rows": _rows(quotes),
        }
        return OptionChainSerializer(chain, context={"price": price}).data


def _content_type(request: Request) -> str:
    """As DRF's Response sets it for the negotiated renderer."""
    renderer = request.accepted_renderer
    media_type = request.accepted_media_type or renderer.media_type
    return f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type


def _add_second_order(quotes: list[OptionQuote], point: params.ChainPoint, forward: float | None) -> None:
    """Sets vanna ... color on each quote, which the serializer then shows."""
    values = second_order_greeks(
        quotes=quotes, expiry=point.expiry, minute=point.minute, forward=forward, exchange=point.underlying.exchange
    )
    for quote in quotes:
        for name, value in values[quote.pk].items():
            setattr(quote, name, value)


def _rows(quotes: list[OptionQuote]) -> list[dict[str, Any]]:
    """CE and PE of a strike side by side; quotes arrive ordered by strike."""
    rows: dict[float, dict[str, Any]] = {}
    for quote in quotes:
        row = rows.setdefault(
            quote.strike, {"strike": quote.strike, "strike_offset": quote.strike_offset, "ce": None, "pe": None}
        )
        row[quote.option_type.lower()] = quote
    return list(rows.values())
