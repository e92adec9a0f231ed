"""Rules on a scripted path: once per crossing, moves_by, cooldowns, re-analysed minutes, concurrent evaluators."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction

from apps.alerts.models import AlertEvent, AlertRule
from apps.alerts.services.evaluate import rules_evaluate
from apps.alerts.services.rules import RuleInput, rule_create
from apps.analytics.models import ChainSnapshot
from apps.analytics.signals import analytics_committed
from apps.market.models import Underlying
from tests.alerts.conftest import START, WEEKLY, minute, snapshots_write

pytestmark = pytest.mark.django_db

PCR_PATH = [1.10, 1.15, 1.25, 1.30, 1.18, 1.22, 1.24, 1.05, 1.21]
"""Crosses above 1.2 at minutes 2, 5 and 8."""


def _rule(owner: User, **fields: object) -> AlertRule:
    data = {"symbol": "NIFTY", "channels": ["websocket"], **fields}
    return rule_create(owner=owner, data=RuleInput(**data))  # type: ignore[arg-type]


def _fired(rule: AlertRule) -> list[int]:
    return [
        int((e.minute - START) / timedelta(minutes=1)) for e in AlertEvent.objects.filter(rule=rule).order_by("minute")
    ]


def test_it_fires_a_crossing_once_at_the_minute_it_happens(nifty: Underlying, trader: User) -> None:
    rule = _rule(trader, metric="pcr_oi", condition="crosses_above", value=1.2)
    assert rule.last_minute is None  # nothing analysed yet: it will look at everything from the first minute
    minutes = snapshots_write(nifty, [{"pcr_oi": v} for v in PCR_PATH])
    for at in minutes:  # evaluated after every analysed minute, in order
        rules_evaluate(underlying_id=nifty.pk, up_to=at)

    assert _fired(rule) == [2, 5, 8]
    first = AlertEvent.objects.filter(rule=rule).order_by("minute").first()
    assert first is not None and (first.value, first.previous_value, first.expiry) == (1.25, 1.15, WEEKLY)
    assert first.message == (
        "NIFTY PCR (OI) crosses above 1.2: 1.25 (was 1.15) at 2026-01-19 09:32 IST, expiry 20 Jan 2026 (this_week)"
    )
    rule.refresh_from_db()
    assert rule.fired_count == 3 and rule.last_minute == minutes[-1] and rule.last_value == 1.21


def test_above_fires_on_the_first_evaluation_when_already_true_and_after_it_was_false(
    nifty: Underlying, trader: User
) -> None:
    snapshots_write(nifty, [{"pcr_oi": 1.25}])
    rule = _rule(trader, metric="pcr_oi", condition="above", value=1.2)  # created at minute 0: looks forward
    snapshots_write(nifty, [{"pcr_oi": v} for v in [1.3, 1.4, 1.1, 1.3]], start=1)
    rules_evaluate(underlying_id=nifty.pk, up_to=minute(4))
    assert _fired(rule) == [1, 4]


def test_it_evaluates_a_backlog_in_minute_order_in_one_call(nifty: Underlying, trader: User) -> None:
    rule = _rule(trader, metric="pcr_oi", condition="crosses_above", value=1.2)
    snapshots_write(nifty, [{"pcr_oi": v} for v in PCR_PATH])
    rules_evaluate(underlying_id=nifty.pk, up_to=minute(len(PCR_PATH) - 1))
    assert _fired(rule) == [2, 5, 8]


def test_moves_by_counts_strikes_for_max_pain_from_the_creation_value(nifty: Underlying, trader: User) -> None:
    snapshots_write(nifty, [{"max_pain": 23000.0}])
    rule = _rule(trader, metric="max_pain", condition="moves_by", value=2)  # NIFTY strikes are 50 apart: 100 points
    assert rule.baseline == 23000.0
    path = [23050.0, 22950.0, 22900.0, 22950.0, 23000.0, 23100.0, 23000.0]
    snapshots_write(nifty, [{"max_pain": v} for v in path], start=1)
    rules_evaluate(underlying_id=nifty.pk, up_to=minute(len(path)))
    # 22900 is 100 from 23000 (fires, baseline 22900); 23000 is 100 from 22900 (fires); 23100 fires; 23000 fires.
    assert _fired(rule) == [3, 5, 6, 7]
    moved = AlertEvent.objects.filter(rule=rule).order_by("minute").first()
    assert moved is not None and (moved.previous_value, moved.value) == (23000.0, 22900.0)


def test_a_cooldown_suppresses_firings_within_it(nifty: Underlying, trader: User) -> None:
    rule = _rule(trader, metric="pcr_oi", condition="crosses_above", value=1.2, cooldown_minutes=5)
    snapshots_write(nifty, [{"pcr_oi": v} for v in PCR_PATH])  # crossings at 2, 5, 8
    rules_evaluate(underlying_id=nifty.pk, up_to=minute(8))
    assert _fired(rule) == [2, 8]  # 5 is within 5 minutes of 2; 8 is not


def test_changes_fires_when_the_sentiment_label_changes(nifty: Underlying, trader: User) -> None:
    snapshots_write(nifty, [{"sentiment": "neutral"}])
    rule = _rule(trader, metric="sentiment", condition="changes")
    snapshots_write(nifty, [{"sentiment": s} for s in ["neutral", "bullish", "bullish", "neutral"]], start=1)
    rules_evaluate(underlying_id=nifty.pk, up_to=minute(4))
    assert _fired(rule) == [2, 4]
    assert [(e.previous_text, e.value_text) for e in AlertEvent.objects.filter(rule=rule).order_by("minute")] == [
        ("neutral", "bullish"),
        ("bullish", "neutral"),
    ]


def test_a_reanalysed_minute_fires_nothing_new(nifty: Underlying, trader: User) -> None:
    rule = _rule(trader, metric="pcr_oi", condition="crosses_above", value=1.2)
    snapshots_write(nifty, [{"pcr_oi": v} for v in PCR_PATH[:3]])
    rules_evaluate(underlying_id=nifty.pk, up_to=minute(2))
    assert _fired(rule) == [2]
    # Analytics runs minute 2 again (more rows arrived) with new numbers, and says so.
    ChainSnapshot.objects.filter(underlying=nifty, minute=minute(2), expiry=WEEKLY).update(pcr_oi=1.27)
    analytics_committed.send(sender=ChainSnapshot, underlying_id=nifty.pk, minute=minute(2))
    rules_evaluate(underlying_id=nifty.pk, up_to=minute(2))
    assert _fired(rule) == [2] and AlertEvent.objects.get(rule=rule).value == 1.25


def test_the_analytics_signal_evaluates_the_rules(nifty: Underlying, trader: User) -> None:
    rule = _rule(trader, metric="pcr_oi", condition="crosses_above", value=1.2)
    for at in snapshots_write(nifty, [{"pcr_oi": v} for v in PCR_PATH]):
        analytics_committed.send(sender=ChainSnapshot, underlying_id=nifty.pk, minute=at)  # Celery runs eagerly
    assert _fired(rule) == [2, 5, 8]


def test_the_database_refuses_a_second_firing_of_a_rule_at_one_minute(nifty: Underlying, trader: User) -> None:
    rule = _rule(trader, metric="pcr_oi", condition="above", value=1.2)
    AlertEvent.objects.create(rule=rule, minute=START, value=1.3, message="first", fired_at=START)
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertEvent.objects.create(rule=rule, minute=START, value=1.3, message="second", fired_at=START)


@pytest.mark.django_db(transaction=True)
def test_two_evaluators_of_the_same_minutes_fire_once(nifty: Underlying, trader: User) -> None:
    rule = _rule(trader, metric="pcr_oi", condition="crosses_above", value=1.2)
    snapshots_write(nifty, [{"pcr_oi": v} for v in PCR_PATH])
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            barrier.wait()
            rules_evaluate(underlying_id=nifty.pk, up_to=minute(len(PCR_PATH) - 1))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert _fired(rule) == [2, 5, 8]
