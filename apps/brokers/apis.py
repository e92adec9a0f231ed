"""/api/v1/auth: the Kite session's status, and logout."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.brokers.selectors import auth_status_get
from apps.brokers.services import kite_session_logout
from apps.brokers.views import request_id_get
from apps.core.api import ErrorSerializer


class AuthStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["none", "active", "expired"])
    user_id = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When Kite ends the session (06:00 IST).")


class AuthLogoutSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["none", "active", "expired"])
    user_id = serializers.CharField()
    revoked_at_kite = serializers.BooleanField(
        help_text="False when Kite could not be reached; revoked locally anyway."
    )
    message = serializers.CharField()


class AuthStatusApi(APIView):
    """Whether a usable Kite session exists, for whom, and until when."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_status", responses={200: AuthStatusSerializer})
    def get(self, request: Request) -> Response:
        return Response(AuthStatusSerializer(auth_status_get(provider="kite").as_dict()).data)


class AuthLogoutApi(APIView):
    """Invalidate the Kite access token at Kite and locally. Staff only; 409 when nobody is logged in."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={200: AuthLogoutSerializer, 409: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        result = kite_session_logout(request_id=request_id_get(request))
        payload = {
            "status": auth_status_get(provider="kite").status,
            "user_id": result.session.user_id,
            "revoked_at_kite": result.revoked_at_kite,
            "message": result.message,
        }
        return Response(AuthLogoutSerializer(payload).data)
