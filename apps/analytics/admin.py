from __future__ import annotations

from django.contrib import admin

from apps.analytics.models import AnalyticsCursor, ChainSnapshot, IndiaVixClose, VolatilitySnapshot
from apps.core.admin_mixins import ReadOnlyAdmin


@admin.register(ChainSnapshot)
class ChainSnapshotAdmin(ReadOnlyAdmin):
    list_display = [
        "minute",
        "underlying",
        "expiry",
        "expiry_bucket",
        "spot",
        "forward",
        "atm_strike",
        "atm_iv",
        "straddle",
        "pcr_oi",
        "max_pain",
        "sentiment",
    ]
    list_filter = ["underlying", "expiry_bucket", "sentiment"]
    date_hierarchy = "minute"
    list_select_related = ["underlying"]
    show_full_result_count = False


@admin.register(VolatilitySnapshot)
class VolatilitySnapshotAdmin(ReadOnlyAdmin):
    list_display = ["minute", "underlying", "cm30_iv", "our_vix", "our_vix_reason", "vix"]
    list_filter = ["underlying", "our_vix_reason"]
    date_hierarchy = "minute"
    list_select_related = ["underlying"]


@admin.register(IndiaVixClose)
class IndiaVixCloseAdmin(ReadOnlyAdmin):
    list_display = ["date", "open", "high", "low", "close", "source", "imported_at"]
    date_hierarchy = "date"


@admin.register(AnalyticsCursor)
class AnalyticsCursorAdmin(ReadOnlyAdmin):
    list_display = ["underlying", "last_minute", "updated_at"]
    list_select_related = ["underlying"]
