"""Email through Django's backend (SMTP from ``EMAIL_*``; tests use the locmem outbox)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import send_mail

from apps.alerts.transports.base import Message, TransportError


def email_configured() -> bool:
    return not settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") or bool(settings.EMAIL_HOST)


class EmailTransport:
    channel = "email"

    def send(self, message: Message, target: str) -> int:
        if not email_configured():
            raise TransportError(
                "email is not configured: set EMAIL_HOST (and the other EMAIL_* settings)", permanent=True
            )
        if not target:
            raise TransportError("no email address: add one to your user in the admin", permanent=True)
        try:
            sent = send_mail(message.subject, message.text, settings.DEFAULT_FROM_EMAIL, [target], fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            permanent = isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPAuthenticationError)
            raise TransportError(f"SMTP: {exc.__class__.__name__}: {exc}", permanent=permanent) from exc
        if sent != 1:
            raise TransportError("the email backend sent nothing")
        return 1
