"""schemathesis over the OpenAPI schema: every operation, fed generated input, never answers 5xx, always answers
as its schema documents, and every 4xx is JSON with an ``error`` key.

The schema is the one /api/v1/schema/ serves; requests go in-process to the Django WSGI application (the test's
database transaction is visible to it), authenticated with a staff user's API token, on the realistic market day
of tests/api/conftest.py. Examples are bounded per operation and derandomized, so the run is the same each time
and stays short; failures found this way were fixed in the views, serializers and schema (docs/api.md, "Bad
input").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.core.api_tokens import api_token_create
from apps.core.queues import CeleryQueue
from apps.health.heartbeats import BEAT, WATCHDOG, heartbeat_write, worker_heartbeat_name
from tests.api.test_openapi_conformance import _closed, _document
from tests.factories.marketdata import CollectionRunFactory

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 15
"""Per operation, positive and negative inputs mixed (derandomized: the same inputs every run). 25 took 24 s of a
``make test`` that has to stay under 4 minutes on two cores, 15 take 18 s; fewer inputs probe each operation less
deeply, which is the price of that bound."""
SKIPPED = {("POST", "/api/v1/auth/logout")}
"""Logging out the broker session ends the market day's Kite login; the conformance test covers its replies."""


def error_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is JSON with a string ``error``."""
    if 400 <= response.status_code < 500:
        content_type = {name.lower(): values for name, values in response.headers.items()}.get("content-type", [""])
        assert content_type[0].startswith("application/json"), f"{response.status_code} is not JSON: {content_type}"
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str), f"no error key: {body!r}"
    return None


def server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    return None


CHECKS = [server_error, status_code_conformance, content_type_conformance, response_schema_conformance, error_json]


def _heartbeats() -> None:
    """Fresh worker, beat and watchdog heartbeats and a minute collected just now, so health answers 200 at any
    time of day (its 503 is documented too)."""
    from django.utils import timezone

    now = timezone.now()
    CollectionRunFactory(started_at=now - timedelta(seconds=2))
    for queue in CeleryQueue:
        heartbeat_write(name=worker_heartbeat_name(queue.value), now=now, interval_seconds=3600)
    for name in (BEAT, WATCHDOG):
        heartbeat_write(name=name, now=now, interval_seconds=3600)


@pytest.fixture
def wsgi_app() -> Any:
    """Django's WSGI application, kept from closing the test's database connection after each request (what
    Django's own test client does), so it sees the market day inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow  # about 20 s: every operation, 25 examples each
def test_no_operation_answers_5xx_or_off_schema_for_generated_input(market_day, staff, wsgi_app) -> None:
    _heartbeats()
    schema = schemathesis.openapi.from_dict(_closed(_document()))
    schema.app = wsgi_app
    headers = {"Authorization": f"Token {api_token_create(user=staff).key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    calls: dict[str, int] = {}
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, headers=headers),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=headers),
        )

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            calls[case.operation.label] = calls.get(case.operation.label, 0) + 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # one operation's failure must not hide the others'
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    # Every operation was really called, with several generated inputs each.
    assert len(calls) == len(operations) - len(SKIPPED)
    assert min(calls.values()) >= 5, calls
