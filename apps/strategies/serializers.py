"""Input and reply shapes of /api/v1/strategies (the payoff, the templates, saved strategies and their P&L)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.market.clock import IST
from apps.strategies.models import Strategy

MAX_LEGS = 12
MAX_SPOTS = 2000


class StrategyLegSerializer(serializers.Serializer):
    expiry = serializers.DateField(help_text="Expiry date YYYY-MM-DD.")
    strike = serializers.FloatField(min_value=0.01)
    option_type = serializers.ChoiceField(choices=["CE", "PE"])
    side = serializers.ChoiceField(choices=["buy", "sell"])
    lots = serializers.IntegerField(min_value=1, max_value=10_000)
    price = serializers.FloatField(
        min_value=0.0,
        required=False,
        allow_null=True,
        help_text="Entry premium per unit; default the mid as of `at` from the archive (the last price without a "
        "two-sided quote).",
    )


class PayoffInputSerializer(serializers.Serializer):
    symbol = serializers.CharField(max_length=32)
    legs = serializers.ListField(child=StrategyLegSerializer(), min_length=1, max_length=MAX_LEGS)
    spots = serializers.ListField(
        child=serializers.FloatField(min_value=0.0),
        required=False,
        min_length=1,
        max_length=MAX_SPOTS,
        help_text="Spots to value at; default spot ± 4 standard deviations to the first expiry, and every strike.",
    )
    at = serializers.DateTimeField(
        required=False,
        default_timezone=IST,
        help_text="The minute to value at (ISO 8601; IST without an offset): the latest archived one at or before "
        "it. Default: now.",
    )
    dates = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        max_length=10,
        help_text="Days for `before_expiry` (from the valuation day, before the first expiry), each valued at its "
        "close; the valuation day at the valuation minute. Default: the valuation day and up to four more.",
    )
    iv_shift = serializers.FloatField(
        required=False,
        default=0.0,
        min_value=-50.0,
        max_value=200.0,
        help_text="IV shift in vol points for `before_expiry` (what-if), e.g. 2 adds 2 points to every leg's IV.",
    )

    def validate_spots(self, value: list[float]) -> list[float]:
        return sorted(value)


class PnlPointSerializer(serializers.Serializer):
    spot = serializers.FloatField()
    pnl = serializers.FloatField(help_text="Rupees, for the lots given.")


class DatedCurveSerializer(serializers.Serializer):
    date = serializers.DateField()
    points = PnlPointSerializer(many=True)


class LegOutSerializer(serializers.Serializer):
    expiry = serializers.DateField()
    strike = serializers.FloatField()
    option_type = serializers.ChoiceField(choices=["CE", "PE"])
    side = serializers.ChoiceField(choices=["buy", "sell"])
    lots = serializers.IntegerField()
    lot_size = serializers.IntegerField(help_text="From the market rules for this expiry.")
    quantity = serializers.IntegerField(help_text="Units: lots x lot size.")
    price = serializers.FloatField(help_text="Entry premium per unit used.")
    price_source = serializers.ChoiceField(choices=["given", "mid"])
    iv = serializers.FloatField(allow_null=True, help_text="Sticky-strike IV of the strike (decimal), interpolated.")


class UnlimitedSerializer(serializers.Serializer):
    profit = serializers.BooleanField()
    loss = serializers.BooleanField()


class StrategyGreeksSerializer(serializers.Serializer):
    delta = serializers.FloatField(help_text="Rupees per ₹1 move of spot.")
    gamma = serializers.FloatField(help_text="Change of delta per ₹1 move of spot.")
    theta = serializers.FloatField(help_text="Rupees per calendar day.")
    vega = serializers.FloatField(help_text="Rupees per vol point.")


class MarginSerializer(serializers.Serializer):
    """The basket's margin from the broker (Kite's basket-margin API), priced now whatever `at` is; the figures
    are null when it is unavailable."""

    available = serializers.BooleanField(
        help_text="False on the simulated market, without a Kite session, or when "
        "Kite could not answer; `reason` says why."
    )
    reason = serializers.CharField(
        allow_blank=True, help_text="Why there is no margin (what Kite said); '' when available."
    )
    initial = serializers.FloatField(allow_null=True, help_text="Rupees: each leg margined on its own, summed.")
    final = serializers.FloatField(
        allow_null=True, help_text="Rupees: the basket together, with its hedge benefit and the account's positions."
    )
    hedge_benefit = serializers.FloatField(allow_null=True, help_text="Rupees: `initial` - `final`.")
    span = serializers.FloatField(allow_null=True, help_text="Rupees: SPAN of `final`.")
    exposure = serializers.FloatField(allow_null=True, help_text="Rupees: exposure margin of `final`.")
    premium = serializers.FloatField(allow_null=True, help_text="Rupees: premium of the bought legs in `final`.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # `source` is a Field attribute, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["source"] = serializers.CharField(allow_null=True, help_text="The broker that computed it (`kite`).")
        return fields


class PayoffSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    minute = serializers.DateTimeField(help_text="The archived minute valued at (IST).")
    spot = serializers.FloatField()
    lot_size = serializers.IntegerField(help_text="Lot size of the first expiry (each leg has its own in `legs`).")
    legs = LegOutSerializer(many=True)
    at_expiry = PnlPointSerializer(many=True, help_text="P&L at the first expiry (later legs still priced).")
    before_expiry = DatedCurveSerializer(many=True)
    breakevens = serializers.ListField(child=serializers.FloatField(), help_text="Spots at the first expiry.")
    max_profit = serializers.FloatField(allow_null=True, help_text="Rupees; null when unlimited.")
    max_loss = serializers.FloatField(
        allow_null=True, help_text="The lowest P&L in rupees (negative for a loss); null when unlimited."
    )
    unlimited = UnlimitedSerializer()
    pop = serializers.FloatField(
        allow_null=True, help_text="Probability of profit at the first expiry, 0-1 (lognormal, forward and ATM IV)."
    )
    net_premium = serializers.FloatField(help_text="Rupees received minus paid: positive a credit, negative a debit.")
    greeks = StrategyGreeksSerializer()
    margin = MarginSerializer()


class PresetLegSerializer(serializers.Serializer):
    option_type = serializers.ChoiceField(choices=["CE", "PE"])
    side = serializers.ChoiceField(choices=["buy", "sell"])
    strike_offset = serializers.IntegerField(help_text="Strike steps from the ATM strike.")
    lots = serializers.IntegerField()
    expiry = serializers.ChoiceField(choices=["near", "next"])


class PresetSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    view = serializers.CharField(help_text="The market view it expresses.")
    legs = PresetLegSerializer(many=True)


class StrategyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    symbol = serializers.CharField(max_length=32)
    legs = serializers.ListField(child=StrategyLegSerializer(), min_length=1, max_length=MAX_LEGS)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class StrategySerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="underlying.symbol")
    owner = serializers.CharField(source="owner.get_username")
    legs = StrategyLegSerializer(many=True)
    created_at = serializers.DateTimeField(default_timezone=IST)
    updated_at = serializers.DateTimeField(default_timezone=IST)

    class Meta:
        model = Strategy
        fields = ["id", "name", "symbol", "owner", "legs", "notes", "created_at", "updated_at"]
        read_only_fields = fields


class StrategyPnlLegSerializer(serializers.Serializer):
    expiry = serializers.DateField()
    strike = serializers.FloatField()
    option_type = serializers.ChoiceField(choices=["CE", "PE"])
    side = serializers.ChoiceField(choices=["buy", "sell"])
    lots = serializers.IntegerField()
    quantity = serializers.IntegerField()
    entry = serializers.FloatField(allow_null=True, help_text="Entry premium per unit (null: never quoted that day).")
    entry_source = serializers.ChoiceField(choices=["given", "first_mid"])


class StrategyPnlSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    symbol = serializers.CharField()
    date = serializers.DateField()
    legs = StrategyPnlLegSerializer(many=True)
    minutes = serializers.ListField(child=serializers.DateTimeField(default_timezone=IST))
    spot = serializers.ListField(child=serializers.FloatField(allow_null=True))
    pnl = serializers.ListField(
        child=serializers.FloatField(allow_null=True),
        help_text="Rupees per minute, marked at the mid; null where a leg has no quote that minute.",
    )


def leg_dicts(legs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated legs as stored JSON (dates as ISO strings)."""
    return [{**leg, "expiry": leg["expiry"].isoformat(), "price": leg.get("price")} for leg in legs]
