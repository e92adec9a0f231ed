"""Existing DRF tokens (stored in plain text by rest_framework.authtoken) become hashed ``ApiToken`` rows that
keep working with the same key; the plain-text rows are then deleted."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import migrations


def hash_drf_tokens(apps: Any, schema_editor: Any) -> None:
    token_model = apps.get_model("authtoken", "Token")
    api_token_model = apps.get_model("core", "ApiToken")
    for old in token_model.objects.all().iterator():
        created = api_token_model.objects.create(
            user_id=old.user_id,
            name="migrated DRF token",
            prefix=old.key[:12],
            digest=hashlib.sha256(old.key.encode()).hexdigest(),
            read_only=False,
        )
        api_token_model.objects.filter(pk=created.pk).update(created_at=old.created)
    token_model.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_apitoken"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
