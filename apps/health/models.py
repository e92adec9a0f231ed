"""Heartbeats: each long-running part of the platform writes one on a schedule; health reads their ages."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last sign of life of one process role: ``worker:<queue>`` (the heartbeat task ran on that queue),
    ``beat`` (beat published the heartbeat tasks) or ``watchdog``. Stale after two ``interval_seconds``."""

    name = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField(help_text="When it was last written, aware UTC.")
    holder = models.CharField(max_length=160, blank=True, help_text="host:pid of the process that wrote it.")
    interval_seconds = models.PositiveIntegerField(help_text="How often it is written.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
