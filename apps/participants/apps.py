from __future__ import annotations

from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "apps.participants"
    label = "participants"
    default_auto_field = "django.db.models.BigAutoField"
