from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.api_tokens import api_token_receivers_connect
        from apps.core.log_redaction import redaction_install

        api_token_receivers_connect()

        redaction_install()  # the servers' own handlers too (uvicorn, gunicorn), set up before our settings
