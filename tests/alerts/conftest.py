from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User

from apps.analytics.models import ChainSnapshot
from apps.market.models import Underlying
from tests.alerts.doubles import Receiver, serving
from tests.factories.market import UnderlyingFactory

# Monday 19 January 2026 from 09:30 IST; NIFTY's weekly expiry is Tuesday 20 January, the monthly 27 January.
START = datetime(2026, 1, 19, 4, 0, tzinfo=UTC)
WEEKLY = date(2026, 1, 20)
MONTHLY = date(2026, 1, 27)
SECRET = "test-webhook-secret"


def minute(i: int) -> datetime:
    return START + timedelta(minutes=i)


def snapshots_write(underlying: Underlying, path: list[dict[str, Any]], *, start: int = 0) -> list[datetime]:
    """A scripted path: one analysed minute per entry, the weekly and monthly expiries both analysed. Each entry
    sets the weekly snapshot's fields (pcr_oi, max_pain, sentiment, ...); the monthly keeps neutral values."""
    minutes = []
    for i, fields in enumerate(path, start=start):
        at = minute(i)
        for expiry, values in ((WEEKLY, fields), (MONTHLY, {"pcr_oi": 0.5, "max_pain": 22000.0})):
            ChainSnapshot.objects.create(
                underlying=underlying,
                minute=at,
                expiry=expiry,
                t_years=0.01,
                spot=values.get("spot", 23000.0),
                forward=values.get("forward", 23010.0),
                forward_source="parity",
                **{k: v for k, v in values.items() if k not in ("spot", "forward")},
            )
        minutes.append(at)
    return minutes


@pytest.fixture
def nifty(db: None) -> Underlying:
    return UnderlyingFactory()


@pytest.fixture
def trader(db: None) -> User:
    return User.objects.create_user("trader", email="trader@example.com", password="pw-not-used")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving(Receiver()) as running:
        yield running


@pytest.fixture
def telegram() -> Iterator[Receiver]:
    with serving(Receiver(telegram=True)) as running:
        yield running


@pytest.fixture
def channels_configured(settings: Any, telegram: Receiver) -> Receiver:
    """Every channel usable: the webhook secret, local targets allowed (the receiver is on loopback), Telegram
    pointed at its double, and no waiting between retries."""
    settings.OPTRADING_WEBHOOK_SECRET = SECRET
    settings.OPTRADING_WEBHOOK_ALLOW_PRIVATE = True
    settings.OPTRADING_TELEGRAM_BOT_TOKEN = "123456:TEST-TOKEN"
    settings.OPTRADING_TELEGRAM_API_ROOT = telegram.url
    settings.OPTRADING_WEBHOOK_RETRY_DELAY = 0.0
    settings.OPTRADING_WEBHOOK_TIMEOUT = 0.5
    return telegram


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks: Any) -> Any:
    """rules_evaluate as the worker runs it: the deliveries queued on commit run (Celery is eager)."""
    from apps.alerts.services.evaluate import rules_evaluate

    def run(underlying: Underlying, at: datetime) -> list[Any]:
        with django_capture_on_commit_callbacks(execute=True):
            return rules_evaluate(underlying_id=underlying.pk, up_to=at)

    return run
