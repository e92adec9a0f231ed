"""The OpenAPI schema class: every operation also documents the refusals its permissions can give.

DRF answers a request without credentials to a view that needs a user with 401, and a signed-in user who is not
staff on a staff-only view with 403, both as ``{"error": ...}`` (apps.core.api). Those replies come from the
permission classes, not from the views' own ``responses``, so they are added here from the permissions.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework.permissions import IsAdminUser, IsAuthenticated

from apps.api.serializers import ErrorSerializer


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        permissions = self.view.get_permissions()
        refusals = []
        if any(isinstance(p, (IsAuthenticated, IsAdminUser)) for p in permissions):
            refusals.append("401")
        if any(isinstance(p, IsAdminUser) for p in permissions):
            refusals.append("403")
        for status in refusals:
            responses.setdefault(status, self._get_response_for_code(ErrorSerializer, status, direction=direction))
        return responses
