"""The simulated market (broker name "simulated"), registered in the broker registry on import."""

from __future__ import annotations

from django.conf import settings

from apps.brokers.base import Broker, register
from apps.brokers.simulated.broker import SimulatedBroker

__all__ = ["SimulatedBroker", "build"]


@register("simulated")
def build() -> Broker:
    return SimulatedBroker(seed=settings.OPTRADING_SIM_SEED)
