"""Platform plumbing every app may use."""

from __future__ import annotations

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
