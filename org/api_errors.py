"""The one shape of every API error, and the DRF exception handler that gives it.

Every 4xx under /api/v1/ has a JSON body ``{"detail": "<one sentence>"}``; a validation
error adds ``"errors": {"<field>": ["<message>", ...]}`` with each field's messages (nested
fields as ``answers.0.text``, errors about the whole body under ``non_field_errors``).
The schema documents this shape once (``ErrorSerializer``), each API view names the statuses
it answers with ``error_responses(...)``, and lms.api_schema adds those the framework gives
every view of a kind (401 and 403 from authentication, 429 from throttles).

It lives in org, the lowest app with an API, so that every app's api.py can use it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error response."""

    detail = serializers.CharField(help_text="What went wrong, in the request's language.")
    # DRF's metaclass takes declared fields off the class: Serializer.errors stays as it is.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: the messages of each field that was refused.",
    )


# What each status means for a client, the same for every operation.
DESCRIPTIONS: dict[int, str] = {
    400: "The request was refused: a field is missing or wrong, or the body is not JSON.",
    401: "No valid credentials: sign in, or send a live API token (Authorization: Token <key>).",
    403: "Refused: the CSRF check failed for a signed-in browser session.",
    404: "Not found, or not visible to the signed-in user.",
    409: "Conflicts with the current state (for example an attempt that is already closed).",
    413: "The request body is larger than this operation accepts.",
    415: "The body is neither JSON nor a form (send Content-Type: application/json).",
    429: "Too many requests: wait for the time in the Retry-After header.",
}


def error_responses(*codes: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Schema responses for these error statuses, all with the shared error body.

    ``descriptions`` overrides the general wording, keyed ``e404="No such attempt."``.
    """
    return {
        code: OpenApiResponse(
            response=ErrorSerializer,
            description=descriptions.get(f"e{code}", DESCRIPTIONS[code]),
        )
        for code in codes
    }


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with every error body in the shape of ``ErrorSerializer``."""
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE when a view reads it; DRF
        # would let that through as a 500-looking SuspiciousOperation page, not JSON.
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flattened(response.data)
        response.data = {"detail": _summary(errors), "errors": errors}
    elif not (isinstance(response.data, dict) and isinstance(response.data.get("detail"), str)):
        response.data = {"detail": str(response.data)}
    return response


def _flattened(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"answers": [{"text": ["..."]}]}`` as ``{"answers.0.text": ["..."]}``."""
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for key, value in data.items():
            flat.update(_flattened(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(data, list) and any(isinstance(item, (dict, list)) for item in data):
        flat = {}
        for index, item in enumerate(data):
            flat.update(_flattened(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = data if isinstance(data, list) else [data]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def _summary(errors: dict[str, list[str]]) -> str:
    """One sentence for clients that show only ``detail``: each field with its first message."""
    parts = []
    for field, messages in errors.items():
        if not messages:
            continue
        parts.append(messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}")
    return " ".join(parts) or str(_("Invalid input."))
