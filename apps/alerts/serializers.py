"""Shapes of the alerts API: typed input (the rule service validates the whole) and documented output in IST."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.alerts.choices import Channel, Condition, Metric
from apps.alerts.models import AlertEvent, AlertProfile, AlertRule, Delivery, WebhookEndpoint
from apps.market.clock import IST


class IstDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", IST)
        super().__init__(**kwargs)


class RuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    symbol = serializers.CharField(required=False, allow_null=True, help_text="NIFTY, BANKNIFTY, ...")
    bucket = serializers.CharField(required=False, allow_null=True, help_text="Default this_week; or give expiry.")
    expiry = serializers.DateField(required=False, allow_null=True)
    metric = serializers.ChoiceField(choices=Metric.choices)
    category = serializers.CharField(
        required=False, allow_blank=True, help_text="participant_net: FII, DII, Pro, Client."
    )
    condition = serializers.ChoiceField(choices=Condition.choices)
    value = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Threshold; for moves_by the amount (strikes for max_pain, call_wall, put_wall). IVs in percent.",
    )
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), allow_empty=False)
    webhook_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    cooldown_minutes = serializers.IntegerField(required=False, min_value=0)
    active = serializers.BooleanField(required=False)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    disabled = serializers.BooleanField(read_only=True)
    disabled_at = IstDateTimeField(allow_null=True)
    last_success_at = IstDateTimeField(allow_null=True)
    last_failure_at = IstDateTimeField(allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "disabled",
            "disabled_at",
            "consecutive_failures",
            "last_error",
            "last_success_at",
            "last_failure_at",
        ]


class RuleSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    symbol = serializers.SerializerMethodField()
    bucket = serializers.SerializerMethodField()
    last_minute = IstDateTimeField(allow_null=True, help_text="The last point evaluated.")
    last_fired_minute = IstDateTimeField(allow_null=True)
    created_at = IstDateTimeField()
    updated_at = IstDateTimeField()

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "owner",
            "name",
            "symbol",
            "bucket",
            "expiry",
            "metric",
            "category",
            "condition",
            "value",
            "channels",
            "webhook_url",
            "cooldown_minutes",
            "active",
            "last_minute",
            "last_value",
            "last_text",
            "armed",
            "baseline",
            "baseline_text",
            "last_fired_minute",
            "fired_count",
            "created_at",
            "updated_at",
        ]

    def get_symbol(self, rule: AlertRule) -> str | None:
        return rule.underlying.symbol if rule.underlying else None

    def get_bucket(self, rule: AlertRule) -> str | None:
        return rule.bucket or None


class DeliverySerializer(serializers.ModelSerializer):
    created_at = IstDateTimeField()
    finished_at = IstDateTimeField(allow_null=True)

    class Meta:
        model = Delivery
        fields = ["id", "channel", "target", "status", "attempts", "error", "created_at", "finished_at"]


class EventSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.__str__", read_only=True)
    symbol = serializers.SerializerMethodField()
    metric = serializers.CharField(source="rule.metric", read_only=True)
    minute = IstDateTimeField()
    fired_at = IstDateTimeField()
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = AlertEvent
        fields = [
            "id",
            "rule",
            "rule_name",
            "symbol",
            "metric",
            "minute",
            "expiry",
            "value",
            "value_text",
            "previous_value",
            "previous_text",
            "message",
            "fired_at",
            "deliveries",
        ]

    def get_symbol(self, event: AlertEvent) -> str | None:
        return event.rule.underlying.symbol if event.rule.underlying else None


class ProfileSerializer(serializers.ModelSerializer):
    email = serializers.CharField(
        source="user.email", read_only=True, help_text="Email alerts go here (your user's address; empty: none)."
    )

    class Meta:
        model = AlertProfile
        fields = ["email", "telegram_chat_id"]
