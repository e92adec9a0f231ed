from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _partitions_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from apps.archive.services.partitions import partitions_ahead

    partitions_ahead(using=using)


class ArchiveConfig(AppConfig):
    """Partitions of the minute tables, archiving days to Parquet and back, and day exports (docs/archive.md)."""

    name = "apps.archive"
    label = "archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_partitions_after_migrate, sender=self, dispatch_uid="archive_partitions_ahead")
