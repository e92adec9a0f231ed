"""Ranged history answers say which days of their range are archived (in Parquet, not in the database), and a
range with nothing left but archived days is a 410 that says so, not a 404."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from apps.analytics.services import analytics_compute
from apps.archive.models import ArchivedDay

pytestmark = pytest.mark.django_db

BASE = "/api/v1/analytics/NIFTY"


@pytest.fixture
def archive(archived_chain) -> None:
    """The chain of 19 Jan 2026 analysed; 16 Jan archived, 15 Jan archived and restored, 21 Jan archived."""
    assert analytics_compute() == 2
    when = datetime(2026, 2, 1, tzinfo=UTC)
    ArchivedDay.objects.create(day=date(2026, 1, 16), archived_at=when, directory="/archive/2026-01-16")
    ArchivedDay.objects.create(day=date(2026, 1, 15), archived_at=when, directory="/x", restored_at=when)
    ArchivedDay.objects.create(day=date(2026, 1, 21), archived_at=when, directory="/archive/2026-01-21")


def test_history_and_volatility_name_the_archived_days_of_their_range(api, archive) -> None:
    for daily in ("false", "true"):
        history = api.get(
            f"{BASE}/history", {"field": "pcr_oi", "from": "2026-01-14", "to": "2026-01-19", "daily": daily}
        )
        assert history.status_code == 200, history.json()
        assert history.json()["archived_days"] == ["2026-01-16"]
        assert len(history.json()["points"]) == (2 if daily == "false" else 1)
    wider = api.get(f"{BASE}/history", {"field": "pcr_oi", "from": "2026-01-16", "to": "2026-01-22"}).json()
    assert wider["archived_days"] == ["2026-01-16", "2026-01-21"]
    volatility = api.get(f"{BASE}/volatility", {"from": "2026-01-14", "to": "2026-01-19"})
    assert volatility.status_code == 200, volatility.json()
    assert volatility.json()["archived_days"] == ["2026-01-16"]
    alone = api.get(f"{BASE}/history", {"field": "pcr_oi", "from": "2026-01-19", "to": "2026-01-19"}).json()
    assert alone["archived_days"] == []


def test_a_range_of_archived_days_only_is_gone_not_missing(api, archive) -> None:
    gone = api.get(f"{BASE}/history", {"field": "pcr_oi", "from": "2026-01-15", "to": "2026-01-16"})
    assert gone.status_code == 410, gone.json()
    assert "archived days (2026-01-16)" in gone.json()["error"]
    assert "restore_partitions" in gone.json()["error"]
    missing = api.get(f"{BASE}/history", {"field": "pcr_oi", "from": "2026-01-12", "to": "2026-01-14"})
    assert missing.status_code == 404, missing.json()
