"""A strategy a user saved: its underlying and legs (expiry, strike, CE/PE, buy/sell, lots, entry price)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Strategy(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strategies")
    name = models.CharField(max_length=120)
    underlying = models.ForeignKey("market.Underlying", on_delete=models.PROTECT, related_name="+")
    legs = models.JSONField(
        help_text="[{expiry YYYY-MM-DD, strike, option_type CE|PE, side buy|sell, lots, price (per unit, or null: "
        "the mid at the day's first archived minute)}]"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner_id", "-updated_at", "id"]
        verbose_name_plural = "strategies"
        indexes = [models.Index(fields=["owner", "-updated_at"], name="strategy_owner_updated")]

    def __str__(self) -> str:
        return f"{self.name} ({self.underlying_id}, {len(self.legs)} legs)"
