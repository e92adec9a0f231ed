from __future__ import annotations

from django.contrib import admin

from apps.core.admin_mixins import ReadOnlyAdmin
from apps.marketdata import legs
from apps.marketdata.models import CollectionRun, OptionQuote, UnderlyingQuote


@admin.register(OptionQuote)
class OptionQuoteAdmin(ReadOnlyAdmin):
    list_display = [name for name in (*legs.IDENTITY, *legs.CHAIN) if name != "instrument"]
    list_filter = ["underlying", "option_type", "expiry_bucket", "source", "expiry"]
    search_fields = ["instrument__tradingsymbol"]
    date_hierarchy = "minute"
    list_select_related = ["underlying", "instrument"]
    show_full_result_count = False


@admin.register(UnderlyingQuote)
class UnderlyingQuoteAdmin(ReadOnlyAdmin):
    list_display = ["minute", "underlying", "spot", "spot_close", "future", "future_expiry", "vix", "source"]
    list_filter = ["underlying", "source"]
    search_fields = ["underlying__symbol"]
    date_hierarchy = "minute"
    list_select_related = ["underlying"]


@admin.register(CollectionRun)
class CollectionRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "minute",
        "broker",
        "status",
        "instruments_requested",
        "instruments_received",
        "instruments_missing",
        "quotes_stored",
        "quote_calls",
        "duration_ms",
    ]
    list_filter = ["status", "broker"]
    search_fields = ["error"]
    date_hierarchy = "started_at"
