"""API tokens are stored hashed, can be read-only, and old DRF tokens keep working after the migration."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from rest_framework.test import APIClient

from apps.core.api_tokens import api_token_create, api_token_digest
from apps.core.authentication import READ_ONLY_REFUSAL
from apps.core.models import ApiToken


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_a_read_only_token_reads_but_may_not_write() -> None:
    user = User.objects.create_user("trader")
    reader = _client(api_token_create(user=user, read_only=True).key)
    writer = _client(api_token_create(user=user).key)
    rule = {"symbol": "NIFTY", "metric": "pcr", "operator": "gt", "threshold": 1.2}

    assert reader.get("/api/v1/alerts/rules").status_code == 200
    refused = reader.post("/api/v1/alerts/rules", rule, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"error": READ_ONLY_REFUSAL}
    assert reader.delete("/api/v1/alerts/rules/1").status_code == 403
    assert reader.post("/api/v1/auth/logout").status_code == 403
    # The same request with a full token passes authentication (and gets the view's own answer).
    assert writer.post("/api/v1/alerts/rules", rule, format="json").status_code != 403


@pytest.mark.django_db
def test_an_inactive_users_token_is_refused() -> None:
    user = User.objects.create_user("trader")
    key = api_token_create(user=user).key
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = _client(key).get("/api/v1/underlyings")
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid token."}


@pytest.mark.django_db
def test_use_is_recorded_and_the_database_holds_no_key() -> None:
    issued = api_token_create(user=User.objects.create_user("trader"), name="script")
    assert issued.token.last_used_at is None
    assert _client(issued.key).get("/api/v1/underlyings").status_code == 200
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT prefix, digest, name FROM core_apitoken")
        stored = " ".join(" ".join(row) for row in cursor.fetchall())
    assert issued.key not in stored and issued.key[12:] not in stored


@pytest.mark.django_db
def test_the_admin_lists_prefixes_and_shows_a_new_key_once() -> None:
    staff = Client()
    staff.force_login(User.objects.create_superuser("ops", password="x"))
    trader = User.objects.create_user("trader")
    issued = api_token_create(user=trader, name="grafana")
    listing = staff.get("/admin/core/apitoken/").content.decode()
    assert issued.token.prefix in listing and issued.key not in listing
    change = staff.get(f"/admin/core/apitoken/{issued.token.pk}/change/").content.decode()
    assert issued.key not in change and issued.token.digest not in change

    added = staff.post(
        "/admin/core/apitoken/add/", {"user": trader.pk, "name": "cli", "read_only": "on"}, follow=True
    ).content.decode()
    new = ApiToken.objects.get(name="cli")
    assert new.read_only
    key = added.split("(only its hash is kept): ", 1)[1].split("<", 1)[0].strip()
    assert api_token_digest(key) == new.digest
    assert _client(key).get("/api/v1/underlyings").status_code == 200
    assert key not in staff.get("/admin/core/apitoken/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_existing_drf_tokens_and_deletes_the_plain_text() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0002_apitoken")])
    user = User.objects.create_user("trader")
    drf_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:  # a token as rest_framework.authtoken stored it, in plain text
        cursor.execute("INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, now())", [drf_key, user.pk])

    call_command("migrate", "core", verbosity=0)

    token = ApiToken.objects.get(user=user)
    assert token.digest == hashlib.sha256(drf_key.encode()).hexdigest()
    assert token.prefix == drf_key[:12] and not token.read_only
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
    assert _client(drf_key).get("/api/v1/underlyings").status_code == 200
