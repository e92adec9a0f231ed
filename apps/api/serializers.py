"""Response shapes of the archive and system endpoints. Read-only: they shape output and document it.

Times leave the API in IST (``+05:30``), the market's clock; they are stored in UTC.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.market.clock import IST
from apps.marketdata.models import CollectionRun, OptionQuote
from apps.marketdata.selectors import UnderlyingSpot
from apps.monitoring.models import ErrorEvent


class IstDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", IST)
        super().__init__(**kwargs)


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx reply."""

    error = serializers.CharField(help_text="What was wrong with the request.")


class MarketStatusSerializer(serializers.Serializer):
    at = IstDateTimeField(help_text="The moment the status is for.")
    exchange = serializers.CharField()
    state = serializers.ChoiceField(choices=["open", "pre_open", "closed"])
    is_open = serializers.BooleanField()
    trading_day = serializers.BooleanField()
    session_open = IstDateTimeField(allow_null=True, help_text="Today's open, on a trading day.")
    session_close = IstDateTimeField(allow_null=True, help_text="Today's close (15:30, 15:40 from 2026-08-03).")
    next_open = IstDateTimeField(help_text="The next open strictly after ``at``.")
    reason = serializers.CharField(help_text="Why: normal market, holiday name, weekend, after close, ...")


class UnderlyingSerializer(serializers.Serializer):
    symbol = serializers.CharField(source="underlying.symbol")
    display_name = serializers.CharField(source="underlying.display_name")
    exchange = serializers.CharField(source="underlying.exchange")
    has_weeklies = serializers.BooleanField(source="underlying.has_weeklies")
    minute = IstDateTimeField(source="quote.minute", allow_null=True, help_text="Minute of the latest spot.")
    spot = serializers.FloatField(source="quote.spot", allow_null=True)
    previous_close = serializers.FloatField(source="quote.spot_close", allow_null=True)
    change = serializers.FloatField(allow_null=True, help_text="Spot minus the previous session's close.")
    change_pct = serializers.FloatField(allow_null=True, help_text="Change in percent of the previous close.")
    future = serializers.FloatField(source="quote.future", allow_null=True)
    vix = serializers.FloatField(source="quote.vix", allow_null=True)

    def to_representation(self, instance: UnderlyingSpot) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in ("change", "change_pct"):
            if data[name] is not None:
                data[name] = round(data[name], 2)
        return data


class CollectionRunSerializer(serializers.ModelSerializer):
    started_at = IstDateTimeField()
    finished_at = IstDateTimeField(allow_null=True)
    minute = IstDateTimeField(allow_null=True)

    class Meta:
        model = CollectionRun
        fields = [
            "id",
            "started_at",
            "finished_at",
            "minute",
            "broker",
            "status",
            "underlyings",
            "instruments_requested",
            "instruments_received",
            "instruments_missing",
            "quotes_stored",
            "quote_calls",
            "duration_ms",
            "error",
            "details",
        ]


class ErrorEventSerializer(serializers.ModelSerializer):
    first_seen = IstDateTimeField()
    last_seen = IstDateTimeField()
    resolved_at = IstDateTimeField(allow_null=True)

    class Meta:
        model = ErrorEvent
        fields = [
            "id",
            "component",
            "code",
            "severity",
            "message",
            "suggestion",
            "first_seen",
            "last_seen",
            "count",
            "resolved",
            "resolved_at",
        ]


class ChainLegSerializer(serializers.Serializer):
    """One side (CE or PE) of a strike at the chain's minute."""

    tradingsymbol = serializers.CharField(source="instrument.tradingsymbol")
    price = serializers.SerializerMethodField(help_text="last_price or average_price, as asked by ``price=``.")
    last_price = serializers.FloatField()
    average_price = serializers.FloatField(allow_null=True, help_text="The day's VWAP (Kite average_price).")
    close_price = serializers.FloatField(allow_null=True)
    bid = serializers.FloatField(allow_null=True)
    bid_qty = serializers.IntegerField(allow_null=True)
    ask = serializers.FloatField(allow_null=True)
    ask_qty = serializers.IntegerField(allow_null=True)
    volume = serializers.IntegerField(help_text="Units traded today (contracts x lot size).")
    oi = serializers.IntegerField(help_text="Open interest in units.")
    oi_change = serializers.IntegerField(allow_null=True, help_text="OI minus the previous session's close OI.")
    iv = serializers.FloatField(allow_null=True, help_text="Black-76 implied volatility, decimal.")
    iv_source = serializers.CharField()
    iv_error = serializers.CharField()
    delta = serializers.FloatField(allow_null=True)
    gamma = serializers.FloatField(allow_null=True)
    theta = serializers.FloatField(allow_null=True, help_text="Per calendar day.")
    vega = serializers.FloatField(allow_null=True, help_text="Per vol point.")
    rho = serializers.FloatField(allow_null=True)
    buildup = serializers.CharField(help_text="long_buildup, short_buildup, short_covering, long_unwinding, neutral.")
    quality_flags = serializers.ListField(child=serializers.CharField())

    def get_price(self, quote: OptionQuote) -> float | None:
        if self.context.get("price") == "average":
            return quote.average_price
        return quote.last_price


class ChainRowSerializer(serializers.Serializer):
    strike = serializers.FloatField()
    strike_offset = serializers.IntegerField(help_text="Strike steps from ATM at this minute.")
    ce = ChainLegSerializer(allow_null=True)
    pe = ChainLegSerializer(allow_null=True)


class OptionChainSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField()
    bucket = serializers.CharField(help_text="The bucket this expiry was filed under at that minute.")
    minute = IstDateTimeField(help_text="The archived minute shown: the latest at or before ``at``.")
    spot = serializers.FloatField(allow_null=True)
    forward = serializers.FloatField(allow_null=True)
    price = serializers.ChoiceField(choices=["last", "average"])
    rows = ChainRowSerializer(many=True)
