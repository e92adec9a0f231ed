from __future__ import annotations

from django.apps import AppConfig


class BrokersConfig(AppConfig):
    name = "apps.brokers"
    label = "brokers"
    default_auto_field = "django.db.models.BigAutoField"
