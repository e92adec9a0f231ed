from __future__ import annotations

from django.contrib import admin

from apps.core.admin_mixins import ReadOnlyAdmin
from apps.core.models import Lease


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ["name", "holder", "acquired_at", "expires_at"]
