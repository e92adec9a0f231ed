"""Response shapes of the archive and system endpoints. Read-only: they shape output and document it.

Times leave the API in IST (``+05:30``), the market's clock; they are stored in UTC.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.fields import Field, SkipField

from apps.analytics.models import ForwardSource
from apps.core.api import ErrorSerializer  # noqa: F401  re-exported for the API modules
from apps.market.clock import IST
from apps.marketdata import legs
from apps.marketdata.models import CollectionRun, OptionQuote
from apps.marketdata.selectors import UnderlyingSpot
from apps.monitoring.models import ErrorEvent


class IstDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", IST)
        super().__init__(**kwargs)


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


class ReplySerializer(serializers.ModelSerializer):
    """A model shaped for a reply. The model's blank, null or default columns are optional *input*; a reply
    carries every key (null when empty), so the schema marks each one required."""

    def build_standard_field(self, field_name: str, model_field: models.Field) -> tuple[type[Field], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if kwargs.get("read_only"):
            return field_class, kwargs  # read-only fields are required in a reply's schema already
        return field_class, {**kwargs, "required": True}

    def get_uniqueness_extra_kwargs(
        self, field_names: Any, declared_fields: Any, extra_kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A reply validates nothing: the model's unique constraints (and their defaults) do not apply."""
        return extra_kwargs, {}

    def get_validators(self) -> list[Any]:
        return []


class CollectionRunSerializer(ReplySerializer):
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


class ErrorEventSerializer(ReplySerializer):
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


class LegSerializer(ReplySerializer):
    """One side (CE or PE) of a strike at one minute: its quote and analytics (apps.marketdata.legs), typed and
    described by the OptionQuote model. Units: volume and OI in units (contracts x lot size)."""

    quality_flags = serializers.ListField(
        child=serializers.CharField(), help_text="Data-quality flags: stale_last_trade, wide_spread, ..."
    )

    class Meta:
        model = OptionQuote
        fields: tuple[str, ...] = (*legs.QUOTE, *legs.ANALYTICS)
        extra_kwargs = {
            # Units and vocabularies the model does not describe.
            "volume": {"help_text": "Units traded today (contracts x lot size)."},
            "oi": {"help_text": "Open interest in units."},
            "buildup": {"help_text": "OI build-up of the contract (empty until analysed)."},
        }


class OnRequestFloatField(serializers.FloatField):
    """A value present only when the request asked for it (the attribute is set on the row); omitted otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_null=True, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        if not hasattr(instance, self.source_attrs[-1]):
            raise SkipField()
        return super().get_attribute(instance)


SECOND_ORDER_HELP = {
    "vanna": "Only with greeks=all. ∂delta/∂sigma: delta's change per vol point (Black-76 on the forward).",
    "charm": "Only with greeks=all. Delta's change per calendar day (-∂delta/∂T / 365).",
    "vomma": "Only with greeks=all. ∂vega/∂sigma: vega's (per vol point) change per vol point.",
    "speed": "Only with greeks=all. ∂gamma/∂F: gamma's change per unit of the forward.",
    "zomma": "Only with greeks=all. ∂gamma/∂sigma: gamma's change per vol point.",
    "color": "Only with greeks=all. Gamma's change per calendar day (-∂gamma/∂T / 365).",
}


class ChainLegSerializer(LegSerializer):
    """One side of a strike in the option chain, with the price the client asked for."""

    tradingsymbol = serializers.CharField(source="instrument.tradingsymbol")
    price = serializers.SerializerMethodField(help_text="last_price or average_price, as asked by ``price=``.")
    vanna = OnRequestFloatField(help_text=SECOND_ORDER_HELP["vanna"])
    charm = OnRequestFloatField(help_text=SECOND_ORDER_HELP["charm"])
    vomma = OnRequestFloatField(help_text=SECOND_ORDER_HELP["vomma"])
    speed = OnRequestFloatField(help_text=SECOND_ORDER_HELP["speed"])
    zomma = OnRequestFloatField(help_text=SECOND_ORDER_HELP["zomma"])
    color = OnRequestFloatField(help_text=SECOND_ORDER_HELP["color"])

    class Meta(LegSerializer.Meta):
        fields = (
            "tradingsymbol",
            "price",
            *LegSerializer.Meta.fields,
            *legs.SECOND_ORDER,
        )

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
    forward = serializers.FloatField(
        allow_null=True,
        help_text="The forward the IVs and greeks are on (analytics'); before analytics has run for the minute, "
        "the estimate collection planned the strikes with.",
    )
    forward_source = serializers.ChoiceField(
        choices=ForwardSource.choices,
        allow_null=True,
        help_text="Which step of the forward rule gave it (parity, future, carry); null before analytics has run.",
    )
    price = serializers.ChoiceField(choices=["last", "average"])
    rows = ChainRowSerializer(many=True)
