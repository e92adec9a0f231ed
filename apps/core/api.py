"""Shared API plumbing: one exception handler so every error is JSON that says what was wrong."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ApplicationError


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx reply, documented by every app's API with this one serializer."""

    error = serializers.CharField(help_text="What was wrong with the request.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "fields" is also the name of a Serializer's own attribute, so this key is added here.
        fields["fields"] = serializers.DictField(
            required=False, child=serializers.JSONField(), help_text="For invalid input: what was wrong, per field."
        )
        return fields


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"error": exc.message, **exc.extra}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = response.data
        if isinstance(detail, dict) and set(detail) == {"detail"}:
            response.data = {"error": str(detail["detail"])}
        else:
            response.data = {"error": "Invalid input.", "fields": detail}
    return response
