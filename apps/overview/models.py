"""The market overview per minute: NIFTY 50 breadth and sector-index changes."""

from __future__ import annotations

from django.db import models


class BreadthSnapshot(models.Model):
    """Advances/declines of one universe at one minute, against each stock's previous close."""

    minute = models.DateTimeField(help_text="Start of the market minute, aware UTC.")
    universe = models.CharField(max_length=32, default="NIFTY 50")
    advances = models.PositiveSmallIntegerField()
    declines = models.PositiveSmallIntegerField()
    unchanged = models.PositiveSmallIntegerField()
    ad_ratio = models.FloatField(null=True, blank=True, help_text="Advances / declines; empty when declines = 0.")
    net_breadth = models.SmallIntegerField(help_text="Advances - declines.")
    missing = models.JSONField(default=list, blank=True, help_text="Constituents without a usable quote.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-minute", "universe"]
        constraints = [
            models.UniqueConstraint(fields=["universe", "minute"], name="breadthsnapshot_unique_minute"),
        ]
        indexes = [models.Index(fields=["universe", "-minute"], name="breadthsnapshot_latest")]

    def __str__(self) -> str:
        return f"{self.universe}@{self.minute:%Y-%m-%d %H:%M} +{self.advances}/-{self.declines}"


class SectorQuote(models.Model):
    """One sector index at one minute; change is vs the index's previous close (Kite ohlc.close)."""

    minute = models.DateTimeField(help_text="Start of the market minute, aware UTC.")
    symbol = models.CharField(max_length=64, help_text="Kite tradingsymbol, e.g. 'NIFTY IT'.")
    label = models.CharField(max_length=64, blank=True)
    last_price = models.FloatField()
    previous_close = models.FloatField(null=True, blank=True)
    change_pct = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-minute", "symbol"]
        constraints = [models.UniqueConstraint(fields=["symbol", "minute"], name="sectorquote_unique_minute")]
        indexes = [models.Index(fields=["-minute"], name="sectorquote_latest")]

    def __str__(self) -> str:
        return f"{self.symbol}@{self.minute:%Y-%m-%d %H:%M}"
