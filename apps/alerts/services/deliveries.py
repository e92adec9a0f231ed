"""Deliveries: one row per (message, channel, target), written with the firing or the notice, sent after commit.

Rule firings are sent by the ``alerts.deliver`` task on the notifications queue, so a slow webhook never delays
collection or analytics; fault notices are sent in the process that found the fault (the watchdog, or the worker's
fault check), because the worker may be the fault. Each delivery is claimed with one conditional UPDATE, so a
redelivered task never sends twice; the sweeper re-sends deliveries left pending or claimed by a dead process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.alerts.choices import Channel, DeliveryStatus
from apps.alerts.models import AlertEvent, AlertProfile, Delivery, FaultNotice, WebhookEndpoint
from apps.alerts.transports.base import Message, Sleep, Transport, TransportError, real_sleep
from apps.alerts.transports.email import EmailTransport
from apps.alerts.transports.telegram import TelegramTransport
from apps.alerts.transports.webhook import WebhookTransport
from apps.alerts.transports.websocket import STAFF_GROUP, WebsocketTransport, user_group
from apps.market.clock import ist_label, to_ist
from apps.monitoring.metrics import record_delivery
from apps.monitoring.services import error_record

logger = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=5)
"""A delivery pending or claimed this long was lost with its task or process: the sweeper sends it again."""


def transport_for(channel: str, *, sleep: Sleep = real_sleep) -> Transport:
    transports: dict[str, Callable[[], Transport]] = {
        Channel.EMAIL: EmailTransport,
        Channel.WEBHOOK: lambda: WebhookTransport(sleep=sleep),
        Channel.TELEGRAM: lambda: TelegramTransport(sleep=sleep),
        Channel.WEBSOCKET: WebsocketTransport,
    }
    return transports[channel]()


# --- messages -----------------------------------------------------------------------------------


def event_payload(event: AlertEvent) -> dict[str, object]:
    rule = event.rule
    return {
        "type": "alert.fired",
        "version": 1,
        "event_id": event.pk,
        "rule": {
            "id": rule.pk,
            "name": rule.name,
            "symbol": rule.underlying.symbol if rule.underlying else None,
            "metric": rule.metric,
            "condition": rule.condition,
            "value": rule.value,
            "bucket": rule.bucket or None,
            "expiry": rule.expiry.isoformat() if rule.expiry else None,
            "category": rule.category or None,
        },
        "minute": to_ist(event.minute).isoformat(),
        "expiry": event.expiry.isoformat() if event.expiry else None,
        "value": event.value if event.value is not None else event.value_text,
        "previous_value": event.previous_value if event.previous_value is not None else (event.previous_text or None),
        "message": event.message,
        "fired_at": to_ist(event.fired_at).isoformat(),
    }


def event_message(event: AlertEvent) -> Message:
    link = f"{settings.OPTRADING_SITE_URL}/alerts/"
    return Message(
        kind="alert.fired",
        subject=f"[optrading] {event.message.split(':', 1)[0]}",
        text=f"{event.message}\n\nRule: {event.rule}\nAlerts: {link}",
        payload=event_payload(event),
    )


def notice_message(notice: FaultNotice) -> Message:
    text = notice.message
    if notice.suggestion:
        text += f"\n\nWhat to do: {notice.suggestion}"
    text += f"\n\nSystem page: {settings.OPTRADING_SITE_URL}/system/"
    return Message(
        kind=f"fault.{notice.kind}",
        subject=notice.subject,
        text=text,
        payload={
            "type": f"fault.{notice.kind}",
            "version": 1,
            "notice_id": notice.pk,
            "component": notice.component,
            "code": notice.code,
            "subject": notice.subject,
            "message": notice.message,
            "suggestion": notice.suggestion,
            "at": to_ist(notice.created_at).isoformat(),
        },
    )


# --- creating deliveries ------------------------------------------------------------------------


def _endpoint(*, owner_id: int | None, url: str) -> WebhookEndpoint:
    endpoint, _ = WebhookEndpoint.objects.get_or_create(owner_id=owner_id, url=url)
    return endpoint


def deliveries_for_event(event: AlertEvent, *, now: datetime) -> list[Delivery]:
    """The firing's deliveries on the rule's channels (inside the firing's transaction)."""
    rule = event.rule
    owner = rule.owner
    rows: list[Delivery] = []
    for channel in rule.channels:
        endpoint = None
        if channel == Channel.EMAIL:
            target = owner.email
        elif channel == Channel.WEBHOOK:
            target = rule.webhook_url
            endpoint = _endpoint(owner_id=owner.pk, url=target)
        elif channel == Channel.TELEGRAM:
            target = AlertProfile.objects.filter(user=owner).values_list("telegram_chat_id", flat=True).first() or ""
        else:
            target = user_group(owner.pk)
        rows.append(Delivery(event=event, channel=channel, target=target, endpoint=endpoint, created_at=now))
    return Delivery.objects.bulk_create(rows)


def platform_targets() -> list[tuple[str, str, WebhookEndpoint | None]]:
    """(channel, target, endpoint) for every channel of ``OPTRADING_ALERT_CHANNELS``."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    out: list[tuple[str, str, WebhookEndpoint | None]] = []
    for channel in settings.OPTRADING_ALERT_CHANNELS:
        if channel == Channel.EMAIL:
            emails = settings.OPTRADING_ALERT_EMAILS or list(staff.exclude(email="").values_list("email", flat=True))
            out += [(channel, email, None) for email in emails]
        elif channel == Channel.WEBHOOK:
            url = settings.OPTRADING_ALERT_WEBHOOK_URL
            out.append((channel, url, _endpoint(owner_id=None, url=url)))
        elif channel == Channel.TELEGRAM:
            out.append((channel, settings.OPTRADING_ALERT_TELEGRAM_CHAT_ID, None))
        elif channel == Channel.WEBSOCKET:
            out.append((channel, STAFF_GROUP, None))
    return out


def deliveries_for_notice(notice: FaultNotice, *, now: datetime) -> list[Delivery]:
    rows = [
        Delivery(notice=notice, channel=channel, target=target, endpoint=endpoint, created_at=now)
        for channel, target, endpoint in platform_targets()
    ]
    return Delivery.objects.bulk_create(rows)


# --- sending ------------------------------------------------------------------------------------


def _claim(delivery_id: int, *, now: datetime) -> Delivery | None:
    stuck = now - STUCK_AFTER
    claimable = Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stuck)
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(status=DeliveryStatus.SENDING, claimed_at=now)
    if claimed != 1:
        return None
    return Delivery.objects.select_related("event__rule__owner", "event__rule__underlying", "notice", "endpoint").get(
        pk=delivery_id
    )


def delivery_send(delivery_id: int, *, now: datetime | None = None, sleep: Sleep = real_sleep) -> Delivery | None:
    """Send one delivery if nobody else is; returns it finished (sent, failed or skipped), or None when taken."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now=now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if endpoint is not None and endpoint.disabled:
        return _finish(delivery, DeliveryStatus.SKIPPED, error=_disabled_text(endpoint), attempts=0)
    message = event_message(delivery.event) if delivery.event else notice_message(delivery.notice)  # type: ignore[arg-type]
    try:
        attempts = transport_for(delivery.channel, sleep=sleep).send(message, delivery.target)
    except TransportError as exc:
        if endpoint is not None:
            _endpoint_failed(endpoint, error=str(exc), now=timezone.now())
        return _finish(delivery, DeliveryStatus.FAILED, error=str(exc), attempts=exc.attempts)
    except Exception as exc:  # a bug in a transport must not leave the delivery claimed forever
        logger.exception("delivery %s crashed", delivery.pk)
        return _finish(delivery, DeliveryStatus.FAILED, error=f"{exc.__class__.__name__}: {exc}", attempts=1)
    if endpoint is not None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=0, last_success_at=timezone.now(), last_error=""
        )
    return _finish(delivery, DeliveryStatus.SENT, attempts=attempts)


def _finish(delivery: Delivery, status: str, *, error: str = "", attempts: int) -> Delivery:
    delivery.status = status
    delivery.error = error[:2000]
    delivery.attempts = attempts
    delivery.finished_at = timezone.now()
    delivery.save(update_fields=["status", "error", "attempts", "finished_at"])
    record_delivery(delivery.channel, status)
    return delivery


def _disabled_text(endpoint: WebhookEndpoint) -> str:
    return (
        f"webhook disabled at {ist_label(endpoint.disabled_at)} after {endpoint.consecutive_failures} consecutive "  # type: ignore[arg-type]
        "failed deliveries; re-enable it on the alerts page or in the admin"
    )


def _endpoint_failed(endpoint: WebhookEndpoint, *, error: str, now: datetime) -> None:
    """Count a failed delivery; the one that reaches the limit disables the endpoint (once, even if two race)."""
    limit = int(settings.OPTRADING_WEBHOOK_DISABLE_AFTER)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now, last_error=error[:2000]
        )
        disabled = WebhookEndpoint.objects.filter(
            pk=endpoint.pk, disabled_at__isnull=True, consecutive_failures__gte=limit
        ).update(disabled_at=now)
    if disabled:
        error_record(
            component="alerts",
            code="webhook_disabled",
            message=f"The webhook {endpoint.url} was disabled after {limit} consecutive failed deliveries; "
            f"the last: {error[:500]}",
            suggestion="Fix the receiver, then re-enable the webhook on the alerts page or in the admin.",
        )


def webhook_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at=None, consecutive_failures=0)
    endpoint.refresh_from_db()
    return endpoint


def deliveries_enqueue(delivery_ids: list[int]) -> None:
    """After commit: one task per delivery on the notifications queue (a broker outage is left to the sweeper)."""
    from apps.alerts.tasks import deliver_task

    for delivery_id in delivery_ids:
        try:
            deliver_task.delay(delivery_id=delivery_id)
        except Exception:
            logger.exception("could not enqueue delivery %s; the sweeper will send it", delivery_id)


def deliveries_sweep(*, now: datetime, sleep: Sleep = real_sleep) -> int:
    """Send again what was lost: firing deliveries pending, or claimed by a process that died, for too long."""
    stuck = now - STUCK_AFTER
    ids = list(
        Delivery.objects.filter(event__isnull=False)
        .filter(
            Q(status=DeliveryStatus.PENDING, created_at__lt=stuck)
            | Q(status=DeliveryStatus.SENDING, claimed_at__lt=stuck)
        )
        .values_list("id", flat=True)[:100]
    )
    for delivery_id in ids:
        delivery_send(delivery_id, now=now, sleep=sleep)
    return len(ids)
