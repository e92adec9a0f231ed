"""Reads of safe API and page requests go to the replica when one is configured; nothing else does."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from apps.core.replicas import ReplicaReadsMiddleware, ReplicaRouter
from apps.marketdata.models import OptionQuote


@pytest.fixture
def with_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.DATABASES, "replica", {**settings.DATABASES["default"]})


def _routed(method: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        router = ReplicaRouter()
        seen.update(quotes=router.db_for_read(OptionQuote), users=router.db_for_read(User))
        seen.update(writes=router.db_for_write(OptionQuote))
        return HttpResponse("ok")

    ReplicaReadsMiddleware(view)(getattr(RequestFactory(), method)("/api/v1/underlyings"))
    return seen


def test_a_get_reads_the_archive_from_the_replica_and_who_is_logged_in_from_the_primary(with_replica: None) -> None:
    assert _routed("get") == {"quotes": "replica", "users": None, "writes": "default"}


def test_a_write_request_and_the_workers_read_the_primary(with_replica: None) -> None:
    assert _routed("post") == {"quotes": None, "users": None, "writes": "default"}
    assert ReplicaRouter().db_for_read(OptionQuote) is None  # no request: a worker, a command


def test_without_a_replica_everything_reads_the_primary() -> None:
    assert "replica" not in settings.DATABASES
    assert _routed("get")["quotes"] is None
    assert ReplicaRouter().allow_migrate("replica", "marketdata") is False
