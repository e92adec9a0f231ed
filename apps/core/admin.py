from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from rest_framework.authtoken.models import TokenProxy

from apps.core.admin_mixins import ReadOnlyAdmin
from apps.core.api_tokens import api_token_create
from apps.core.models import ApiToken, Lease


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ["name", "holder", "acquired_at", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens by prefix: the key is shown once, in the message after adding one; only its digest is stored."""

    list_display = ["prefix", "user", "name", "read_only", "created_at", "last_used_at"]
    list_filter = ["read_only"]
    search_fields = ["prefix", "name", "user__username"]
    fields = ["user", "name", "read_only", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        return [*self.readonly_fields, "user"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = api_token_create(user=obj.user, name=obj.name, read_only=obj.read_only)
        obj.pk, obj.prefix, obj.digest, obj.created_at = (
            issued.token.pk,
            issued.token.prefix,
            issued.token.digest,
            issued.token.created_at,
        )
        messages.warning(request, f"The new token's key, shown this once (only its hash is kept): {issued.key}")


# DRF's plain-text tokens are gone (migrated to ApiToken digests by core.0003): nothing to list.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
