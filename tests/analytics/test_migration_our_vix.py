"""The migration that makes our VIX "a number or a reason" clears the numbers the earlier method stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.analytics.models import OurVixReason, VolatilitySnapshot
from tests.factories.market import UnderlyingFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("analytics", "0002_forward_source")]


def test_the_migration_marks_every_earlier_value_legacy_and_keeps_the_rest() -> None:
    nifty = UnderlyingFactory()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("analytics", "VolatilitySnapshot")
    minute = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)
    old.objects.create(underlying_id=nifty.pk, minute=minute, cm30_iv=0.14, our_vix=6.1, vix=14.0)  # ATM +/- 2
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("analytics"))

    snapshot = VolatilitySnapshot.objects.get(underlying=nifty, minute=minute)
    assert (snapshot.our_vix, snapshot.our_vix_reason) == (None, OurVixReason.LEGACY)
    assert "analyse the minute again" in snapshot.our_vix_note
    assert (snapshot.cm30_iv, snapshot.vix) == (0.14, 14.0)
