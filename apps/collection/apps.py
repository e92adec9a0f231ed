from __future__ import annotations

from django.apps import AppConfig


class CollectionConfig(AppConfig):
    """Broker to archive: the minute collection service, live ticks, instrument sync and their tasks."""

    name = "apps.collection"
    label = "collection"
    default_auto_field = "django.db.models.BigAutoField"
