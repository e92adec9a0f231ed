"""Webhook: a JSON POST signed ``X-Optrading-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with
``OPTRADING_WEBHOOK_SECRET``. 5xx, 429, timeouts and connection errors are retried with backoff; other answers
are final. The request goes to the address the guard checked (``netguard``), TLS verified against the URL's name."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import certifi
import urllib3
from django.conf import settings

from apps.alerts.transports.base import Message, Sleep, TransportError, backoff_delays, real_sleep
from apps.alerts.transports.netguard import Target, TargetRefused, target_resolve

SIGNATURE_HEADER = "X-Optrading-Signature"


def body_encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def signature(body: bytes, *, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            retries=False,
            timeout=timeout,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, retries=False, timeout=timeout)
    try:
        response = pool.urlopen(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header}, redirect=False
        )
        return int(response.status)
    finally:
        pool.close()


class WebhookTransport:
    channel = "webhook"

    def __init__(self, *, sleep: Sleep = real_sleep):
        self.sleep = sleep

    def send(self, message: Message, target: str) -> int:
        secret = settings.OPTRADING_WEBHOOK_SECRET
        if not secret:
            raise TransportError(
                "OPTRADING_WEBHOOK_SECRET is not set, so the delivery cannot be signed", permanent=True
            )
        body = body_encode(message.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "optrading-webhook/1",
            "X-Optrading-Event": message.kind,
            SIGNATURE_HEADER: signature(body, secret=secret),
        }
        delays = backoff_delays(
            tries=int(settings.OPTRADING_WEBHOOK_MAX_TRIES), first=float(settings.OPTRADING_WEBHOOK_RETRY_DELAY)
        )
        attempts = 0
        last = ""
        for delay in [*delays, None]:
            attempts += 1
            try:
                # Resolved and checked on every try: the name may have moved since the rule was saved.
                resolved = target_resolve(target, allow_private=bool(settings.OPTRADING_WEBHOOK_ALLOW_PRIVATE))
            except TargetRefused as exc:
                raise TransportError(f"refused: {exc}", permanent=True, attempts=attempts) from exc
            try:
                status = _post(resolved, body, headers, float(settings.OPTRADING_WEBHOOK_TIMEOUT))
            except urllib3.exceptions.TimeoutError:
                last = f"timed out after {settings.OPTRADING_WEBHOOK_TIMEOUT:g} s"
            except urllib3.exceptions.HTTPError as exc:
                last = f"connection failed: {exc.__class__.__name__}: {exc}"
            else:
                if 200 <= status < 300:
                    return attempts
                if status < 500 and status != 429:
                    raise TransportError(f"the receiver answered HTTP {status}", permanent=True, attempts=attempts)
                last = f"the receiver answered HTTP {status}"
            if delay is not None:
                self.sleep(delay)
        raise TransportError(f"{last} ({attempts} tries)", attempts=attempts)
