"""Writes for the market vocabulary: the collected underlyings (and the one instrument upsert)."""

from __future__ import annotations

from django.db import transaction

from apps.market.models import Underlying
from apps.market.rules import underlying_specs


def underlyings_load() -> int:
    """Create or update the collected underlyings from ``apps/market/rules/underlyings.json``; returns how many.

    Idempotent. An existing underlying keeps its ``active`` flag (an operator may have switched it off)."""
    specs = underlying_specs().values()
    with transaction.atomic():
        for spec in specs:
            Underlying.objects.update_or_create(
                symbol=spec.symbol,
                defaults={
                    "display_name": spec.display_name,
                    "exchange": spec.exchange,
                    "spot_tradingsymbol": spec.spot_tradingsymbol,
                    "spot_token": spec.spot_token,
                    "options_exchange": spec.options_exchange,
                    "options_segment": spec.options_segment,
                    "has_weeklies": spec.has_weeklies,
                    "display_order": spec.display_order,
                },
            )
    return len(specs)
