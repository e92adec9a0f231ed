"""NSE participant-wise open interest and trading volume: 14 numbers per (session, kind, category), in contracts."""

from __future__ import annotations

from django.db import models


class ParticipantKind(models.TextChoices):
    OI = "oi", "Open interest"
    VOLUME = "volume", "Trading volume"


class ParticipantCategory(models.TextChoices):
    CLIENT = "Client", "Client (retail)"
    DII = "DII", "Domestic institutions"
    FII = "FII", "Foreign institutions"
    PRO = "Pro", "Proprietary traders"
    TOTAL = "TOTAL", "Total"


class ParticipantPosition(models.Model):
    """One row of one NSE file. Index columns are all indices combined (no per-index split exists)."""

    date = models.DateField(help_text="Trade date the file reports (IST session).")
    kind = models.CharField(max_length=8, choices=ParticipantKind.choices)
    category = models.CharField(max_length=8, choices=ParticipantCategory.choices)

    future_index_long = models.BigIntegerField()
    future_index_short = models.BigIntegerField()
    future_stock_long = models.BigIntegerField()
    future_stock_short = models.BigIntegerField()
    option_index_call_long = models.BigIntegerField()
    option_index_put_long = models.BigIntegerField()
    option_index_call_short = models.BigIntegerField()
    option_index_put_short = models.BigIntegerField()
    option_stock_call_long = models.BigIntegerField()
    option_stock_put_long = models.BigIntegerField()
    option_stock_call_short = models.BigIntegerField()
    option_stock_put_short = models.BigIntegerField()
    total_long = models.BigIntegerField()
    total_short = models.BigIntegerField()

    source_file = models.CharField(max_length=255, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-date", "kind", "category"]
        constraints = [
            models.UniqueConstraint(fields=["date", "kind", "category"], name="participantposition_unique_row"),
            models.CheckConstraint(
                condition=models.Q(future_index_long__gte=0, future_index_short__gte=0),
                name="participantposition_counts_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["kind", "-date"], name="participantposition_latest")]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.category}"
