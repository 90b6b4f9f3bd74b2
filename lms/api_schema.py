"""OpenAPI schema generation (drf-spectacular): our endpoints only, and every error they give.

Each API view names the errors of its own logic with ``org.api_errors.error_responses``
(400, 404, 409); ``AutoSchema`` adds those that follow from the view's classes, so that the
schema cannot forget them when a view changes:

- 401 when the view authenticates and a permission needs a user (token first, so DRF
  answers 401 with ``WWW-Authenticate: Token``);
- 403 for unsafe methods of views that accept a browser session (the CSRF check);
- 404 for views acting as the signed-in person (``org.access.HasPerson``: a login without
  a personnel record);
- 400, 413 and 415 for operations that parse a request body (malformed JSON; a body over
  lms.parsers' API_MAX_BODY_BYTES, or a form over DATA_UPLOAD_MAX_MEMORY_SIZE; a content
  type no parser reads);
- 429 for throttled views.

tests/lms/test_api_contract.py provokes each of them against the real app.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from org.access import HasPerson
from org.api_errors import error_responses

PUBLIC_PREFIX = "/api/v1/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def public_endpoints_only(endpoints: list[tuple[str, str, str, Any]]) -> list[Any]:
    """Keep the endpoints under /api/v1/; Wagtail's admin API is not ours to publish."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PUBLIC_PREFIX)]


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, response in error_responses(*self._framework_errors()).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    response, str(code), direction=direction
                )
        return dict(sorted(responses.items()))

    def _framework_errors(self) -> list[int]:
        authenticators = self.view.get_authenticators()
        permissions = self.view.get_permissions()
        codes = []
        takes_body = self.method in UNSAFE_METHODS and self.get_request_serializer() is not None
        if takes_body:
            codes.append(400)
        needs_user = any(not isinstance(permission, AllowAny) for permission in permissions)
        if authenticators and needs_user:
            codes.append(401)
        if self.method in UNSAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication) for authenticator in authenticators
        ):
            codes.append(403)
        if any(isinstance(permission, HasPerson) for permission in permissions):
            codes.append(404)
        if takes_body:
            codes += [413, 415]
        if self.view.get_throttles():
            codes.append(429)
        return codes
