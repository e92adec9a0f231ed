"""/metrics, guarded: with OPTRADING_METRICS_TOKEN a scraper sends ``Authorization: Bearer <token>``; with
OPTRADING_METRICS_ALLOW_IPS only those addresses (or networks) are served. Production requires one of them;
development without either serves everyone on the machine, as before (docs/security.md)."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.exports import ExportToDjangoView


def _address_allowed(address: str, allowed: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def _bearer(request: HttpRequest) -> str:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def metrics_view(request: HttpRequest) -> HttpResponse:
    token: str = settings.OPTRADING_METRICS_TOKEN
    allowed: list[str] = settings.OPTRADING_METRICS_ALLOW_IPS
    if allowed and _address_allowed(str(request.META.get("REMOTE_ADDR", "")), allowed):
        return ExportToDjangoView(request)
    if token:
        sent = _bearer(request)
        if sent and hmac.compare_digest(sent.encode(), token.encode()):
            return ExportToDjangoView(request)
        refused = JsonResponse({"error": "Send the metrics token as Authorization: Bearer <token>."}, status=401)
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    if allowed:
        return JsonResponse({"error": "This address may not read the metrics."}, status=403)
    return ExportToDjangoView(request)
