"""The OpenAPI schema and Swagger UI. The UI's assets come from drf-spectacular-sidecar, served by us,
never from a CDN, so the docs work offline and leak nothing to third parties."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBase
from django.templatetags.static import static
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.settings import api_settings


class SchemaApi(SpectacularAPIView):
    permission_classes = [IsAuthenticated]
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """The interactive docs page; a visitor who is not signed in is sent to the login page first.

    The split view serves Swagger UI's start-up script from its own URL (``?script=``), so the page runs under the
    content security policy without inline scripts; only its small inline ``<style>`` is allowed, here alone."""

    permission_classes = [AllowAny]
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES  # type: ignore[assignment]
    url_name = "api-schema"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        response = super().get(request, *args, **kwargs)
        response._csp_update = {"style-src-elem": ["'self'", "'unsafe-inline'"]}  # read by django-csp
        return response

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
