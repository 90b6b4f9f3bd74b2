"""The Django admin (/django-admin/) is the platform administrators' own tool.

HR officers and trainers are staff too (they work in the Wagtail admin), and Django's
admin answers them 403 for each model page, which tells them the model exists. Here
anybody signed in who is not a platform administrator gets a 404 for every admin page,
and so does an administrator on a page they lack a permission for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from org.access import request_scope


class PlatformAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return request_scope(request).everything

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated and not self.has_permission(request):
                raise Http404
            try:
                return inner(request, *args, **kwargs)
            except PermissionDenied:
                raise Http404 from None

        return update_wrapper(guarded, view)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.user.is_authenticated and not self.has_permission(request):
            raise Http404
        return super().login(request, extra_context)
