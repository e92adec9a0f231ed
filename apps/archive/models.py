"""Days archived to Parquet: the partitions are gone from the database, the files and manifest are on disk."""

from __future__ import annotations

from django.db import models


class ArchivedDay(models.Model):
    day = models.DateField(unique=True, help_text="IST trading day whose partitions were archived and dropped.")
    archived_at = models.DateTimeField()
    directory = models.CharField(max_length=500, help_text="Folder of the day's Parquet files and manifest.json.")
    manifest = models.JSONField(default=dict, help_text="Row counts, min/max minute and sha256 per file.")
    restored_at = models.DateTimeField(
        null=True, blank=True, help_text="When the day was brought back; empty while it is archived."
    )

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        state = "restored" if self.restored_at else "archived"
        return f"{self.day} {state}"
