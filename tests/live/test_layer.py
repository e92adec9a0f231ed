from __future__ import annotations

from channels.layers import get_channel_layer


def test_the_channel_layer_waits_for_redis_longer_than_its_blocking_receive_lasts() -> None:
    # channels_redis receives with BZPOPMIN for brpop_timeout seconds; a socket timeout no longer than that
    # fires first when Redis is slow and kills the consumer that was waiting (redis TimeoutError).
    layer = get_channel_layer()
    pool = layer.create_pool(0)

    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout + 10
