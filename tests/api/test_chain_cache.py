"""The option chain's cached replies follow the data: a real collection's commit, the archive, and revoked tokens.

Real PostgreSQL and Redis (the Django cache); the signals are the ones the collection, analytics and archive send
after their commits (``django_capture_on_commit_callbacks`` runs what a real commit would)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.chain import chain_collect
from apps.collection.services.instruments import instruments_sync
from apps.core.api_tokens import api_token_create
from apps.market.calendar import session_open
from apps.market.clock import IST
from apps.market.services import underlyings_load
from apps.marketdata.models import CollectionStatus
from tests.factories.marketdata import MINUTE, OptionQuoteFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/option-chain/NIFTY"
DAY = date(2026, 4, 29)


def _ist(moment: datetime) -> str:
    return moment.astimezone(IST).isoformat()


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user).key}")
    return client


def test_a_request_after_a_real_collection_sees_the_new_minute(
    api, django_capture_on_commit_callbacks, django_assert_num_queries
) -> None:
    broker = SimulatedBroker(seed=42, as_of=DAY)
    underlyings_load()
    instruments_sync(broker=broker, today=DAY)
    first, second = session_open(DAY) + timedelta(minutes=5), session_open(DAY) + timedelta(minutes=6)
    with django_capture_on_commit_callbacks(execute=True):  # the commit: analytics chained, then the signals
        assert chain_collect(broker=broker, underlyings=["NIFTY"], minute=first).status == CollectionStatus.SUCCESS

    reply = api.get(URL)
    assert reply.status_code == 200 and reply.json()["minute"] == _ist(first)
    with django_assert_num_queries(0):  # the same chain again: from the cache, the token trusted in this process
        again = api.get(URL)
    assert again.content == reply.content

    with django_capture_on_commit_callbacks(execute=True):
        assert chain_collect(broker=broker, underlyings=["NIFTY"], minute=second).status == CollectionStatus.SUCCESS

    after = api.get(URL)
    assert after.status_code == 200
    assert after.json()["minute"] == _ist(second)
    assert after.json()["forward_source"] is not None  # its analytics ran and were committed before this request


def test_a_cached_chain_of_a_day_then_archived_answers_410_and_200_again_once_restored(api, settings, tmp_path) -> None:
    from apps.archive.services.partitions import partitions_ahead

    settings.OPTRADING_ARCHIVE_DIR = str(tmp_path / "archive")
    partitions_ahead(today=MINUTE.date(), count=1)
    OptionQuoteFactory()
    at = {"at": MINUTE.astimezone(IST).isoformat()}
    cached = api.get(URL, at)
    assert cached.status_code == 200
    assert api.get(URL, at).content == cached.content

    call_command("archive_partitions", "--date", "2026-01-19")

    archived = api.get(URL, at)
    assert archived.status_code == 410
    assert archived.json()["error"].startswith("2026-01-19 is archived (on ")

    call_command("restore_partitions", "--date", "2026-01-19")

    restored = api.get(URL, at)
    assert restored.status_code == 200
    assert restored.json() == cached.json()


def test_a_token_revoked_by_another_process_is_refused_within_the_stated_bound(settings, user) -> None:
    settings.OPTRADING_API_TOKEN_CACHE_SECONDS = 2.0
    client = _token_client(user)
    assert client.get("/api/v1/underlyings").status_code == 200
    with connection.cursor() as cursor:  # as the admin in another web process would: no signal reaches this one
        cursor.execute("DELETE FROM core_apitoken WHERE user_id = %s", [user.pk])

    assert client.get("/api/v1/underlyings").status_code == 200  # still trusted, for at most the bound
    time.sleep(2.05)
    refused = client.get("/api/v1/underlyings")
    assert refused.status_code == 401
    assert refused.json() == {"error": "Invalid token."}
    assert client.get(URL).status_code == 401  # the chain's fast path asks the same lookup


def test_a_token_revoked_or_its_user_deactivated_in_this_process_is_refused_at_once(user, staff) -> None:
    client = _token_client(user)
    assert client.get("/api/v1/underlyings").status_code == 200
    user.api_tokens.all().delete()
    assert client.get("/api/v1/underlyings").status_code == 401

    other = _token_client(staff)
    assert other.get("/api/v1/underlyings").status_code == 200
    staff.is_active = False
    staff.save()
    assert other.get("/api/v1/underlyings").status_code == 401


def test_an_at_in_a_past_day_is_cached_apart_from_the_latest_minute(api, archived_chain) -> None:
    latest = api.get(URL)
    past = api.get(URL, {"at": datetime(2026, 1, 19, 4, 0, 30, tzinfo=UTC).isoformat()})

    assert latest.json()["minute"] == "2026-01-19T09:31:00+05:30"
    assert past.json()["minute"] == "2026-01-19T09:30:00+05:30"
    assert api.get(URL).content == latest.content
