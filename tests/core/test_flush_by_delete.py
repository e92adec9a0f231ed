"""The test database backend's flush (tests/postgresql_flush_by_delete) empties every table as TRUNCATE did, the
trigger-fed daily-close rollups included, and keeps only content types and permissions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from apps.analytics.models import VolatilitySnapshot
from apps.brokers.simulated import SimulatedBroker
from apps.collection.services.instruments import instruments_sync
from apps.collection.services.minute import minute_collect
from apps.market.clock import IST
from apps.market.services import underlyings_load
from tests.factories.marketdata import UnderlyingQuoteFactory
from tests.postgresql_flush_by_delete.base import KEPT

pytestmark = pytest.mark.django_db(transaction=True)


def _row_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(model._meta.db_table)}")
            counts[model._meta.db_table] = cursor.fetchone()[0]
    return counts


def test_a_flush_leaves_every_table_empty_but_content_types_and_permissions() -> None:
    quote = UnderlyingQuoteFactory(vix=14.2)
    # A volatility snapshot of the same day: deleting either source makes the rollup trigger write the day's close
    # again from the other while it still has rows.
    VolatilitySnapshot.objects.create(underlying=quote.underlying, minute=quote.minute, cm30_iv=0.13, our_vix=13.9)
    before = _row_counts()
    assert before["analytics_underlyingdailyclose"] == 1 and before["marketdata_underlyingquote"] == 1

    call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True)

    after = _row_counts()
    assert {table: n for table, n in after.items() if n and table not in KEPT} == {}
    assert ContentType.objects.exists() and Permission.objects.exists()


@contextmanager
def _as_role(role: str) -> Iterator[None]:
    """The flush as the test database's owner (a superuser here: triggers off for the flush), or as a role that
    may not turn triggers off (then the deletes fire them, and run twice)."""
    if role == "superuser":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP ROLE IF EXISTS optrading_flush_tester")
        cursor.execute("CREATE ROLE optrading_flush_tester NOSUPERUSER")
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO optrading_flush_tester")
        cursor.execute("SET ROLE optrading_flush_tester")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM optrading_flush_tester")
            cursor.execute("DROP ROLE optrading_flush_tester")


@pytest.mark.parametrize("role", ["superuser", "not a superuser"])
def test_a_flush_after_a_collected_and_analysed_minute_leaves_every_table_empty(role: str) -> None:
    broker = SimulatedBroker(seed=42, as_of=date(2026, 11, 30))
    underlyings_load()
    instruments_sync(broker=broker)
    outcome = minute_collect(now=datetime(2026, 11, 30, 10, 15, 5, tzinfo=IST), broker=broker, underlyings=["NIFTY"])
    assert outcome.run is not None and outcome.run.status == "success"
    before = _row_counts()
    assert before["analytics_chaindailyclose"] > 0 and before["analytics_underlyingdailyclose"] > 0

    with _as_role(role), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone()[0] is (role == "superuser")
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True)

    assert {table: n for table, n in _row_counts().items() if n and table not in KEPT} == {}
