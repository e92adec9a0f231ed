from __future__ import annotations

from django.contrib import admin

from apps.market.models import Instrument, Underlying


@admin.register(Underlying)
class UnderlyingAdmin(admin.ModelAdmin):
    list_display = [
        "symbol",
        "exchange",
        "spot_tradingsymbol",
        "spot_token",
        "options_exchange",
        "has_weeklies",
        "active",
    ]
    list_filter = ["exchange", "options_exchange", "has_weeklies", "active"]
    search_fields = ["symbol", "spot_tradingsymbol", "display_name"]
    raw_id_fields = ["spot_instrument"]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = [
        "tradingsymbol",
        "exchange",
        "segment",
        "underlying",
        "expiry",
        "strike",
        "instrument_type",
        "lot_size",
        "instrument_token",
        "active",
    ]
    list_filter = ["exchange", "segment", "instrument_type", "active", "underlying"]
    search_fields = ["tradingsymbol", "name", "=instrument_token", "=exchange_token"]
    date_hierarchy = "expiry"
    list_select_related = ["underlying"]
    readonly_fields = ["synced_at"]
