from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_name_the_websocket_servers_port_when_it_is_not_theirs(settings) -> None:
    settings.OPTRADING_WS_PORT = 8001

    assert 'data-ws-port="8001"' in Client().get("/accounts/login/").content.decode()


def test_pages_use_their_own_origin_for_websockets_by_default(settings) -> None:
    settings.OPTRADING_WS_PORT = 0

    assert "data-ws-port" not in Client().get("/accounts/login/").content.decode()
