"""Alert rules and their firings, platform fault notices, and every delivery of either.

A firing is stored once per (rule, minute) - the database refuses a second one - and each rule carries its own
cursor (``last_minute``) and condition state, updated under a row lock with the firing, so two evaluators or a
re-analysed minute cannot fire a crossing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.alerts.choices import Channel, Condition, DeliveryStatus, Metric, NoticeKind
from apps.market.choices import ExpiryBucket


class AlertProfile(models.Model):
    """Per-user delivery settings (email comes from the user's own address)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_profile")
    telegram_chat_id = models.CharField(
        max_length=64, blank=True, help_text="Your chat with the platform's bot (send it /start, then read the id)."
    )

    class Meta:
        ordering = ["user_id"]

    def __str__(self) -> str:
        return f"alert profile of {self.user_id}"


class WebhookEndpoint(models.Model):
    """A webhook target and its health: disabled after ``OPTRADING_WEBHOOK_DISABLE_AFTER`` consecutive failed
    deliveries (each after its retries), until re-enabled in the admin, the API or the alerts page."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Empty for the platform's fault webhook (OPTRADING_ALERT_WEBHOOK_URL).",
    )
    url = models.CharField(max_length=500)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["owner_id", "url"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "url"], condition=models.Q(owner__isnull=False), name="webhookendpoint_unique_owned"
            ),
            models.UniqueConstraint(
                fields=["url"], condition=models.Q(owner__isnull=True), name="webhookendpoint_unique_platform"
            ),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


class AlertRule(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=120, blank=True)
    underlying = models.ForeignKey(
        "market.Underlying",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty only for participant_net (NSE's participant data is market-wide).",
    )
    bucket = models.CharField(max_length=16, choices=ExpiryBucket.choices, blank=True, default=ExpiryBucket.THIS_WEEK)
    expiry = models.DateField(null=True, blank=True, help_text="A fixed expiry instead of the bucket.")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    category = models.CharField(max_length=8, blank=True, help_text="participant_net: FII, DII, Pro or Client.")
    condition = models.CharField(max_length=16, choices=Condition.choices)
    value = models.FloatField(
        null=True,
        blank=True,
        help_text="The threshold, or for moves_by the amount (strikes for max_pain and the walls); none for changes.",
    )
    channels = models.JSONField(default=list, help_text="Any of websocket, email, webhook, telegram.")
    webhook_url = models.CharField(max_length=500, blank=True)
    cooldown_minutes = models.PositiveIntegerField(default=0, help_text="Market minutes after a firing with none.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Evaluation state, written only by the evaluator under a row lock (apps.alerts.services.evaluate).
    last_minute = models.DateTimeField(null=True, blank=True, help_text="The last point evaluated (the cursor).")
    last_value = models.FloatField(null=True, blank=True)
    last_text = models.CharField(max_length=32, blank=True)
    armed = models.BooleanField(default=True, help_text="above/below: the condition was false since the last firing.")
    baseline = models.FloatField(null=True, blank=True, help_text="moves_by: measured from here.")
    baseline_text = models.CharField(max_length=32, blank=True, help_text="changes: the last label.")
    last_fired_minute = models.DateTimeField(null=True, blank=True)
    fired_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["owner_id", "id"]
        indexes = [models.Index(fields=["underlying", "active"], name="alertrule_active_by_underlying")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(condition=Condition.CHANGES) | models.Q(value__isnull=False),
                name="alertrule_value_unless_changes",
            ),
            models.CheckConstraint(
                condition=models.Q(metric=Metric.PARTICIPANT_NET) | models.Q(underlying__isnull=False),
                name="alertrule_underlying_unless_participants",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"rule {self.pk}"


class AlertEvent(models.Model):
    """One firing of a rule: at most one per (rule, minute), enforced by the database."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    minute = models.DateTimeField(help_text="The market minute (or participant day's close) that fired it.")
    value = models.FloatField(null=True, blank=True)
    value_text = models.CharField(max_length=32, blank=True)
    previous_value = models.FloatField(null=True, blank=True)
    previous_text = models.CharField(max_length=32, blank=True)
    expiry = models.DateField(null=True, blank=True)
    message = models.TextField()
    fired_at = models.DateTimeField()

    class Meta:
        ordering = ["-minute", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "minute"], name="alertevent_once_per_rule_minute")]
        indexes = [models.Index(fields=["rule", "-minute"], name="alertevent_rule_latest")]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.minute:%Y-%m-%d %H:%M}"


class FaultState(models.Model):
    """What the user was last told about one fault (component, code): claimed with conditional UPDATEs, so two
    checkers (the watchdog and the worker's fault check) send each problem and each resolution once."""

    component = models.CharField(max_length=32)
    code = models.CharField(max_length=64)
    notified = models.BooleanField(default=False, help_text="A problem notice was sent and not yet resolved.")
    last_problem_at = models.DateTimeField(null=True, blank=True)
    last_resolved_at = models.DateTimeField(null=True, blank=True)
    event = models.ForeignKey(
        "monitoring.ErrorEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["component", "code"]
        constraints = [models.UniqueConstraint(fields=["component", "code"], name="faultstate_unique_key")]

    def __str__(self) -> str:
        return f"{self.component}/{self.code} {'firing' if self.notified else 'ok'}"


class FaultNotice(models.Model):
    component = models.CharField(max_length=32)
    code = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=NoticeKind.choices)
    subject = models.CharField(max_length=200)
    message = models.TextField()
    suggestion = models.TextField(blank=True)
    event = models.ForeignKey(
        "monitoring.ErrorEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """One message to one target on one channel, for a firing or a fault notice."""

    event = models.ForeignKey(AlertEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    notice = models.ForeignKey(FaultNotice, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    target = models.CharField(max_length=500, help_text="Email address, webhook URL, Telegram chat id or user id.")
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__isnull=False, notice__isnull=True)
                | models.Q(event__isnull=True, notice__isnull=False),
                name="delivery_event_xor_notice",
            ),
            models.UniqueConstraint(
                fields=["event", "channel", "target"],
                condition=models.Q(event__isnull=False),
                name="delivery_once_per_event_target",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="delivery_by_status")]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target}: {self.status}"
