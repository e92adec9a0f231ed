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
