from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.log_redaction import redaction_install

        redaction_install()  # the servers' own handlers too (uvicorn, gunicorn), set up before our settings
