from __future__ import annotations

from datetime import timedelta

import pytest

from apps.monitoring.models import ErrorEvent
from apps.monitoring.services import error_record
from tests.factories.market import BankNiftyFactory, UnderlyingFactory
from tests.factories.marketdata import MINUTE, CollectionRunFactory, UnderlyingQuoteFactory

pytestmark = pytest.mark.django_db


def test_it_lists_underlyings_with_their_latest_spot_and_change(api, django_assert_num_queries) -> None:
    nifty, bank = UnderlyingFactory(), BankNiftyFactory()
    UnderlyingFactory(symbol="OLDINDEX", active=False)
    UnderlyingQuoteFactory(underlying=nifty, minute=MINUTE, spot=23010.0, spot_close=22900.0)
    UnderlyingQuoteFactory(underlying=nifty, minute=MINUTE + timedelta(minutes=1), spot=23124.5, spot_close=22900.0)
    UnderlyingQuoteFactory(underlying=bank, minute=MINUTE - timedelta(minutes=5), spot=48950.0, spot_close=49200.0)

    # token auth, underlyings with their latest quote id, those quotes
    with django_assert_num_queries(3):
        response = api.get("/api/v1/underlyings")

    assert response.status_code == 200
    rows = response.json()
    assert [row["symbol"] for row in rows] == ["NIFTY", "BANKNIFTY"]
    assert rows[0]["spot"] == 23124.5
    assert rows[0]["minute"] == "2026-01-19T09:31:00+05:30"
    assert rows[0]["change"] == 224.5
    assert rows[0]["change_pct"] == 0.98
    assert rows[1]["change"] == -250.0
    assert rows[1]["change_pct"] == -0.51


def test_it_lists_an_underlying_without_quotes_with_empty_prices(api) -> None:
    UnderlyingFactory()

    row = api.get("/api/v1/underlyings").json()[0]

    assert row["spot"] is None and row["change"] is None and row["minute"] is None


def test_it_lists_collection_runs_newest_first(api, django_assert_num_queries) -> None:
    runs = CollectionRunFactory.create_batch(4)
    CollectionRunFactory(status="failed", error="Broker timed out", quotes_stored=0)

    with django_assert_num_queries(2):
        response = api.get("/api/v1/collection-runs", {"limit": 3})

    body = response.json()
    assert response.status_code == 200
    assert len(body) == 3
    assert body[0]["status"] == "failed" and body[0]["error"] == "Broker timed out"
    assert [row["id"] for row in body[1:]] == [runs[3].pk, runs[2].pk]
    assert body[1]["started_at"].endswith("+05:30")


def test_it_filters_collection_runs_by_status(api) -> None:
    CollectionRunFactory.create_batch(2)
    failed = CollectionRunFactory(status="failed")

    body = api.get("/api/v1/collection-runs", {"status": "failed"}).json()

    assert [row["id"] for row in body] == [failed.pk]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "ten"}, "limit='ten' is not a whole number."),
        ({"limit": "0"}, "limit=0 is too small; the minimum is 1."),
        ({"limit": "501"}, "limit=501 is too large; the maximum is 500."),
        ({"status": "done"}, "status='done' is not valid; choose one of running, success, partial, failed, skipped."),
    ],
)
def test_it_explains_a_bad_collection_run_query(api, query, message) -> None:
    response = api.get("/api/v1/collection-runs", query)

    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_it_lists_errors_with_their_suggestions(api, django_assert_num_queries) -> None:
    error_record(component="broker", code="session_required", message="Kite session expired", suggestion="Log in.")
    error_record(component="broker", code="session_required", message="Kite session expired", suggestion="Log in.")
    solved = error_record(component="collection", code="timeout", message="Run took 70 s")
    ErrorEvent.objects.filter(pk=solved.pk).update(resolved=True)

    with django_assert_num_queries(2):
        body = api.get("/api/v1/errors").json()

    assert {(row["code"], row["count"], row["resolved"]) for row in body} == {
        ("session_required", 2, False),
        ("timeout", 1, True),
    }
    open_only = api.get("/api/v1/errors", {"state": "open"}).json()
    assert [(row["code"], row["suggestion"]) for row in open_only] == [("session_required", "Log in.")]
    assert [row["code"] for row in api.get("/api/v1/errors", {"state": "resolved"}).json()] == ["timeout"]


def test_it_lets_staff_resolve_an_error(staff, client_for) -> None:
    event = error_record(component="broker", code="network", message="Connection reset")

    response = client_for(staff).post(f"/api/v1/errors/{event.pk}/resolve")

    assert response.status_code == 200
    assert response.json()["resolved"] is True
    event.refresh_from_db()
    assert event.resolved and event.resolved_at is not None


def test_it_forbids_non_staff_from_resolving_errors(api) -> None:
    event = error_record(component="broker", code="network", message="Connection reset")

    response = api.post(f"/api/v1/errors/{event.pk}/resolve")

    assert response.status_code == 403
    assert "permission" in response.json()["error"]
    event.refresh_from_db()
    assert not event.resolved


def test_it_answers_404_for_resolving_an_unknown_error(staff, client_for) -> None:
    response = client_for(staff).post("/api/v1/errors/999999/resolve")

    assert response.status_code == 404
    assert response.json() == {"error": "No error with id 999999."}


@pytest.mark.parametrize("path", ["/api/v1/underlyings", "/api/v1/collection-runs", "/api/v1/errors"])
def test_it_refuses_anonymous_clients(anon, path) -> None:
    response = anon.get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_refuses_anonymous_resolving(anon) -> None:
    event = error_record(component="broker", code="network", message="Connection reset")

    assert anon.post(f"/api/v1/errors/{event.pk}/resolve").status_code == 401
