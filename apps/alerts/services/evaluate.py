"""Rule evaluation, in minute order, exactly once per crossing.

Each rule is evaluated in its own transaction holding its row lock (``SELECT ... FOR UPDATE``): the points after its
cursor are stepped through the condition (``apps.alerts.conditions``), the firings stored, and the cursor and state
saved together. A second evaluator of the same minute waits for the lock and then finds the cursor past it; a
re-analysed minute is behind the cursor. The unique constraint on (rule, minute) makes the database refuse a
second firing even if this logic were wrong. Deliveries are written in the same transaction and sent after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.alerts.choices import STRIKE_METRICS, Condition, Metric
from apps.alerts.conditions import RuleState, condition_step
from apps.alerts.models import AlertEvent, AlertRule
from apps.alerts.services.deliveries import deliveries_enqueue, deliveries_for_event
from apps.alerts.services.series import Point, rule_points
from apps.market import rules as market_rules
from apps.market.clock import ist_label
from apps.monitoring.metrics import record_alert_fired

logger = logging.getLogger(__name__)


def rule_threshold(rule: AlertRule) -> float | None:
    """The threshold, or for moves_by the amount in the metric's units (strikes times the strike step for strikes)."""
    if rule.value is None:
        return None
    if rule.condition == Condition.MOVES_BY and rule.metric in STRIKE_METRICS and rule.underlying is not None:
        return rule.value * market_rules.strike_step(rule.underlying.symbol)
    return rule.value


def _fmt(value: float | None, text: str = "") -> str:
    if value is None:
        return text or "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"
    return f"{value:.4g}" if abs(value) < 10 else f"{value:.2f}"


def _subject(rule: AlertRule) -> str:
    what = Metric(rule.metric).label
    if rule.metric == Metric.PARTICIPANT_NET:
        what = f"{rule.category} net index futures"
    where = rule.underlying.symbol if rule.underlying else "Market"
    return f"{where} {what}"


def event_text(rule: AlertRule, point: Point, *, previous_value: float | None, previous_text: str) -> str:
    condition = Condition(rule.condition)
    if condition == Condition.CHANGES:
        verb = f"changed from {previous_text or '—'} to {point.text}"
    elif condition == Condition.MOVES_BY:
        unit = " strikes" if rule.metric in STRIKE_METRICS else ""
        verb = f"moved by {_fmt(rule.value)}{unit} or more: {_fmt(previous_value)} → {_fmt(point.value)}"
    else:
        verb = f"{condition.label.lower()} {_fmt(rule.value)}: {_fmt(point.value)} (was {_fmt(previous_value)})"
    where = f", expiry {point.expiry:%d %b %Y}" if point.expiry else ""
    bucket = f" ({rule.bucket})" if rule.bucket and not rule.expiry and rule.underlying else ""
    return f"{_subject(rule)} {verb} at {ist_label(point.minute)}{where}{bucket}"


def _state(rule: AlertRule) -> RuleState:
    return RuleState(
        last_value=rule.last_value,
        last_text=rule.last_text,
        armed=rule.armed,
        baseline=rule.baseline,
        baseline_text=rule.baseline_text,
    )


def rule_evaluate(*, rule_id: int, up_to: datetime, now: datetime | None = None) -> list[AlertEvent]:
    """Step one rule through its points up to ``up_to``; returns its new firings (committed on return)."""
    now = now or timezone.now()
    fired: list[AlertEvent] = []
    delivery_ids: list[int] = []
    with transaction.atomic():
        rule = (
            AlertRule.objects.select_for_update(of=("self",))
            .select_related("underlying", "owner")
            .filter(pk=rule_id)
            .first()
        )
        if rule is None or not rule.active:
            return []
        points = rule_points(rule, up_to=up_to)
        if not points:
            return []
        state = _state(rule)
        threshold = rule_threshold(rule)
        cooldown = timedelta(minutes=rule.cooldown_minutes)
        for point in points:
            suppressed = bool(
                rule.cooldown_minutes
                and rule.last_fired_minute is not None
                and point.minute < rule.last_fired_minute + cooldown
            )
            step = condition_step(
                condition=rule.condition,
                value=point.value,
                text=point.text,
                threshold=threshold,
                state=state,
                suppressed=suppressed,
            )
            state = step.state
            if not step.fire:
                continue
            event = AlertEvent.objects.create(
                rule=rule,
                minute=point.minute,
                value=point.value,
                value_text=point.text,
                previous_value=step.previous_value,
                previous_text=step.previous_text,
                expiry=point.expiry,
                message=event_text(rule, point, previous_value=step.previous_value, previous_text=step.previous_text),
                fired_at=now,
            )
            rule.last_fired_minute = point.minute
            rule.fired_count += 1
            fired.append(event)
            delivery_ids += [d.pk for d in deliveries_for_event(event, now=now)]
            record_alert_fired(rule.metric)
        rule.last_minute = points[-1].minute
        rule.last_value, rule.last_text, rule.armed = state.last_value, state.last_text, state.armed
        rule.baseline, rule.baseline_text = state.baseline, state.baseline_text
        rule.save(
            update_fields=[
                "last_minute",
                "last_value",
                "last_text",
                "armed",
                "baseline",
                "baseline_text",
                "last_fired_minute",
                "fired_count",
            ]
        )
        if delivery_ids:
            transaction.on_commit(lambda: deliveries_enqueue(delivery_ids))
    return fired


def rules_evaluate(*, underlying_id: int | None, up_to: datetime, now: datetime | None = None) -> list[AlertEvent]:
    """Every active rule of the underlying (``None``: the participant rules), one transaction each, by id."""
    rules = AlertRule.objects.filter(active=True)
    if underlying_id is None:
        rules = rules.filter(metric=Metric.PARTICIPANT_NET)
    else:
        rules = rules.filter(underlying_id=underlying_id).exclude(metric=Metric.PARTICIPANT_NET)
    fired: list[AlertEvent] = []
    for rule_id in rules.order_by("id").values_list("id", flat=True):
        try:
            fired += rule_evaluate(rule_id=rule_id, up_to=up_to, now=now)
        except Exception:  # one broken rule must not stop the others
            logger.exception("evaluating alert rule %s failed", rule_id)
    return fired
