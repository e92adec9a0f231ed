"""Analytics writes: per-quote IV/greeks/flags, chain snapshots, volatility series, and the incremental runner."""

from apps.analytics.services.compute import analytics_compute, analytics_compute_minute

__all__ = ["analytics_compute", "analytics_compute_minute"]
