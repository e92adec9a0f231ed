from __future__ import annotations

from django.contrib import admin

from apps.strategies.models import Strategy


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "underlying", "leg_count", "updated_at")
    list_filter = ("underlying",)
    search_fields = ("name", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="legs")
    def leg_count(self, strategy: Strategy) -> int:
        return len(strategy.legs)
