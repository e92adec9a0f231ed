"""The real Kite Connect broker (registered as ``kite``). See docs/kite.md."""

from __future__ import annotations

from apps.brokers.base import Broker, register


@register("kite")
def kite_broker_factory() -> Broker:
    from apps.brokers.kite.adapter import KiteBroker

    return KiteBroker.from_settings()
