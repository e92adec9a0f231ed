from __future__ import annotations

from django.contrib import admin

from apps.core.admin_mixins import ReadOnlyAdmin
from apps.overview.models import BreadthSnapshot, SectorQuote


@admin.register(BreadthSnapshot)
class BreadthSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["minute", "universe", "advances", "declines", "unchanged", "ad_ratio", "net_breadth"]
    list_filter = ["universe"]
    date_hierarchy = "minute"


@admin.register(SectorQuote)
class SectorQuoteAdmin(ReadOnlyAdmin):
    list_display = ["minute", "symbol", "last_price", "previous_close", "change_pct"]
    list_filter = ["symbol"]
    date_hierarchy = "minute"
