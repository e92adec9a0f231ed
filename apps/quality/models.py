"""The end-of-day data-quality score: one report per trading day, one row per underlying (formula: README)."""

from __future__ import annotations

from django.db import models


class QualityReport(models.Model):
    day = models.DateField(unique=True, help_text="The IST trading day verified.")
    score = models.FloatField(help_text="0-100: the mean of the underlyings' scores.")
    expected_minutes = models.PositiveIntegerField(help_text="Session minutes of the day by the calendar.")
    notes = models.JSONField(default=list, blank=True, help_text="Caveats (e.g. a year the calendar does not cover).")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.score:.1f}"


class UnderlyingQuality(models.Model):
    report = models.ForeignKey(QualityReport, on_delete=models.CASCADE, related_name="underlyings")
    underlying = models.ForeignKey("market.Underlying", on_delete=models.PROTECT, related_name="+")
    expected_minutes = models.PositiveIntegerField()
    collected_minutes = models.PositiveIntegerField()
    planned_contracts = models.PositiveIntegerField(help_text="Contracts the plan asked for, over collected minutes.")
    missing_contracts = models.PositiveIntegerField(help_text="Planned contracts not stored, over collected minutes.")
    minutes_with_missing_strikes = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(help_text="Option quotes stored in the session.")
    stale_quotes = models.PositiveIntegerField(help_text="Last trade more than 5 minutes before the minute, or none.")
    zero_quotes = models.PositiveIntegerField(help_text="Last price 0, or neither a bid nor an ask.")
    bad_quotes = models.PositiveIntegerField(help_text="Stale or zero, each row counted once.")
    iv_failed = models.PositiveIntegerField(help_text="Rows without an IV (unsolvable or not analysed).")
    iv_failures = models.JSONField(default=dict, blank=True, help_text="Rows without an IV, by reason.")
    repeated_minutes = models.PositiveIntegerField(help_text="Minutes whose chain repeats the previous minute's.")
    score = models.FloatField()
    details = models.JSONField(default=dict, blank=True, help_text="Gaps (IST ranges), worst minutes, factors.")

    class Meta:
        ordering = ["report", "underlying_id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "underlying"], name="underlyingquality_unique"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="underlyingquality_score"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.underlying_id}: {self.score:.1f}"
