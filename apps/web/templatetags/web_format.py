"""Template filters for the pages: IST times and decimal ratios as percentages."""

from __future__ import annotations

from datetime import datetime

from django import template

from apps.market.clock import IST

register = template.Library()


@register.filter
def ist(value: datetime | str | None, fmt: str = "%d %b %H:%M") -> str:
    """An aware datetime, or ISO text with an offset, shown in IST; '—' when empty or unparseable."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return "—"
    if value.tzinfo is None:
        return "—"  # a naive time is a bug upstream; showing it as IST would mislead
    return value.astimezone(IST).strftime(fmt)


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """A decimal ratio as a percentage: 0.1834 -> '18.3'."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}"
