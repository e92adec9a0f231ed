"""Which channel-layer groups have a member now, so the publisher builds only what some client will receive.

The answer is the channel layer's own membership, the very list ``group_send`` delivers to: in Redis
(channels_redis) a sorted set per group, members scored by the time they joined and dropped after
``group_expiry``; in memory (the embedded mode) the layer's dict. One pipelined round trip for any number of
groups. A layer this module does not know counts every group as watched, so publishing never stops silently.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def _redis_client(address: str) -> Any:
    import redis

    with _lock:
        if address not in _clients:
            _clients[address] = redis.Redis.from_url(address)
        return _clients[address]


def groups_watched(groups: Sequence[str]) -> set[str]:
    """The groups among ``groups`` that at least one channel belongs to."""
    if not groups:
        return set()
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return {group for group in groups if layer.groups.get(group)}
    try:
        from channels_redis.core import RedisChannelLayer
    except ImportError:  # pragma: no cover - channels_redis is a runtime dependency
        return set(groups)
    if not isinstance(layer, RedisChannelLayer) or len(layer.hosts) != 1 or "address" not in layer.hosts[0]:
        return set(groups)  # sharded or configured by host/port: deliver as before rather than guess
    since = time.time() - layer.group_expiry
    pipe = _redis_client(layer.hosts[0]["address"]).pipeline(transaction=False)
    for group in groups:
        pipe.zcount(layer._group_key(group), since, "+inf")
    return {group for group, members in zip(groups, pipe.execute(), strict=True) if members}
