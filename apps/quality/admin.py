from __future__ import annotations

from django.contrib import admin

from apps.core.admin_mixins import ReadOnlyAdmin
from apps.quality.models import QualityReport, UnderlyingQuality


class UnderlyingQualityInline(admin.TabularInline):
    model = UnderlyingQuality
    extra = 0
    can_delete = False
    fields = (
        "underlying",
        "score",
        "collected_minutes",
        "expected_minutes",
        "missing_contracts",
        "bad_quotes",
        "iv_failed",
        "repeated_minutes",
    )
    readonly_fields = fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(QualityReport)
class QualityReportAdmin(ReadOnlyAdmin):
    list_display = ["day", "score", "expected_minutes", "computed_at"]
    inlines = [UnderlyingQualityInline]
