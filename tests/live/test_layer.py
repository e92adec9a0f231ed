from __future__ import annotations

from channels.layers import get_channel_layer


def test_the_channel_layer_never_times_out_a_read_and_finds_a_dead_redis_by_keepalive() -> None:
    # channels_redis receives with BZPOPMIN for brpop_timeout seconds; a socket timeout no longer than that
    # fires first when Redis is slow and kills the consumer that was waiting (redis TimeoutError), and any socket
    # timeout at all routes redis-py's sends through asyncio.wait_for, which on Python 3.11 can lose a departed
    # client's cancellation (tests/live/test_disconnect.py). Keepalive probes take the timeout's other job.
    layer = get_channel_layer()
    connection = layer.create_pool(0).connection_class(**layer.create_pool(0).connection_kwargs)

    assert connection.socket_timeout is None
    assert connection.socket_keepalive is True
    assert connection.socket_keepalive_options  # idle, interval and count: a dead peer found within ~25 s
