"""API tokens under /api/v1/auth/tokens/: issue one with username and password, list and
revoke one's own.

The key is in the answer to the POST and nowhere else: the server keeps its SHA-256 only.
Issuing goes through ``django.contrib.auth.authenticate`` with the request, so django-axes
counts failures and refuses locked accounts and addresses exactly as on the sign-in page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from org import services
from org.api_errors import error_responses
from org.models import ApiToken
from org.security import client_ip


def _user_id(request: Request) -> int:
    """The signed-in user's key (IsAuthenticated has run, so there is one)."""
    return int(request.user.pk or 0)


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=80, help_text="Which script or device uses it.")


class TokenSerializer(serializers.ModelSerializer[ApiToken]):
    current = serializers.SerializerMethodField(
        help_text="Whether this request was signed with this token."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "last_four", "created_at", "expires_at", "current"]

    def get_current(self, token: ApiToken) -> bool:
        return token.pk == self.context.get("current_id")


class TokenIssuedSerializer(serializers.ModelSerializer[ApiToken]):
    key = serializers.SerializerMethodField(
        help_text="Shown this once: send it as 'Authorization: Token <key>'."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "key", "last_four", "created_at", "expires_at"]

    def get_key(self, token: ApiToken) -> str:
        return str(self.context["key"])


class TokenIssueThrottle(SimpleRateThrottle):
    """10 tokens a minute per client address: scripts need one, not a stream of them."""

    scope = "token-issue"
    rate = "10/min"

    def get_cache_key(self, request: Request, view: Any) -> str:
        # Our own proxy-aware address, not DRF's reading of a header the client may forge.
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request)}


class ApiTokens(APIView):
    """GET: the signed-in user's live tokens (never their keys). POST: a new token."""

    def _issuing(self) -> bool:
        return getattr(getattr(self, "request", None), "method", "") == "POST"

    # Issuing authenticates by username and password in the body, not by a session or a
    # token; without a session it needs no CSRF token either.
    def get_authenticators(self) -> list[Any]:
        return [] if self._issuing() else super().get_authenticators()

    def get_permissions(self) -> Sequence[Any]:
        return [AllowAny()] if self._issuing() else super().get_permissions()

    def get_throttles(self) -> list[BaseThrottle]:
        return [TokenIssueThrottle()] if self._issuing() else super().get_throttles()

    @extend_schema(
        description="The signed-in user's live tokens, newest first; never their keys.",
        responses=TokenSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user_id=_user_id(request)).live().order_by("-created_at")
        current_id = request.auth.pk if isinstance(request.auth, ApiToken) else None
        return Response(TokenSerializer(tokens, many=True, context={"current_id": current_id}).data)

    @extend_schema(
        description="A new token for username and password: the key is in this answer only. "
        "Failed attempts count towards the sign-in lockout.",
        request=TokenRequestSerializer,
        responses={
            201: TokenIssuedSerializer,
            **error_responses(
                400,
                429,
                e400="Wrong username or password, an inactive account, or a field missing.",
                e429="Too many tokens asked for from this address, or the account or the "
                "address is locked after repeated failed sign-ins.",
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credentials = data.validated_data
        http_request = request._request
        user = authenticate(
            request=http_request,
            username=credentials["username"],
            password=credentials["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            # django-axes would replace any answer to a locked-out request with its HTML
            # lockout page on the way out (AxesMiddleware); an API client gets JSON instead.
            setattr(http_request, "axes_locked_out", False)  # noqa: B010
            return Response(
                {
                    "detail": _(
                        "Too many failed sign-in attempts for this account or from this "
                        "network address. Sign-in is blocked for a while; try again later or "
                        "ask the platform administrator to unlock it."
                    )
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            # DRF's own wording (and translation) for obtain_auth_token's refusal.
            return Response(
                {"detail": _("Unable to log in with provided credentials.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, key = services.api_token_issue(user=user, name=credentials["name"])
        body = TokenIssuedSerializer(token, context={"key": key}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenRevoke(APIView):
    """Revoke one of the signed-in user's tokens; another user's token is a 404."""

    @extend_schema(
        request=None, responses={204: None, **error_responses(404, e404="No such live token.")}
    )
    def delete(self, request: Request, token_id: int) -> Response:
        token = ApiToken.objects.filter(pk=token_id, user_id=_user_id(request)).live().first()
        if token is None:
            raise NotFound(_("No such token."))
        services.api_token_revoke(token=token, reason="owner")
        return Response(status=status.HTTP_204_NO_CONTENT)


class CurrentApiTokenRevoke(APIView):
    """Revoke the token this request is signed with: a script signing itself out."""

    @extend_schema(
        request=None,
        responses={
            204: None,
            **error_responses(404, e404="The request was not signed with an API token."),
        },
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise NotFound(_("This request was not signed with an API token."))
        services.api_token_revoke(token=request.auth, reason="owner")
        return Response(status=status.HTTP_204_NO_CONTENT)
