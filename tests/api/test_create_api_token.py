from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.core.api_tokens import api_token_digest
from apps.core.models import ApiToken

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().strip()


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_it_prints_a_key_that_authenticates_the_user_and_stores_only_its_hash(user) -> None:
    key = _run("trader")

    (token,) = ApiToken.objects.filter(user=user)
    assert token.digest == api_token_digest(key) and len(token.digest) == 64
    assert key.startswith("opt_") and token.prefix == key[:12]
    assert not ApiToken.objects.filter(digest__contains=key[12:]).exists()
    assert _client(key).get("/api/v1/underlyings").status_code == 200


def test_each_run_issues_another_token_and_both_work(user) -> None:
    first, second = _run("trader"), _run("trader")
    assert first != second
    assert ApiToken.objects.filter(user=user).count() == 2
    assert _client(first).get("/api/v1/underlyings").status_code == 200
    assert _client(second).get("/api/v1/underlyings").status_code == 200


def test_it_revokes_the_other_tokens_on_reset(user) -> None:
    old = _run("trader")

    new = _run("trader", "--reset")

    assert new != old
    assert list(ApiToken.objects.filter(user=user).values_list("digest", flat=True)) == [api_token_digest(new)]
    assert _client(old).get("/api/v1/underlyings").status_code == 401


def test_it_issues_a_read_only_token_with_a_name(user) -> None:
    key = _run("trader", "--read-only", "--name", "grafana")
    token = ApiToken.objects.get(digest=api_token_digest(key))
    assert token.read_only and token.name == "grafana"


def test_it_exits_with_status_2_for_an_unknown_user(db) -> None:
    with pytest.raises(CommandError) as raised:
        _run("nobody")

    assert raised.value.returncode == 2
    assert "No user named 'nobody'" in str(raised.value)
    assert not ApiToken.objects.exists()
