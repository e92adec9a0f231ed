"""Errors users can act on: one row per (component, code), counted, with a recovery suggestion."""

from __future__ import annotations

from django.db import models


class Severity(models.TextChoices):
    """How loud an event is: ``critical`` events are also sent to the platform's alert channels
    (``OPTRADING_ALERT_CHANNELS``), with a "resolved" message when they clear."""

    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class ErrorEvent(models.Model):
    component = models.CharField(max_length=32, help_text="collection, broker, analytics, participants, ...")
    code = models.CharField(max_length=64)
    message = models.TextField()
    suggestion = models.TextField(blank=True, help_text="What the user can do about it.")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            # One open event per (component, code): recording it again counts on that row (an upsert), so two
            # workers hitting the same fault at once cannot open it twice.
            models.UniqueConstraint(
                fields=["component", "code"], condition=models.Q(resolved=False), name="errorevent_one_open"
            ),
        ]
        indexes = [
            models.Index(fields=["resolved", "-last_seen"], name="errorevent_open_latest"),
            models.Index(fields=["severity", "resolved"], name="errorevent_severity_open"),
        ]

    def __str__(self) -> str:
        return f"{self.component}/{self.code} x{self.count}"
