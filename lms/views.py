"""Views of the portal itself."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lms import preflight
from lms.tasks import health_probe

WORKER_REPLY_SECONDS = 3.0


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and task-queue status as JSON: 200 when all answer, 503 when one does not.

    ``?workers=1`` also sends a task through the queue and waits for a worker's reply, so a
    monitor can tell "broker up but nobody consuming" from healthy.
    """
    checks: dict[str, dict[str, object]] = {
        "database": _timed(preflight.database_problem),
        "task_queue": _timed(preflight.broker_problem),
    }
    checks["task_queue"]["mode"] = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "broker"
    if request.GET.get("workers") == "1":
        checks["workers"] = _worker_round_trip()
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


def _timed(check: preflight.Check) -> dict[str, object]:
    started = time.monotonic()
    problem = check()
    result: dict[str, object] = {"latency_ms": round((time.monotonic() - started) * 1000, 1)}
    if problem:
        result.update(status="error", error=problem)
    else:
        result["status"] = "ok"
    return result


def _worker_round_trip() -> dict[str, object]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "ok", "mode": "eager"}
    if not settings.CELERY_RESULT_BACKEND:
        return {"status": "error", "error": "no result backend configured (REDIS_URL)"}
    started = time.monotonic()
    try:
        health_probe.delay().get(timeout=WORKER_REPLY_SECONDS, propagate=True)
    except CeleryTimeout:
        return {"status": "error", "error": f"no worker replied within {WORKER_REPLY_SECONDS} s"}
    except Exception as error:  # broker or backend down: report it, do not raise a 500
        return {"status": "error", "error": str(error) or type(error).__name__}
    return {"status": "ok", "latency_ms": round((time.monotonic() - started) * 1000, 1)}


@require_http_methods(["GET", "POST"])
def set_language(request: HttpRequest) -> HttpResponseRedirect:
    """Django's ``set_language``, but the page comes back in the language chosen.

    Django translates ``next`` by resolving it in the language of the switching request
    (the cookie's or the browser's), not of the page: ``/en/courses/`` resolved as Chinese
    matches Wagtail's catch-all and comes back as ``/en/courses/``, still English. Here
    the page's own language, read from its prefix, resolves it.
    """
    next_url = request.POST.get("next", request.GET.get("next")) or "/"
    if not url_has_allowed_host_and_scheme(
        url=next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    language = request.POST.get("language", "")
    if request.method != "POST" or language not in dict(settings.LANGUAGES):
        return HttpResponseRedirect(next_url)
    response = HttpResponseRedirect(url_in_language(next_url, language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def url_in_language(url: str, language: str) -> str:
    """The same page in ``language``: ``/en/courses/`` <-> ``/courses/``; other URLs as they are."""
    path_language = translation.get_language_from_path(urlsplit(url).path)
    with translation.override(path_language or settings.LANGUAGE_CODE):
        return translate_url(url, language)


class LoginView(auth_views.LoginView):
    """Django's sign-in, landing on the home page in the language of the sign-in page."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # LOGIN_REDIRECT_URL is one address, the Chinese home; under /en/ the English one.
        if self.next_page:
            return super().get_default_redirect_url()
        return reverse("wagtail_serve", args=[""])
