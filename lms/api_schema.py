"""OpenAPI schema generation hooks (drf-spectacular)."""

from __future__ import annotations

from typing import Any

PUBLIC_PREFIX = "/api/v1/"


def public_endpoints_only(endpoints: list[tuple[str, str, str, Any]]) -> list[Any]:
    """Keep the endpoints under /api/v1/; Wagtail's admin API is not ours to publish."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PUBLIC_PREFIX)]
