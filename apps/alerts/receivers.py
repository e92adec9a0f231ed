"""After analytics commits a minute (or participants a day), queue the evaluation of the rules that watch it."""

from __future__ import annotations

import logging
from datetime import date, datetime

from apps.alerts.choices import Metric
from apps.alerts.models import AlertRule
from apps.market.calendar import session_close

logger = logging.getLogger(__name__)


def _on_analytics_committed(sender: object, *, underlying_id: int, minute: datetime, **kwargs: object) -> None:
    from apps.alerts.tasks import evaluate_task

    try:
        if AlertRule.objects.filter(active=True, underlying_id=underlying_id).exists():
            evaluate_task.delay(underlying_id=underlying_id, minute=minute.isoformat())
    except Exception:  # never break analytics; the next minute's evaluation catches up from the cursors
        logger.exception("could not queue the alert evaluation of %s at %s", underlying_id, minute)


def _on_participants_imported(sender: object, *, day: date, **kwargs: object) -> None:
    from apps.alerts.tasks import evaluate_task

    try:
        if AlertRule.objects.filter(active=True, metric=Metric.PARTICIPANT_NET).exists():
            evaluate_task.delay(underlying_id=None, minute=session_close(day).isoformat())
    except Exception:
        logger.exception("could not queue the participant alert evaluation of %s", day)


def receivers_connect() -> None:
    from apps.analytics.signals import analytics_committed
    from apps.participants.signals import participants_imported

    analytics_committed.connect(_on_analytics_committed, dispatch_uid="alerts.evaluate.analytics")
    participants_imported.connect(_on_participants_imported, dispatch_uid="alerts.evaluate.participants")
