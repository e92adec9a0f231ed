"""Rules are created and edited in the admin through the same service as the API (same validation, same cursor);
firings, notices and deliveries are read-only; a disabled webhook is re-enabled with an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.alerts.choices import Channel
from apps.alerts.models import AlertEvent, AlertProfile, AlertRule, Delivery, FaultNotice, WebhookEndpoint
from apps.alerts.services.deliveries import webhook_enable
from apps.alerts.services.rules import RuleInput, RuleInvalid, rule_create, rule_update, rule_validate
from apps.core.admin_mixins import ReadOnlyAdmin

RULE_FIELDS = [
    "owner",
    "name",
    "underlying",
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
]


class RuleForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(choices=Channel.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = AlertRule
        fields = RULE_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        owner = data.get("owner")
        if owner is None:
            return data
        underlying = data.get("underlying")
        try:
            rule_validate(data=_input(data, symbol=underlying.symbol if underlying else None), owner=owner)
        except RuleInvalid as exc:
            field = "underlying" if exc.field == "symbol" else exc.field
            self.add_error(field if field in self.fields else None, exc.message.split(": ", 1)[-1])
        return data


def _input(data: dict[str, Any], *, symbol: str | None) -> RuleInput:
    return RuleInput(
        name=data.get("name") or "",
        symbol=symbol,
        bucket=data.get("bucket") or None,
        expiry=data.get("expiry"),
        metric=data.get("metric") or "",
        category=data.get("category") or "",
        condition=data.get("condition") or "",
        value=data.get("value"),
        channels=list(data.get("channels") or []),
        webhook_url=data.get("webhook_url") or "",
        cooldown_minutes=data.get("cooldown_minutes") or 0,
        active=bool(data.get("active")),
    )


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ["id", "owner", "name", "underlying", "metric", "condition", "value", "active", "fired_count"]
    list_filter = ["active", "metric", "condition", "underlying"]
    search_fields = ["name", "owner__username"]
    readonly_fields = [
        "last_minute",
        "last_value",
        "last_text",
        "armed",
        "baseline",
        "baseline_text",
        "last_fired_minute",
        "fired_count",
    ]

    def save_model(self, request: HttpRequest, obj: AlertRule, form: Any, change: bool) -> None:
        data = form.cleaned_data
        underlying = data.get("underlying")
        rule_input = _input(data, symbol=underlying.symbol if underlying else None)
        if change:
            changes = dict(rule_input.__dict__)
            saved = rule_update(rule=AlertRule.objects.get(pk=obj.pk), changes=changes)
        else:
            saved = rule_create(owner=data["owner"], data=rule_input)
        obj.pk = saved.pk
        obj.refresh_from_db()


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "target", "status", "attempts", "error", "finished_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AlertEvent)
class AlertEventAdmin(ReadOnlyAdmin):
    list_display = ["minute", "rule", "value", "value_text", "previous_value", "message"]
    list_filter = ["rule__metric"]
    inlines = [DeliveryInline]


@admin.register(FaultNotice)
class FaultNoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "subject"]
    list_filter = ["kind", "code"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "target", "status", "attempts", "error"]
    list_filter = ["status", "channel"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "disabled", "disabled_at", "consecutive_failures", "last_success_at", "last_error"]
    list_filter = ["disabled_at"]
    readonly_fields = ["consecutive_failures", "disabled_at", "last_error", "last_success_at", "last_failure_at"]
    actions = ["enable"]

    @admin.display(boolean=True, description="Disabled")
    def disabled(self, endpoint: WebhookEndpoint) -> bool:
        return endpoint.disabled

    @admin.action(description="Re-enable the selected webhooks")
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhook_enable(endpoint=endpoint)
        self.message_user(request, f"{queryset.count()} webhook(s) re-enabled.", messages.SUCCESS)


@admin.register(AlertProfile)
class AlertProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "telegram_chat_id"]
