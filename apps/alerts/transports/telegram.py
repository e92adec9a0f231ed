"""Telegram through the Bot API's ``sendMessage`` (``OPTRADING_TELEGRAM_API_ROOT`` lets a loopback double stand
in for api.telegram.org). 5xx, 429 (after its ``retry_after``) and network errors are retried with backoff."""

from __future__ import annotations

import requests
from django.conf import settings

from apps.alerts.transports.base import Message, Sleep, TransportError, backoff_delays, real_sleep

TELEGRAM_LIMIT = 4096
"""Characters per Telegram message."""


class TelegramTransport:
    channel = "telegram"

    def __init__(self, *, sleep: Sleep = real_sleep):
        self.sleep = sleep

    def send(self, message: Message, target: str) -> int:
        token = settings.OPTRADING_TELEGRAM_BOT_TOKEN
        if not token:
            raise TransportError("OPTRADING_TELEGRAM_BOT_TOKEN is not set", permanent=True)
        if not target:
            raise TransportError("no Telegram chat id: set one in your alert profile", permanent=True)
        url = f"{settings.OPTRADING_TELEGRAM_API_ROOT}/bot{token}/sendMessage"
        text = f"{message.subject}\n\n{message.text}"[:TELEGRAM_LIMIT]
        body = {"chat_id": target, "text": text, "disable_web_page_preview": True}
        delays = backoff_delays(
            tries=int(settings.OPTRADING_WEBHOOK_MAX_TRIES), first=float(settings.OPTRADING_WEBHOOK_RETRY_DELAY)
        )
        attempts = 0
        last = ""
        for delay in [*delays, None]:
            attempts += 1
            wait = delay
            try:
                response = requests.post(url, json=body, timeout=float(settings.OPTRADING_WEBHOOK_TIMEOUT))
            except requests.Timeout:
                last = "Telegram timed out"
            except requests.RequestException as exc:
                last = f"cannot reach Telegram: {exc.__class__.__name__}"  # never the URL: it holds the bot token
            else:
                reply = _json(response)
                if response.ok and reply.get("ok"):
                    return attempts
                description = str(reply.get("description") or response.reason)
                if response.status_code == 429:
                    parameters = reply.get("parameters")
                    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
                    if delay is not None and isinstance(retry_after, int | float):
                        wait = max(float(retry_after), delay)
                elif response.status_code < 500:
                    raise TransportError(
                        f"Telegram refused: HTTP {response.status_code} {description}",
                        permanent=True,
                        attempts=attempts,
                    )
                last = f"Telegram answered HTTP {response.status_code} {description}"
            if wait is not None:
                self.sleep(wait)
        raise TransportError(f"{last} ({attempts} tries)", attempts=attempts)


def _json(response: requests.Response) -> dict[str, object]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
