"""Response shapes of /analytics/{symbol}/..., for the OpenAPI schema. The selectors build the dicts;
these serializers only document them. IVs and vols are decimals (0.1812 = 18.12 %); times are IST."""

from __future__ import annotations

from rest_framework import serializers

from apps.analytics.models import ForwardSource, OurVixReason
from apps.api.serializers import LegSerializer


class _Head(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField()
    minute = serializers.DateTimeField(help_text="The analysed minute: the latest at or before ``at``.")
    spot = serializers.FloatField()
    forward = serializers.FloatField()
    atm_strike = serializers.FloatField(allow_null=True)
    atm_iv = serializers.FloatField(allow_null=True)
    t_years = serializers.FloatField(help_text="Calendar minutes to the expiry close / 525600.")


class SummarySerializer(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField()
    bucket = serializers.CharField()
    minute = serializers.DateTimeField()
    days_to_expiry = serializers.FloatField()
    spot = serializers.FloatField()
    forward = serializers.FloatField()
    forward_source = serializers.ChoiceField(
        choices=ForwardSource.choices,
        help_text="Which step of the forward rule gave the forward: put-call parity over the strikes near spot where "
        "both legs traded or are quoted two-sided, else the future of the same expiry, else spot carried at r.",
    )
    t_years = serializers.FloatField()
    strike_count = serializers.IntegerField()
    atm_strike = serializers.FloatField(allow_null=True)
    atm_strike_spot = serializers.FloatField(allow_null=True)
    atm_iv = serializers.FloatField(allow_null=True)
    straddle = serializers.FloatField(allow_null=True)
    expected_move = serializers.FloatField(allow_null=True)
    pcr_oi = serializers.FloatField(allow_null=True)
    pcr_volume = serializers.FloatField(allow_null=True)
    pcr_oi_change = serializers.FloatField(allow_null=True)
    max_pain = serializers.FloatField(allow_null=True)
    rr25 = serializers.FloatField(allow_null=True)
    bf25 = serializers.FloatField(allow_null=True)
    call_oi_wall = serializers.FloatField(allow_null=True)
    put_oi_wall = serializers.FloatField(allow_null=True)
    net_gex = serializers.FloatField(allow_null=True)
    total_call_oi = serializers.IntegerField()
    total_put_oi = serializers.IntegerField()
    sentiment = serializers.CharField()
    sentiment_score = serializers.IntegerField()
    buildup_counts = serializers.DictField(child=serializers.IntegerField())


class _GreeksLeg(LegSerializer):
    class Meta(LegSerializer.Meta):
        fields = ("strike_offset", *LegSerializer.Meta.fields)


class _GreeksStrike(serializers.Serializer):
    strike = serializers.FloatField()
    call = _GreeksLeg(allow_null=True)
    put = _GreeksLeg(allow_null=True)


class GreeksSerializer(_Head):
    strikes = _GreeksStrike(many=True)


class _SmilePoint(serializers.Serializer):
    strike = serializers.FloatField()
    log_moneyness = serializers.FloatField(allow_null=True, help_text="ln(K / F).")
    call_iv = serializers.FloatField(allow_null=True)
    put_iv = serializers.FloatField(allow_null=True)
    iv = serializers.FloatField(allow_null=True, help_text="OTM IV: puts below the forward, calls at or above.")


class SmileSerializer(_Head):
    rr25 = serializers.FloatField(allow_null=True)
    bf25 = serializers.FloatField(allow_null=True)
    points = _SmilePoint(many=True)


class _SurfaceExpiry(serializers.Serializer):
    expiry = serializers.DateField()
    t_years = serializers.FloatField()
    days_to_expiry = serializers.FloatField()
    forward = serializers.FloatField()
    atm_iv = serializers.FloatField(allow_null=True)
    points = _SmilePoint(many=True)


class SurfaceSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    minute = serializers.DateTimeField()
    expiries = _SurfaceExpiry(many=True)


class _OiStrike(serializers.Serializer):
    strike = serializers.FloatField()
    call_oi = serializers.IntegerField(allow_null=True)
    put_oi = serializers.IntegerField(allow_null=True)
    call_oi_change = serializers.IntegerField(allow_null=True)
    put_oi_change = serializers.IntegerField(allow_null=True)
    call_volume = serializers.IntegerField(allow_null=True)
    put_volume = serializers.IntegerField(allow_null=True)


class OiSerializer(_Head):
    max_pain = serializers.FloatField(allow_null=True)
    call_oi_wall = serializers.FloatField(allow_null=True)
    put_oi_wall = serializers.FloatField(allow_null=True)
    pcr_oi = serializers.FloatField(allow_null=True)
    pcr_oi_change = serializers.FloatField(allow_null=True)
    strikes = _OiStrike(many=True)


class _GexStrike(serializers.Serializer):
    strike = serializers.FloatField()
    gex = serializers.FloatField(allow_null=True, help_text="₹ per 1 % move.")


class GexSerializer(_Head):
    net_gex = serializers.FloatField(allow_null=True)
    convention = serializers.CharField()
    strikes = _GexStrike(many=True)


class _TogglePoint(serializers.Serializer):
    minute = serializers.DateTimeField()
    premium = serializers.FloatField(allow_null=True)


class _ToggleLeg(serializers.Serializer):
    strike_offset = serializers.IntegerField()
    option_type = serializers.ChoiceField(choices=["CE", "PE"])
    strike = serializers.FloatField()
    premium = serializers.FloatField(allow_null=True)
    twap_day = serializers.FloatField(allow_null=True, help_text="Time-weighted average of the day so far.")
    percentile_day = serializers.FloatField(allow_null=True)
    percentile_sessions = serializers.FloatField(allow_null=True)
    series = _TogglePoint(many=True)


class PriceToggleSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    expiry = serializers.DateField()
    bucket = serializers.CharField()
    mode = serializers.ChoiceField(choices=["last", "average"])
    minute = serializers.DateTimeField()
    sessions = serializers.IntegerField()
    legs = _ToggleLeg(many=True)


class _Bands(serializers.Serializer):
    mean = serializers.ListField(child=serializers.FloatField(allow_null=True))
    upper = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="mean + 1 sigma")
    lower = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="mean - 1 sigma")
    min = serializers.ListField(child=serializers.FloatField(allow_null=True))
    max = serializers.ListField(child=serializers.FloatField(allow_null=True))


class OverlaySerializer(serializers.Serializer):
    symbol = serializers.CharField()
    bucket = serializers.CharField()
    expiry = serializers.DateField()
    align = serializers.ChoiceField(choices=["weekday", "dte"])
    weekday = serializers.IntegerField(help_text="0 = Monday.")
    days_to_expiry = serializers.IntegerField()
    sessions_used = serializers.ListField(child=serializers.DateField())
    times = serializers.ListField(child=serializers.CharField(), help_text="IST wall-clock minutes, HH:MM.")
    today = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="ATM straddle.")
    bands = _Bands()


class _HistoryPoint(serializers.Serializer):
    minute = serializers.DateTimeField()
    expiry = serializers.DateField()
    value = serializers.FloatField(allow_null=True)


ARCHIVED_DAYS_HELP = (
    "IST days of the range that are archived (their minutes are in Parquet, not in the database; "
    "restore_partitions brings them back): no point of theirs is in the answer because they were archived, "
    "not because nothing was collected."
)


class HistorySerializer(serializers.Serializer):
    symbol = serializers.CharField()
    field = serializers.CharField()
    expiry = serializers.DateField(allow_null=True)
    bucket = serializers.CharField(allow_null=True)
    points = _HistoryPoint(many=True)
    archived_days = serializers.ListField(child=serializers.DateField(), help_text=ARCHIVED_DAYS_HELP)


class _RankBlock(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    as_of = serializers.DateTimeField(required=False)
    rank = serializers.FloatField(allow_null=True, help_text="0-100: where the value sits between min and max.")
    percentile = serializers.FloatField(allow_null=True, help_text="0-100: share of sessions below the value.")
    min = serializers.FloatField(required=False)
    max = serializers.FloatField(required=False)
    sessions = serializers.IntegerField()


class IvRankSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    at = serializers.DateTimeField()
    cm30_atm_iv = _RankBlock(help_text="30-day constant-maturity ATM IV.")
    india_vix = _RankBlock(help_text="Published India VIX.")
    our_vix = _RankBlock(help_text="optrading's India-VIX-style index (ours).")


class _ComparisonPoint(serializers.Serializer):
    days_to_expiry = serializers.IntegerField()
    date = serializers.DateField()
    value = serializers.FloatField(allow_null=True)


class _ComparisonExpiry(serializers.Serializer):
    expiry = serializers.DateField()
    points = _ComparisonPoint(many=True)


class ExpiryComparisonSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    field = serializers.CharField()
    expiries = _ComparisonExpiry(many=True)


class _CorrelationPoint(serializers.Serializer):
    date = serializers.DateField()
    # "return" is a Python keyword, so the field is declared under another name and renamed below.
    index_return = serializers.FloatField()
    vix_change = serializers.FloatField()
    correlation = serializers.FloatField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["return"] = fields.pop("index_return")
        return fields


class VixCorrelationSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    window = serializers.IntegerField()
    points = _CorrelationPoint(many=True)


class _VolatilityPoint(serializers.Serializer):
    minute = serializers.DateTimeField()
    cm30_atm_iv = serializers.FloatField(allow_null=True)
    our_vix = serializers.FloatField(
        allow_null=True,
        help_text="Ours (India VIX white-paper method, in points): null when the snapshot cannot support it, "
        "our_vix_reason then says why.",
    )
    our_vix_reason = serializers.ChoiceField(
        choices=OurVixReason.choices,
        allow_null=True,
        help_text="Why our_vix is null; null when it is a number. "
        + "; ".join(f"{choice.value}: {choice.label}" for choice in OurVixReason),
    )
    our_vix_note = serializers.CharField(
        allow_blank=True, help_text="The expiries used, or exactly what the snapshot lacks (e.g. a missing monthly)."
    )
    india_vix = serializers.FloatField(allow_null=True, help_text="Published India VIX collected at that minute.")


class VolatilitySerializer(serializers.Serializer):
    symbol = serializers.CharField()
    our_vix_label = serializers.CharField()
    points = _VolatilityPoint(many=True)
    archived_days = serializers.ListField(child=serializers.DateField(), help_text=ARCHIVED_DAYS_HELP)
