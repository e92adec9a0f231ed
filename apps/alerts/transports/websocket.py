"""The ``websocket`` channel: ``alert.fired`` to the rule owner's group, fault notices to the staff group.
``/ws/alerts/`` (``apps.live``) joins a user to these groups."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.alerts.transports.base import Message, TransportError
from apps.core.embedded import run_on_server_loop

STAFF_GROUP = "alerts.staff"


def user_group(user_id: int | str) -> str:
    return f"alerts.user.{user_id}"


class WebsocketTransport:
    channel = "websocket"

    def send(self, message: Message, target: str) -> int:
        """``target`` is a group name. Sent = handed to the channel layer (nobody may be listening)."""
        layer = get_channel_layer()
        if layer is None:
            raise TransportError("no channel layer is configured", permanent=True)
        payload = {**message.payload, "type": message.kind}
        try:
            if not run_on_server_loop(layer.group_send(target, payload)):
                async_to_sync(layer.group_send)(target, payload)
        except Exception as exc:  # the layer (Redis) being down is worth a retry by the sweeper
            raise TransportError(f"channel layer: {exc.__class__.__name__}: {exc}") from exc
        return 1
