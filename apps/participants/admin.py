from __future__ import annotations

from django.contrib import admin

from apps.core.admin_mixins import ReadOnlyAdmin
from apps.participants.models import ParticipantPosition


@admin.register(ParticipantPosition)
class ParticipantPositionAdmin(ReadOnlyAdmin):
    list_display = [
        "date",
        "kind",
        "category",
        "future_index_long",
        "future_index_short",
        "option_index_call_long",
        "option_index_call_short",
        "option_index_put_long",
        "option_index_put_short",
        "total_long",
        "total_short",
        "source_file",
    ]
    list_filter = ["kind", "category"]
    date_hierarchy = "date"
    search_fields = ["source_file"]
