from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().strip()


def test_it_prints_a_token_that_authenticates_the_user(user) -> None:
    from rest_framework.test import APIClient

    key = _run("trader")

    assert Token.objects.get(user=user).key == key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/underlyings").status_code == 200


def test_it_prints_the_same_token_again(user) -> None:
    assert _run("trader") == _run("trader")


def test_it_replaces_the_token_on_reset(user) -> None:
    old = _run("trader")

    new = _run("trader", "--reset")

    assert new != old
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == [new]


def test_it_exits_with_status_2_for_an_unknown_user(db) -> None:
    with pytest.raises(CommandError) as raised:
        _run("nobody")

    assert raised.value.returncode == 2
    assert "No user named 'nobody'" in str(raised.value)
    assert not Token.objects.exists()
