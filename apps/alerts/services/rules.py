"""Alert rules: validated as a whole (every error names its field), created with their cursor at the latest analysed
minute (a new rule looks forward, never back over the archive) and the value then as its baseline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.alerts.choices import LABEL_METRICS, Channel, Condition, Metric
from apps.alerts.models import AlertProfile, AlertRule
from apps.alerts.services.series import latest_point
from apps.alerts.transports.email import email_configured
from apps.alerts.transports.netguard import TargetRefused, target_resolve
from apps.core.errors import ApplicationError
from apps.market.choices import ExpiryBucket
from apps.market.models import Underlying
from apps.participants.models import ParticipantCategory

CATEGORIES = [c.value for c in ParticipantCategory if c != ParticipantCategory.TOTAL]
BUCKETS = [b.value for b in ExpiryBucket if b != ExpiryBucket.OTHER]
MAX_COOLDOWN = 7 * 24 * 60

FIELDS = (
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
)


class RuleInvalid(ApplicationError):
    """A 400 that names the field: ``{"error": "<field>: <why>", "fields": {"<field>": ["<why>"]}}``."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", extra={"fields": {field: [message]}})
        self.field = field


@dataclass
class RuleInput:
    name: str = ""
    symbol: str | None = None
    bucket: str | None = ExpiryBucket.THIS_WEEK
    expiry: date | None = None
    metric: str = ""
    category: str = ""
    condition: str = ""
    value: float | None = None
    channels: list[str] | None = None
    webhook_url: str = ""
    cooldown_minutes: int = 0
    active: bool = True

    @classmethod
    def of_rule(cls, rule: AlertRule) -> RuleInput:
        return cls(
            name=rule.name,
            symbol=rule.underlying.symbol if rule.underlying else None,
            bucket=rule.bucket or None,
            expiry=rule.expiry,
            metric=rule.metric,
            category=rule.category,
            condition=rule.condition,
            value=rule.value,
            channels=list(rule.channels),
            webhook_url=rule.webhook_url,
            cooldown_minutes=rule.cooldown_minutes,
            active=rule.active,
        )


def _choice(field: str, value: str, choices: list[str]) -> str:
    if value not in choices:
        raise RuleInvalid(field, f"{value!r} is not one of {', '.join(choices)}.")
    return value


def rule_validate(*, data: RuleInput, owner: AbstractBaseUser) -> tuple[RuleInput, Underlying | None]:
    """The rule as it will be stored, or RuleInvalid naming the first field that is wrong."""
    metric = _choice("metric", data.metric, list(Metric.values))
    condition = _choice("condition", data.condition, list(Condition.values))
    underlying = None
    if metric == Metric.PARTICIPANT_NET:
        data.category = _choice("category", data.category, CATEGORIES)
        data.symbol, data.bucket, data.expiry = None, None, None
    else:
        if data.category:
            raise RuleInvalid("category", "only participant_net takes a category.")
        if not data.symbol:
            raise RuleInvalid("symbol", "required (e.g. NIFTY).")
        underlying = Underlying.objects.filter(symbol=data.symbol.strip().upper()).first()
        if underlying is None:
            known = ", ".join(Underlying.objects.order_by("symbol").values_list("symbol", flat=True)) or "none loaded"
            raise RuleInvalid("symbol", f"unknown symbol {data.symbol!r}; known: {known}.")
        data.symbol = underlying.symbol
        if data.expiry is not None:
            data.bucket = None
        else:
            data.bucket = _choice("bucket", data.bucket or ExpiryBucket.THIS_WEEK, BUCKETS)
            if data.bucket in (ExpiryBucket.THIS_WEEK, ExpiryBucket.NEXT_WEEK) and not underlying.has_weeklies:
                raise RuleInvalid(
                    "bucket", f"{underlying.symbol} has no weekly expiries; use this_month or next_month."
                )
    if metric in LABEL_METRICS:
        if condition != Condition.CHANGES:
            raise RuleInvalid("condition", f"{metric} is a label: only 'changes' applies.")
    elif condition == Condition.CHANGES:
        raise RuleInvalid("condition", "'changes' applies to labels (sentiment) only.")
    if condition == Condition.CHANGES:
        data.value = None
    elif data.value is None:
        raise RuleInvalid("value", f"required for {condition}.")
    elif condition == Condition.MOVES_BY and data.value <= 0:
        raise RuleInvalid("value", "moves_by needs a positive amount.")
    channels = list(dict.fromkeys(data.channels or []))
    if not channels:
        raise RuleInvalid("channels", f"choose at least one of {', '.join(Channel.values)}.")
    for channel in channels:
        _choice("channels", channel, list(Channel.values))
    _channels_check(channels=channels, data=data, owner=owner)
    data.channels = channels
    if not 0 <= data.cooldown_minutes <= MAX_COOLDOWN:
        raise RuleInvalid("cooldown_minutes", f"between 0 and {MAX_COOLDOWN} (a week).")
    return data, underlying


def _channels_check(*, channels: list[str], data: RuleInput, owner: AbstractBaseUser) -> None:
    if Channel.WEBHOOK in channels:
        if not data.webhook_url:
            raise RuleInvalid("webhook_url", "required with the webhook channel.")
        if not settings.OPTRADING_WEBHOOK_SECRET:
            raise RuleInvalid("channels", "webhooks are signed with OPTRADING_WEBHOOK_SECRET, which is not set.")
        try:
            target_resolve(data.webhook_url, allow_private=bool(settings.OPTRADING_WEBHOOK_ALLOW_PRIVATE))
        except TargetRefused as exc:
            raise RuleInvalid("webhook_url", f"{exc}.") from exc
    elif data.webhook_url:
        raise RuleInvalid("webhook_url", "only used with the webhook channel.")
    if Channel.EMAIL in channels:
        if not email_configured():
            raise RuleInvalid("channels", "email is not configured on this platform (EMAIL_HOST).")
        if not getattr(owner, "email", ""):
            raise RuleInvalid("channels", "your user has no email address.")
    if Channel.TELEGRAM in channels:
        if not settings.OPTRADING_TELEGRAM_BOT_TOKEN:
            raise RuleInvalid("channels", "Telegram is not configured on this platform (OPTRADING_TELEGRAM_BOT_TOKEN).")
        if not AlertProfile.objects.filter(user_id=owner.pk).exclude(telegram_chat_id="").exists():
            raise RuleInvalid("channels", "set your Telegram chat id first (PATCH /api/v1/alerts/profile).")


def _apply(rule: AlertRule, data: RuleInput, underlying: Underlying | None) -> None:
    rule.name = data.name
    rule.underlying = underlying
    rule.bucket = data.bucket or ""
    rule.expiry = data.expiry
    rule.metric = data.metric
    rule.category = data.category
    rule.condition = data.condition
    rule.value = data.value
    rule.channels = data.channels or []
    rule.webhook_url = data.webhook_url
    rule.cooldown_minutes = data.cooldown_minutes
    rule.active = data.active


def _reset_state(rule: AlertRule, *, now: datetime) -> None:
    """Start looking forward from the latest analysed point, its value the baseline (moves_by, changes)."""
    cursor, point = latest_point(rule, now=now)
    rule.last_minute = cursor
    rule.last_value = point.value if point else None
    rule.last_text = point.text if point else ""
    rule.armed = True
    rule.baseline = point.value if point else None
    rule.baseline_text = point.text if point else ""


def rule_create(*, owner: AbstractBaseUser, data: RuleInput, now: datetime | None = None) -> AlertRule:
    data, underlying = rule_validate(data=data, owner=owner)
    rule = AlertRule(owner_id=owner.pk)
    _apply(rule, data, underlying)
    _reset_state(rule, now=now or timezone.now())
    rule.save()
    return rule


WATCH_FIELDS = ("symbol", "bucket", "expiry", "metric", "category", "condition", "value")
"""Changing any of these makes it another rule: its state starts again from now."""


def rule_update(*, rule: AlertRule, changes: dict[str, Any], now: datetime | None = None) -> AlertRule:
    unknown = set(changes) - set(FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise RuleInvalid(field, "not a field of a rule.")
    current = RuleInput.of_rule(rule)
    merged = RuleInput(**{**current.__dict__, **changes})
    if "expiry" in changes and changes["expiry"] is None and "bucket" not in changes:
        merged.bucket = ExpiryBucket.THIS_WEEK
    if "bucket" in changes and changes["bucket"] and "expiry" not in changes:
        merged.expiry = None
    data, underlying = rule_validate(data=merged, owner=rule.owner)
    restart = any(getattr(current, f) != getattr(data, f) for f in WATCH_FIELDS) or (data.active and not rule.active)
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
        _apply(locked, data, underlying)
        if restart:
            _reset_state(locked, now=now or timezone.now())
        locked.save()
    return locked


def rule_delete(*, rule: AlertRule) -> None:
    rule.delete()


def profile_update(*, user: AbstractBaseUser, telegram_chat_id: str) -> AlertProfile:
    chat = telegram_chat_id.strip()
    if chat and not (chat.lstrip("-").isdigit() or chat.startswith("@")):
        raise RuleInvalid("telegram_chat_id", "a numeric chat id (e.g. 123456789, -100… for groups) or @channel.")
    profile, _ = AlertProfile.objects.update_or_create(user_id=user.pk, defaults={"telegram_chat_id": chat})
    return profile
