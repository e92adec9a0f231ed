"""Every page says so when what it shows is the simulated market's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/charts/",
    "/oi-flow/",
    "/volatility/",
    "/futures/",
    "/participants/",
    "/overview/",
    "/system/",
    "/broker/",
]
LABEL = b'<span class="badge simulated"'


@pytest.fixture
def trader(client: Client) -> Client:
    client.force_login(User.objects.create_user("trader", password="pw-not-used"))
    return client


@pytest.mark.parametrize("path", PAGES)
def test_the_simulated_market_is_labelled_on_every_page(trader: Client, path: str) -> None:
    response = trader.get(path)
    assert response.status_code == 200
    assert LABEL in response.content
    assert b"simulated data</span>" in response.content


@override_settings(OPTRADING_BROKER="kite")
def test_real_market_data_carries_no_label(trader: Client) -> None:
    response = trader.get("/participants/")
    assert response.status_code == 200
    assert LABEL not in response.content
