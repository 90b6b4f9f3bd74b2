"""The portal's URLs plus views that fail on purpose, for tests/lms/test_error_pages.py."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from lms.urls import urlpatterns as portal


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a tampered request")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("SECRET-DETAIL of a deliberate failure")


urlpatterns = [
    *i18n_patterns(
        path("test-errors/403/", forbidden),
        path("test-errors/400/", suspicious),
        path("test-errors/500/", broken),
        prefix_default_language=False,
    ),
    *portal,
]
