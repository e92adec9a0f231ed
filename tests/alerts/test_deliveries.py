"""Deliveries against loopback doubles: a signed webhook that retries and is disabled, Telegram, email."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from apps.alerts.models import AlertEvent, AlertProfile, AlertRule, Delivery, WebhookEndpoint
from apps.alerts.services.deliveries import delivery_send, webhook_enable
from apps.alerts.services.rules import RuleInput, rule_create
from apps.alerts.transports.base import Message, TransportError
from apps.alerts.transports.netguard import TargetRefused, target_resolve
from apps.alerts.transports.webhook import WebhookTransport
from apps.market.models import Underlying
from apps.monitoring.models import ErrorEvent
from tests.alerts.conftest import SECRET, minute, snapshots_write
from tests.alerts.doubles import Receiver

pytestmark = pytest.mark.django_db

MESSAGE = Message(kind="alert.fired", subject="s", text="t", payload={"type": "alert.fired", "value": 1.25})


def _valid(received: Any) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["x-optrading-signature"], expected)


def test_nifty_pcr_crossing_above_1_2_reaches_webhook_telegram_and_email_once(
    evaluate: Any, nifty: Underlying, trader: User, receiver: Receiver, channels_configured: Receiver
) -> None:
    telegram = channels_configured
    AlertProfile.objects.create(user=trader, telegram_chat_id="424242")
    rule = rule_create(
        owner=trader,
        data=RuleInput(
            name="NIFTY PCR 1.2",
            symbol="NIFTY",
            metric="pcr_oi",
            condition="crosses_above",
            value=1.2,
            channels=["webhook", "telegram", "email", "websocket"],
            webhook_url=f"{receiver.url}/hooks/optrading",
        ),
    )
    for at in snapshots_write(nifty, [{"pcr_oi": v} for v in [1.1, 1.15, 1.25, 1.3, 1.28]]):
        evaluate(nifty, at)
        evaluate(nifty, at)  # a second evaluation of the same minute adds nothing

    event = AlertEvent.objects.get(rule=rule)
    assert event.minute == minute(2)
    assert sorted(Delivery.objects.filter(event=event).values_list("channel", "status")) == [
        ("email", "sent"),
        ("telegram", "sent"),
        ("webhook", "sent"),
        ("websocket", "sent"),
    ]
    (hook,) = receiver.received
    assert hook.path == "/hooks/optrading" and _valid(hook)
    assert hook.headers["x-optrading-event"] == "alert.fired"
    assert hook.json["rule"]["id"] == rule.pk and hook.json["value"] == 1.25 and hook.json["previous_value"] == 1.15
    (sent,) = telegram.received
    assert sent.path == "/bot123456:TEST-TOKEN/sendMessage"
    assert sent.json["chat_id"] == "424242" and "crosses above 1.2: 1.25" in sent.json["text"]
    (email,) = mail.outbox
    assert email.to == ["trader@example.com"] and email.subject.startswith(
        "[optrading] NIFTY PCR (OI) crosses above 1.2"
    )
    assert "1.25 (was 1.15)" in email.body


def test_the_signature_is_the_hmac_of_the_raw_body(receiver: Receiver, channels_configured: Receiver) -> None:
    WebhookTransport().send(MESSAGE, f"{receiver.url}/x")
    (hook,) = receiver.received
    assert hook.body == b'{"type":"alert.fired","value":1.25}' and _valid(hook)
    assert hook.headers["content-type"] == "application/json"


def test_it_retries_5xx_and_timeouts_with_backoff_then_succeeds(
    receiver: Receiver, channels_configured: Receiver, settings: Any
) -> None:
    settings.OPTRADING_WEBHOOK_RETRY_DELAY = 1.0
    receiver.script = [503, "hang", 500]
    waits: list[float] = []
    attempts = WebhookTransport(sleep=waits.append).send(MESSAGE, receiver.url)
    assert attempts == 4 and len(receiver.received) == 4
    assert waits == [1.0, 2.0, 4.0]  # doubling backoff, injected instead of slept


def test_it_gives_up_after_the_last_try_and_does_not_retry_a_4xx(
    receiver: Receiver, channels_configured: Receiver
) -> None:
    receiver.script = [502, 502, 502, 502]
    with pytest.raises(TransportError) as failed:
        WebhookTransport(sleep=lambda s: None).send(MESSAGE, receiver.url)
    assert not failed.value.permanent and failed.value.attempts == 4 and "HTTP 502 (4 tries)" in str(failed.value)
    receiver.script = [404]
    with pytest.raises(TransportError) as refused:
        WebhookTransport(sleep=lambda s: None).send(MESSAGE, receiver.url)
    assert refused.value.permanent and refused.value.attempts == 1 and len(receiver.received) == 5


def test_a_webhook_is_disabled_after_ten_consecutive_failed_deliveries(
    evaluate: Any, nifty: Underlying, trader: User, receiver: Receiver, channels_configured: Receiver, settings: Any
) -> None:
    settings.OPTRADING_WEBHOOK_MAX_TRIES = 1
    rule = rule_create(
        owner=trader,
        data=RuleInput(
            symbol="NIFTY",
            metric="pcr_oi",
            condition="above",
            value=1.0,
            channels=["webhook"],
            webhook_url=receiver.url,
        ),
    )
    receiver.script = [500] * 10
    # Eleven firings: above 1.0 and back below, eleven times.
    snapshots_write(nifty, [{"pcr_oi": 1.5 if i % 2 == 0 else 0.5} for i in range(22)])
    evaluate(nifty, minute(21))

    endpoint = WebhookEndpoint.objects.get(owner=trader, url=receiver.url)
    statuses = list(
        Delivery.objects.filter(event__rule=rule).order_by("event__minute").values_list("status", flat=True)
    )
    assert statuses == ["failed"] * 10 + ["skipped"]
    assert len(receiver.received) == 10  # the eleventh was never sent
    assert endpoint.disabled and endpoint.consecutive_failures == 10
    assert ErrorEvent.objects.filter(component="alerts", code="webhook_disabled", resolved=False).count() == 1
    skipped = Delivery.objects.filter(event__rule=rule, status="skipped").get()
    assert "disabled" in skipped.error and "re-enable" in skipped.error

    webhook_enable(endpoint=endpoint)
    skipped.status = "pending"
    skipped.save(update_fields=["status"])
    assert delivery_send(skipped.pk).status == "sent"  # type: ignore[union-attr]
    endpoint.refresh_from_db()
    assert not endpoint.disabled and endpoint.consecutive_failures == 0


def test_a_claimed_delivery_is_not_sent_twice(
    evaluate: Any, nifty: Underlying, trader: User, receiver: Receiver, channels_configured: Receiver
) -> None:
    rule_create(
        owner=trader,
        data=RuleInput(
            symbol="NIFTY",
            metric="pcr_oi",
            condition="above",
            value=1.0,
            channels=["webhook"],
            webhook_url=receiver.url,
        ),
    )
    snapshots_write(nifty, [{"pcr_oi": 1.5}])
    evaluate(nifty, minute(0))
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery_send(delivery.pk) is None  # a redelivered task finds it done
    assert len(receiver.received) == 1


def test_telegram_errors_are_reported_and_429_waits_for_retry_after(channels_configured: Receiver) -> None:
    from apps.alerts.transports.telegram import TelegramTransport

    telegram = channels_configured
    telegram.script = [429, 200]
    waits: list[float] = []
    assert TelegramTransport(sleep=waits.append).send(MESSAGE, "42") == 2
    assert waits == [3.0]  # Telegram's retry_after, longer than the first backoff
    telegram.script = [400]
    with pytest.raises(TransportError) as refused:
        TelegramTransport(sleep=waits.append).send(MESSAGE, "42")
    assert refused.value.permanent and "chat not found" in str(refused.value)
    assert "TEST-TOKEN" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.0.5/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/x",
        "http://100.64.0.1/x",
    ],
)
def test_loopback_and_private_targets_are_refused_by_their_resolved_address(url: str) -> None:
    with pytest.raises(TargetRefused, match="loopback, private or reserved"):
        target_resolve(url, allow_private=False)


def test_only_http_and_https_are_allowed_and_private_targets_only_when_asked() -> None:
    with pytest.raises(TargetRefused, match="only http:// and https://"):
        target_resolve("ftp://example.com/x", allow_private=True)
    with pytest.raises(TargetRefused, match="only http:// and https://"):
        target_resolve("file:///etc/passwd", allow_private=True)
    assert target_resolve("http://127.0.0.1:8123/hook?a=1", allow_private=True).address == "127.0.0.1"
    assert target_resolve("http://127.0.0.1:8123/hook?a=1", allow_private=True).path == "/hook?a=1"


def test_a_delivery_whose_target_became_private_is_refused_at_send_time(
    evaluate: Any, nifty: Underlying, trader: User, receiver: Receiver, channels_configured: Receiver, settings: Any
) -> None:
    rule_create(
        owner=trader,
        data=RuleInput(
            symbol="NIFTY",
            metric="pcr_oi",
            condition="above",
            value=1.0,
            channels=["webhook"],
            webhook_url=receiver.url,
        ),
    )
    settings.OPTRADING_WEBHOOK_ALLOW_PRIVATE = False  # the check is repeated when sending
    snapshots_write(nifty, [{"pcr_oi": 1.5}])
    evaluate(nifty, minute(0))
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.error.startswith("refused: 127.0.0.1 resolves to a loopback")
    assert receiver.received == []


def test_rules_of_one_owner_are_delivered_to_that_owner_only(
    evaluate: Any, nifty: Underlying, trader: User, channels_configured: Receiver
) -> None:
    other = User.objects.create_user("other", email="other@example.com")
    for owner in (trader, other):
        rule_create(
            owner=owner,
            data=RuleInput(symbol="NIFTY", metric="spot", condition="above", value=100.0, channels=["email"]),
        )
    snapshots_write(nifty, [{"spot": 23000.0}])
    evaluate(nifty, minute(0))
    assert sorted(m.to[0] for m in mail.outbox) == ["other@example.com", "trader@example.com"]
    assert AlertRule.objects.get(owner=other).fired_count == 1
