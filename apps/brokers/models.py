"""Broker sessions. The access token is encrypted at rest and never logged or shown."""

from __future__ import annotations

from django.db import models

from apps.brokers import crypto


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Logged out"
    SUPERSEDED = "superseded", "Superseded by a newer login"


class BrokerSession(models.Model):
    provider = models.CharField(max_length=16)
    user_id = models.CharField(max_length=32)
    user_name = models.CharField(max_length=128, blank=True)
    access_token_encrypted = models.TextField(editable=False)
    login_time = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.ACTIVE)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-login_time"]
        indexes = [models.Index(fields=["provider", "status", "-login_time"], name="brokersession_active_lookup")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.user_id} ({self.status})"

    def __repr__(self) -> str:  # never the token, even by accident in a traceback
        return f"<BrokerSession {self.pk} {self.provider}:{self.user_id} {self.status}>"

    def set_access_token(self, token: str) -> None:
        self.access_token_encrypted = crypto.encrypt(token)

    def get_access_token(self) -> str | None:
        return crypto.decrypt(self.access_token_encrypted) if self.access_token_encrypted else None


class AuthEventKind(models.TextChoices):
    LOGIN_STARTED = "login_started", "Login started"
    TOKEN_EXCHANGED = "token_exchanged", "Request token exchanged"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOGOUT = "logout", "Logged out"
    EXPIRED = "expired", "Session expired or rejected"


class AuthOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"


class AuthEvent(models.Model):
    """Audit trail of broker logins. Never holds a token or the API secret: only who, what and why."""

    time = models.DateTimeField()
    provider = models.CharField(max_length=16)
    event = models.CharField(max_length=24, choices=AuthEventKind.choices)
    outcome = models.CharField(max_length=8, choices=AuthOutcome.choices)
    user_id = models.CharField(max_length=32, blank=True, help_text="The broker's client id, when known.")
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True, help_text="Correlates the event with a request or run.")

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["provider", "-time"], name="authevent_recent_by_provider")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event} {self.outcome}"
