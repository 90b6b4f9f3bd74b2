"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from courses.models import CourseIndexPage
from org.access import request_scope

CATALOGUE_URL_SECONDS = 300


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``can_manage_training``: HR officers and administrators see the HR links (lazily)."""
    # No user on a request refused before authentication ran (a 400 for an unknown host).
    user = getattr(request, "user", None)
    return {
        "catalogue_url": SimpleLazyObject(lambda: _catalogue_url(request)),
        # HR officers and administrators are staff (org.services.person_account_sync), so
        # for the many learners this costs no query at all.
        "can_manage_training": SimpleLazyObject(
            lambda: bool(
                user is not None
                and user.is_authenticated
                and user.is_staff
                and request_scope(request).manages_people
            )
        ),
    }


def _catalogue_url(request: HttpRequest) -> str:
    # Every page links to the catalogue; its address changes only if an editor renames it.
    def find() -> str:
        page = CourseIndexPage.objects.live().first()
        return (page.get_url(request) or "/") if page else "/"

    return str(cache.get_or_set("lms:catalogue-url", find, CATALOGUE_URL_SECONDS))
