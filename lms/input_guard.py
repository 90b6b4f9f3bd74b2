"""Requests that no page or API can mean: refused before any view runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

MESSAGE = "请求中含有不允许的空字符（NUL）。The request contains a NUL character."


class NulCharacterGuardMiddleware:
    """A NUL in the path, the query string or a form field is a 400.

    No text we store may hold one, and PostgreSQL refuses it in any string it is sent
    (psycopg raises ValueError, a 500), so one check here spares every view and filter.
    JSON bodies are checked by their parser (lms/parsers.py), files by their importers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _has_nul(request.GET.lists()):
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        # Multipart bodies are left to their views: parsing uploads here would run before
        # the view could choose its upload handlers.
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            if _has_nul(request.POST.lists()):
                return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(items: Iterable[tuple[str, list[str]]]) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in items)
