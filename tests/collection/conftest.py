from __future__ import annotations

import pytest

from apps.brokers.base import Broker, get_broker
from apps.collection.services.instruments import instruments_sync
from apps.market.services import underlyings_load


@pytest.fixture
def sim_broker() -> Broker:
    return get_broker("simulated")


@pytest.fixture
def sim_market(db: None, sim_broker: Broker) -> Broker:
    """The five underlyings and the simulated market's instruments, synced like a morning run."""
    underlyings_load()
    instruments_sync(broker=sim_broker)
    return sim_broker
