"""Platform plumbing every app may use."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Lease(models.Model):
    """A named lock with an owner and an expiry (``apps.core.leases``).

    Whoever set ``token`` holds it until ``expires_at``; only the same token releases it, so a run that
    outlived its lease can never release the lease of the run that took it over.
    """

    name = models.CharField(max_length=64, primary_key=True)
    token = models.CharField(max_length=64, blank=True, help_text="Empty when free.")
    holder = models.CharField(max_length=160, blank=True, help_text="host:pid of the process holding it.")
    acquired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"


class ApiToken(models.Model):
    """An API token, stored as its SHA-256 digest: the key itself is shown once, when it is issued.

    ``prefix`` (the key's first characters) tells tokens apart in the admin and in a user's list without being
    enough to use one. A read-only token may call safe methods only (GET, HEAD, OPTIONS); anything else is 403.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, blank=True, help_text="What the token is for, e.g. 'grafana'.")
    prefix = models.CharField(max_length=12, editable=False, help_text="The key's first characters.")
    digest = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the key, hex.")
    read_only = models.BooleanField(default=False, help_text="Safe methods only (GET, HEAD, OPTIONS).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["user_id", "-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id}{', read-only' if self.read_only else ''})"

    def __repr__(self) -> str:  # the digest is not secret, but nothing about the key beyond its prefix is shown
        return f"<ApiToken {self.pk} {self.prefix}… user={self.user_id} read_only={self.read_only}>"
