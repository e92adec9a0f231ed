"""The OpenAPI schema and Swagger UI. The UI's assets come from drf-spectacular-sidecar, served by us,
never from a CDN, so the docs work offline and leak nothing to third parties."""

from __future__ import annotations

from django.templatetags.static import static
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings

SCHEMA_SETTINGS = {
    # Several responses have a field named "status" with different choices; name each set once.
    "ENUM_NAME_OVERRIDES": {
        "CollectionStatusEnum": "apps.marketdata.models.CollectionStatus",
        "HealthStatusEnum": ["ok", "degraded"],
        "BrokerSessionStatusEnum": ["none", "active", "expired"],
        "PriceModeEnum": ["last", "average"],
    },
}
"""Belongs in SPECTACULAR_SETTINGS; kept here until then, for the view and `spectacular --custom-settings`."""


class SchemaApi(SpectacularAPIView):
    custom_settings = SCHEMA_SETTINGS
    permission_classes = [IsAuthenticated]
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES


class SwaggerDocsView(SpectacularSwaggerView):
    permission_classes = [IsAuthenticated]
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    url_name = "api-schema"

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
